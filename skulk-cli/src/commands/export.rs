//! `skulk export`: the selected points as line protocol, CSV or NDJSON, one
//! time partition at a time, so memory stays bounded by one partition's
//! selected points; gzip-compressed on request. Or as Parquet files in a
//! Hive-style layout (`skulk-arrow`'s `SCHEMA.md`).

use std::io::Write;

use skulk_engine::{Engine, Query, SeriesResult, SeriesSelector};
use skulk_format::TimeRange;

use super::output_file::with_output;
use super::{Context, select};
use crate::cli::{ExportArgs, ExportFormat};
use crate::error::{CliError, Result};
use crate::point_writer::{PointWriter, StreamFormat};

/// Runs `export`.
pub fn run(ctx: &Context, args: &ExportArgs, out: &mut dyn Write) -> Result<()> {
    let selector = select::selector(&args.select)?;
    let range = select::range(&args.select)?;
    let format = match args.format {
        ExportFormat::Csv => StreamFormat::Csv,
        ExportFormat::LineProtocol => StreamFormat::LineProtocol,
        ExportFormat::Ndjson => StreamFormat::Ndjson,
        ExportFormat::Parquet => return parquet(ctx, args, &selector, range, out),
    };
    if args.out.is_some() {
        return Err(CliError::Usage(
            "--out DIR is the folder of a Parquet export (--format parquet); \
             other formats go to standard output or --output FILE"
                .into(),
        ));
    }
    let engine = ctx.open_for_reading()?;
    with_output(out, &args.output, |out| {
        stream(&engine, &selector, range, format, out)
    })
}

/// Writes the selected points in `format`, partition by partition.
pub fn stream(
    engine: &Engine,
    selector: &SeriesSelector,
    range: TimeRange,
    format: StreamFormat,
    out: &mut dyn Write,
) -> Result<()> {
    let mut writer = PointWriter::new(format, out).map_err(CliError::output)?;
    for_each_series(engine, selector, range, |r| {
        writer.series(&r.series, &r.timestamps, &r.values)
    })?;
    writer.finish().map_err(CliError::output)
}

/// The selected points, one time partition at a time (in time order), each
/// partition's series in key order: memory holds one partition's selected
/// points, and each partition costs one query.
fn for_each_series(
    engine: &Engine,
    selector: &SeriesSelector,
    range: TimeRange,
    mut f: impl FnMut(&SeriesResult) -> Result<()>,
) -> Result<()> {
    for partition in engine.partitions()? {
        let Some(piece) = intersect(range, partition.range()) else {
            continue;
        };
        let results = engine.query(&Query::raw(selector.clone(), piece))?;
        tracing::debug!(
            partition = partition.start(),
            series = results.len(),
            points = results.iter().map(SeriesResult::len).sum::<usize>(),
            "partition read"
        );
        for result in results {
            f(&result)?;
        }
    }
    Ok(())
}

/// The part of `a` inside `b`, if any.
fn intersect(a: TimeRange, b: TimeRange) -> Option<TimeRange> {
    TimeRange::new(a.start().max(b.start()), a.end().min(b.end()))
        .ok()
        .filter(|r| !r.is_empty())
}

/// `--format parquet`: the files under `--out`, and a summary on `out`.
#[cfg(feature = "parquet")]
fn parquet(
    ctx: &Context,
    args: &ExportArgs,
    selector: &SeriesSelector,
    range: TimeRange,
    out: &mut dyn Write,
) -> Result<()> {
    let Some(dir) = &args.out else {
        return Err(CliError::Usage(
            "--format parquet writes a folder of files: pass --out DIR".into(),
        ));
    };
    if args.row_group_rows == 0 {
        return Err(CliError::Usage(
            "--row-group-rows must be at least 1".into(),
        ));
    }
    let engine = ctx.open_for_reading()?;
    let options = skulk_arrow::ParquetOptions {
        row_group_rows: args.row_group_rows,
        compress_min_rows: args.compress_min_rows,
        append: args.append,
        ..skulk_arrow::ParquetOptions::default()
    };
    let started = std::time::Instant::now();
    let summary = skulk_arrow::export_parquet(&engine, selector, range, dir, &options)?;
    let seconds = started.elapsed().as_secs_f64();
    let per_point = if summary.points == 0 {
        0.0
    } else {
        summary.bytes as f64 / summary.points as f64
    };
    writeln!(
        out,
        "exported {} points to {} file{} under {} ({}, {per_point:.2} B/point) in {seconds:.2} s ({:.1} M points/s)",
        crate::output::thousands(summary.points),
        summary.files.len(),
        if summary.files.len() == 1 { "" } else { "s" },
        dir.display(),
        crate::output::human_bytes(summary.bytes),
        summary.points as f64 / seconds.max(1e-9) / 1e6,
    )
    .map_err(CliError::output)
}

/// Without the `parquet` feature: says how to get it.
#[cfg(not(feature = "parquet"))]
fn parquet(
    _ctx: &Context,
    _args: &ExportArgs,
    _selector: &SeriesSelector,
    _range: TimeRange,
    _out: &mut dyn Write,
) -> Result<()> {
    Err(CliError::Usage(
        "this skulk was built without Parquet export (the `parquet` feature of skulk-cli)".into(),
    ))
}
