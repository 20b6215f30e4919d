//! `skulk import`: stream line protocol, Prometheus text / OpenMetrics or
//! CSV into the engine.

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use skulk_engine::Engine;
use skulk_format::{DataPoint, SeriesIdSet};

use super::Context;
use super::import_pipeline::{self as pipeline, Event};
use crate::cli::{ImportArgs, InputFormat, TimeFormatArg};
use crate::error::{CliError, Result};
use crate::ingest::{CsvMapping, CsvOptions, Dialect, PointReader, Precision, TimeFormat};
use crate::output::{human_bytes, thousands};

/// Bad lines reported one by one under `--skip-bad` before going quiet.
const REPORTED_BAD_LINES: u64 = 10;

/// What an import did.
#[derive(Debug, Default)]
struct Tally {
    points: u64,
    skipped: u64,
    exemplars: u64,
    bytes_in: u64,
    series: SeriesIdSet,
}

/// Runs `import`.
pub fn run(ctx: &Context, args: &ImportArgs, out: &mut dyn Write) -> Result<()> {
    let labels = parse_labels(&args.labels)?;
    if args.metric.as_deref().is_some_and(|m| m.trim().is_empty()) {
        return Err(CliError::Usage("--metric: the metric name is empty".into()));
    }
    let inputs: Vec<PathBuf> = if args.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.files.clone()
    };
    let engine = ctx.create_engine()?;
    let started = Instant::now();
    let mut tally = Tally::default();
    let mut result = Ok(());
    for input in &inputs {
        result = import_input(&engine, input, args, &labels, &mut tally);
        if result.is_err() {
            break;
        }
    }
    let elapsed = started.elapsed();
    // Everything acknowledged is in the WAL; flushing writes it to TSM files
    // so that the summary can report their size.
    let flush_started = Instant::now();
    let flushed = engine.flush();
    let flush_time = flush_started.elapsed();
    tracing::info!(
        seconds = flush_time.as_secs_f64(),
        ok = flushed.is_ok(),
        "flushed"
    );
    let stats = engine.stats();
    let closed = engine.close();
    print_summary(out, &tally, inputs.len(), elapsed, &stats).map_err(CliError::output)?;
    if let Ok(f) = &flushed {
        writeln!(
            out,
            "flushed {} points to {} TSM file(s) in {:.2} s",
            thousands(f.points_written),
            f.files_written,
            flush_time.as_secs_f64()
        )
        .map_err(CliError::output)?;
    }
    result
        .and(flushed.map(|_| ()).map_err(CliError::from))
        .and(closed.map_err(CliError::from))
}

fn parse_labels(labels: &[String]) -> Result<Vec<(String, String)>> {
    labels
        .iter()
        .map(|l| match l.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(CliError::Usage(format!(
                "--label {l:?}: expected key=value"
            ))),
        })
        .collect()
}

fn open_input(path: &Path) -> Result<(Box<dyn BufRead + Send>, Option<u64>)> {
    if path == Path::new("-") {
        if io::stdin().is_terminal() {
            eprintln!("skulk: reading standard input (end it with Ctrl-D)");
        }
        return Ok((
            Box::new(BufReader::with_capacity(1 << 16, io::stdin())),
            None,
        ));
    }
    let file = File::open(path).map_err(CliError::io(path))?;
    let len = file.metadata().ok().map(|m| m.len());
    if has_extension(path, "gz") {
        let gz = flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 16, file));
        // The bar follows decompressed bytes: no total to show.
        return Ok((Box::new(BufReader::with_capacity(1 << 16, gz)), None));
    }
    Ok((Box::new(BufReader::with_capacity(1 << 16, file)), len))
}

fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// The path without a `.gz` ending (what the data inside is).
fn inner_name(path: &Path) -> PathBuf {
    if has_extension(path, "gz") {
        path.with_extension("")
    } else {
        path.to_path_buf()
    }
}

fn format_of(path: &Path, args: &ImportArgs) -> InputFormat {
    let inner = inner_name(path);
    let ext = |e| has_extension(&inner, e);
    args.format.unwrap_or(if ext("csv") {
        InputFormat::Csv
    } else if ext("prom") {
        InputFormat::Prometheus
    } else if ext("om") || ext("openmetrics") {
        InputFormat::OpenMetrics
    } else {
        InputFormat::LineProtocol
    })
}

fn csv_mapping(args: &ImportArgs) -> Option<CsvMapping> {
    let mapped = args.time_column.is_some()
        || args.time_format.is_some()
        || !args.label_columns.is_empty()
        || !args.value_columns.is_empty();
    let time_format = match args.time_format.unwrap_or(TimeFormatArg::Auto) {
        TimeFormatArg::Auto => TimeFormat::Auto,
        TimeFormatArg::Rfc3339 => TimeFormat::Rfc3339,
        TimeFormatArg::Seconds => TimeFormat::Epoch(Precision::Seconds),
        TimeFormatArg::Milliseconds => TimeFormat::Epoch(Precision::Milliseconds),
        TimeFormatArg::Microseconds => TimeFormat::Epoch(Precision::Microseconds),
        TimeFormatArg::Nanoseconds => TimeFormat::Epoch(Precision::Nanoseconds),
    };
    mapped.then(|| CsvMapping {
        time_column: args.time_column.clone(),
        time_format,
        label_columns: args.label_columns.clone(),
        value_columns: args.value_columns.clone(),
    })
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

fn reader_for(
    path: &Path,
    input: Box<dyn BufRead + Send>,
    args: &ImportArgs,
    labels: &[(String, String)],
) -> PointReader<Box<dyn BufRead + Send>> {
    match format_of(path, args) {
        InputFormat::LineProtocol => PointReader::line_protocol(input, args.precision),
        InputFormat::OpenMetrics => PointReader::openmetrics(input, Dialect::OpenMetrics, now_ns()),
        InputFormat::Prometheus => PointReader::openmetrics(input, Dialect::Prometheus, now_ns()),
        InputFormat::Csv => {
            let mapping = csv_mapping(args);
            let stem = (path != Path::new("-") && mapping.is_none())
                .then(|| {
                    inner_name(path)
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                })
                .flatten();
            PointReader::csv_with(
                input,
                CsvOptions {
                    metric: args.metric.clone().or(stem),
                    labels: labels.to_vec(),
                    precision: args.precision,
                    mapping,
                },
            )
        }
    }
}

fn progress_bar(len: Option<u64>, args: &ImportArgs, path: &Path) -> ProgressBar {
    if args.no_progress || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::stderr());
    let template = if len.is_some() {
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}"
    } else {
        "{spinner} {msg} {bytes} {bytes_per_sec}"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(path.display().to_string());
    bar
}

fn import_input(
    engine: &Engine,
    path: &Path,
    args: &ImportArgs,
    labels: &[(String, String)],
    tally: &mut Tally,
) -> Result<()> {
    let span = tracing::info_span!("input", path = %path.display());
    let _entered = span.enter();
    let (input, len) = open_input(path)?;
    tracing::debug!(format = ?format_of(path, args), bytes = len, "reading");
    let reader = reader_for(path, input, args, labels);
    let bar = progress_bar(len, args, path);
    let batch_size = usize::try_from(args.batch_size).unwrap_or(usize::MAX);
    let (result, read) = pipeline::run(reader, batch_size, args.skip_bad, |event| match event {
        Event::Batch(mut points, bytes) => {
            write(engine, &mut points, tally)?;
            bar.set_position(bytes);
            Ok(true)
        }
        Event::Bad(bad) if args.skip_bad => {
            tally.skipped += 1;
            if tally.skipped <= REPORTED_BAD_LINES {
                bar.suspend(|| eprintln!("skulk: skipped {}: {bad}", path.display()));
            }
            if tally.skipped == REPORTED_BAD_LINES + 1 {
                bar.suspend(|| eprintln!("skulk: further bad lines are counted, not shown"));
            }
            Ok(true)
        }
        // The lines before a bad one were written: they read successfully.
        Event::Bad(bad) => Err(CliError::BadLine {
            path: path.to_path_buf(),
            source: bad,
        }),
        Event::Failed(e) => Err(CliError::io(path)(e)),
    });
    tally.bytes_in += read.bytes;
    tally.exemplars += read.exemplars;
    tracing::info!(
        points = tally.points,
        skipped = tally.skipped,
        bytes = read.bytes,
        "input read"
    );
    bar.finish_and_clear();
    result
}

fn write(engine: &Engine, batch: &mut Vec<DataPoint>, tally: &mut Tally) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    engine.write_batch(batch)?;
    tracing::trace!(points = batch.len(), "batch written");
    tally.points += batch.len() as u64;
    tally.series.extend(batch.iter().map(|p| p.series_id));
    batch.clear();
    Ok(())
}

fn print_summary(
    out: &mut dyn Write,
    tally: &Tally,
    inputs: usize,
    elapsed: Duration,
    stats: &skulk_engine::EngineStats,
) -> io::Result<()> {
    let secs = elapsed.as_secs_f64().max(1e-9);
    writeln!(
        out,
        "imported {} points of {} series from {inputs} input(s), {} read, in {:.2} s ({} points/s)",
        thousands(tally.points),
        thousands(tally.series.len() as u64),
        human_bytes(tally.bytes_in),
        secs,
        thousands((tally.points as f64 / secs) as u64),
    )?;
    if tally.skipped > 0 {
        writeln!(out, "skipped {} bad line(s)", thousands(tally.skipped))?;
    }
    if tally.exemplars > 0 {
        writeln!(out, "ignored {} exemplar(s)", thousands(tally.exemplars))?;
    }
    if stats.points_on_disk == 0 {
        return writeln!(out, "data directory: no points in TSM files");
    }
    let (bpp, ratio) = super::inspect::density(stats.bytes_on_disk, stats.points_on_disk);
    writeln!(
        out,
        "data directory: {} series, {} points in {} TSM file(s), {} on disk: {bpp:.2} bytes/point, compression {ratio:.1}x (vs 16 bytes/point)",
        thousands(stats.series as u64),
        thousands(stats.points_on_disk),
        stats.files,
        human_bytes(stats.bytes_on_disk),
    )
}
