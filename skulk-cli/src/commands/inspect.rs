//! `skulk inspect`: per-series summary of a TSM file or every TSM file in a
//! directory.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use skulk_format::storage::EntryKind;
use skulk_format::{SeriesMeta, TsmReader};

use super::Context;
use crate::cli::InspectArgs;
use crate::datadir::DataDir;
use crate::disk;
use crate::error::{CliError, Result};
use crate::files::{self, FileKind};
use crate::output::{self, OutputFormat, Table, human_bytes, thousands};
use crate::timefmt::format_time;

/// Bytes a point takes uncompressed: an `i64` timestamp and an `f64` value.
pub const RAW_POINT_BYTES: f64 = 16.0;

/// What the TSM files hold for one series.
#[derive(Debug, Clone)]
pub struct SeriesSummary {
    /// The series.
    pub meta: SeriesMeta,
    /// Files holding it.
    pub files: u64,
    /// Blocks.
    pub blocks: u64,
    /// Points.
    pub points: u64,
    /// Bytes of its block records (framing included).
    pub bytes: u64,
    /// Earliest timestamp.
    pub min_ts: i64,
    /// Latest timestamp.
    pub max_ts: i64,
}

/// What a set of TSM files holds.
#[derive(Debug, Default)]
pub struct Summary {
    /// The files read.
    pub files: Vec<PathBuf>,
    /// Total size of the files.
    pub file_bytes: u64,
    /// Per series, by series key.
    pub series: BTreeMap<String, SeriesSummary>,
}

impl Summary {
    /// Total points.
    pub fn points(&self) -> u64 {
        self.series.values().map(|s| s.points).sum()
    }

    /// Total blocks.
    pub fn blocks(&self) -> u64 {
        self.series.values().map(|s| s.blocks).sum()
    }

    fn add<B: AsRef<[u8]>>(&mut self, reader: &TsmReader<B>) {
        self.file_bytes += reader.stats().file_size;
        self.files
            .push(reader.name().map(Path::to_path_buf).unwrap_or_default());
        for entry in reader.series() {
            let bytes: u64 = entry.blocks.iter().map(|b| u64::from(b.len)).sum();
            let min = entry.blocks.iter().map(|b| b.min_ts).min().unwrap_or(0);
            let max = entry.blocks.iter().map(|b| b.max_ts).max().unwrap_or(0);
            let s = self
                .series
                .entry(entry.meta.to_string())
                .or_insert_with(|| SeriesSummary {
                    meta: entry.meta.to_meta(),
                    files: 0,
                    blocks: 0,
                    points: 0,
                    bytes: 0,
                    min_ts: min,
                    max_ts: max,
                });
            s.files += 1;
            s.blocks += entry.blocks.len() as u64;
            s.points += entry.point_count();
            s.bytes += bytes;
            s.min_ts = s.min_ts.min(min);
            s.max_ts = s.max_ts.max(max);
        }
    }
}

/// Reads the TSM file at `path`; or, for a data directory, the files its
/// manifest lists; or every TSM file under any other folder (but its
/// `quarantine/`).
pub fn summarize(path: &Path) -> Result<Summary> {
    let mut summary = Summary::default();
    match disk::entry(path)? {
        None => {
            return Err(CliError::Usage(format!(
                "{}: no such file or directory",
                path.display()
            )));
        }
        Some(EntryKind::File) => summary.add(&TsmReader::open_named(disk::read(path)?, path)?),
        Some(EntryKind::Dir) => {
            let dir = DataDir::new(path);
            if dir.is_data_dir()? {
                for reader in dir.live_files()? {
                    summary.add(&reader);
                }
            } else {
                for file in disk::files_under(path, &[files::QUARANTINE_DIR])? {
                    let bytes = disk::read(&file)?;
                    if files::classify(&file, &bytes) == FileKind::Tsm {
                        summary.add(&TsmReader::open_named(bytes, &file)?);
                    }
                }
            }
        }
    }
    Ok(summary)
}

/// Bytes per point, and compression ratio against 16 raw bytes per point.
pub fn density(bytes: u64, points: u64) -> (f64, f64) {
    if points == 0 || bytes == 0 {
        return (0.0, 0.0);
    }
    let bpp = bytes as f64 / points as f64;
    (bpp, RAW_POINT_BYTES / bpp)
}

/// Runs `inspect`: on a file, a data directory (the files its manifest
/// lists, read without writing anything) or any folder.
pub fn run(ctx: &Context, args: &InspectArgs, out: &mut dyn Write) -> Result<()> {
    let path = ctx.path_or_data_dir(args.path.as_deref());
    let summary = summarize(path)?;
    let format = args.format;
    match format {
        OutputFormat::Json => output::write_json(out, &to_json(&summary)).map_err(CliError::output),
        OutputFormat::Csv | OutputFormat::Table => {
            write_table(&summary, format, out).map_err(CliError::output)
        }
    }
}

fn write_table(
    summary: &Summary,
    format: OutputFormat,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let headers = [
        "series", "files", "blocks", "points", "first", "last", "bytes", "B/point", "ratio",
    ];
    let mut table = Table::new(
        &headers,
        &[false, true, true, true, false, false, true, true, true],
    );
    let mut rows = Vec::new();
    for s in summary.series.values() {
        let (bpp, ratio) = density(s.bytes, s.points);
        let row = vec![
            s.meta.to_string(),
            s.files.to_string(),
            s.blocks.to_string(),
            s.points.to_string(),
            format_time(s.min_ts),
            format_time(s.max_ts),
            s.bytes.to_string(),
            format!("{bpp:.2}"),
            format!("{ratio:.1}x"),
        ];
        rows.push(row.clone());
        table.row(row);
    }
    if format == OutputFormat::Csv {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(headers).map_err(output::csv_io)?;
        for row in rows {
            w.write_record(row).map_err(output::csv_io)?;
        }
        return w.flush();
    }
    table.write(out)?;
    let points = summary.points();
    let (bpp, ratio) = density(summary.file_bytes, points);
    writeln!(
        out,
        "\n{} file(s), {} series, {} blocks, {} points, {} on disk: {bpp:.2} bytes/point, compression {ratio:.1}x (vs 16 bytes/point)",
        summary.files.len(),
        summary.series.len(),
        thousands(summary.blocks()),
        thousands(points),
        human_bytes(summary.file_bytes),
    )
}

fn to_json(summary: &Summary) -> Value {
    let series: Vec<Value> = summary
        .series
        .values()
        .map(|s| {
            let (bpp, ratio) = density(s.bytes, s.points);
            let mut map = output::json_series(&s.meta);
            map.insert("id".into(), json!(s.meta.id().to_string()));
            map.insert("files".into(), json!(s.files));
            map.insert("blocks".into(), json!(s.blocks));
            map.insert("points".into(), json!(s.points));
            map.insert("min_timestamp".into(), json!(s.min_ts));
            map.insert("max_timestamp".into(), json!(s.max_ts));
            map.insert("bytes".into(), json!(s.bytes));
            map.insert("bytes_per_point".into(), json!(bpp));
            map.insert("compression_ratio".into(), json!(ratio));
            Value::Object(map)
        })
        .collect();
    let points = summary.points();
    let (bpp, ratio) = density(summary.file_bytes, points);
    json!({
        "files": summary.files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "file_bytes": summary.file_bytes,
        "points": points,
        "blocks": summary.blocks(),
        "bytes_per_point": bpp,
        "compression_ratio": ratio,
        "series": series,
    })
}
