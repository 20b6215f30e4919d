//! `skulk delete`, `skulk compact` and `skulk stats`.

use std::io::Write;

use serde_json::json;

use super::Context;
use crate::cli::{DeleteArgs, StatsArgs};
use crate::error::{CliError, Result};
use crate::output::{self, OutputFormat, Table, human_bytes, thousands};

/// Runs `delete`: refuses to run without a selector (deleting everything
/// takes `'{__name__=~".+"}'`, spelled out).
pub fn delete(ctx: &Context, args: &DeleteArgs, out: &mut dyn Write) -> Result<()> {
    let select = &args.select;
    if select.selector.is_none() && select.matchers.is_empty() {
        return Err(CliError::Usage(
            "delete needs a SELECTOR or --match (every series: '{__name__=~\".+\"}')".into(),
        ));
    }
    let selector = super::select::selector(select)?;
    let range = super::select::range(select)?;
    let engine = ctx.open_engine()?;
    let stats = engine.delete(&selector, range)?;
    engine.close()?;
    writeln!(
        out,
        "deleted the points of {} series in [{}, {}): hidden now; {} file(s) hold them until `skulk compact`",
        stats.series,
        range.start(),
        range.end(),
        stats.files_covered,
    )
    .map_err(CliError::output)
}

/// Runs `compact`.
pub fn compact(ctx: &Context, out: &mut dyn Write) -> Result<()> {
    let engine = ctx.open_engine()?;
    let stats = engine.compact()?;
    engine.close()?;
    writeln!(
        out,
        "compacted {} partition(s): merged {} file(s) ({}) into {} ({}), {} points, in {:.2} s",
        stats.partitions_compacted,
        stats.files_merged,
        human_bytes(stats.bytes_before),
        stats.files_written,
        human_bytes(stats.bytes_after),
        thousands(stats.points_written),
        stats.duration.as_secs_f64(),
    )
    .map_err(CliError::output)
}

/// Runs `stats`.
pub fn stats(ctx: &Context, args: &StatsArgs, out: &mut dyn Write) -> Result<()> {
    let format = args.format;
    let engine = ctx.open_for_reading()?;
    let s = engine.stats();
    let r = engine.recovery_stats().clone();
    drop(engine);
    let (bpp, ratio) = super::inspect::density(s.bytes_on_disk, s.points_on_disk);
    let rows: Vec<(&str, String, serde_json::Value)> = vec![
        ("series", thousands(s.series as u64), json!(s.series)),
        (
            "partitions",
            thousands(s.partitions as u64),
            json!(s.partitions),
        ),
        ("tsm_files", thousands(s.files as u64), json!(s.files)),
        (
            "points_on_disk",
            thousands(s.points_on_disk),
            json!(s.points_on_disk),
        ),
        (
            "bytes_on_disk",
            human_bytes(s.bytes_on_disk),
            json!(s.bytes_on_disk),
        ),
        ("bytes_per_point", format!("{bpp:.2}"), json!(bpp)),
        ("compression_ratio", format!("{ratio:.1}x"), json!(ratio)),
        (
            "points_in_memory",
            thousands(s.points_in_memory),
            json!(s.points_in_memory),
        ),
        (
            "memory_bytes",
            human_bytes(s.memory_bytes),
            json!(s.memory_bytes),
        ),
        ("safe_lsn", s.safe_lsn.to_string(), json!(s.safe_lsn)),
        (
            "wal_points_replayed",
            thousands(r.wal_points_replayed),
            json!(r.wal_points_replayed),
        ),
        (
            "torn_wal_bytes",
            r.torn_bytes.to_string(),
            json!(r.torn_bytes),
        ),
        ("failed", s.failed.to_string(), json!(s.failed)),
    ];
    match format {
        OutputFormat::Json => {
            let map: serde_json::Map<String, serde_json::Value> = rows
                .into_iter()
                .map(|(k, _, v)| (k.to_string(), v))
                .collect();
            output::write_json(out, &serde_json::Value::Object(map)).map_err(CliError::output)
        }
        OutputFormat::Csv => {
            let mut text = String::from("stat,value\n");
            for (k, _, v) in rows {
                text.push_str(&format!("{k},{v}\n"));
            }
            out.write_all(text.as_bytes()).map_err(CliError::output)
        }
        OutputFormat::Table => {
            let mut table = Table::new(&["stat", "value"], &[false, true]);
            for (k, text, _) in rows {
                table.row(vec![k.to_string(), text]);
            }
            table.write(out).map_err(CliError::output)
        }
    }
}
