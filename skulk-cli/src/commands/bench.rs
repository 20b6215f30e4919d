//! `skulk bench`: ingest real datasets (or generated series), flush, query,
//! reopen, and print compression and throughput.
//!
//! Every point read back is compared bit for bit with what was written, so
//! the bench also proves the round trip lossless on the data it measured.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use skulk_engine::{AggregateFn, Aggregation, Engine, EngineConfig, Query, SeriesSelector};
use skulk_format::storage::Storage;
use skulk_format::{DataPoint, SeriesMeta, TimeRange};

use super::Context;
use super::inspect::{density, summarize};
use crate::cli::BenchArgs;
use crate::error::{CliError, Result};
use crate::ingest::{PointReader, Precision};
use crate::output::{Table, human_bytes, thousands};

/// Points per `write_batch` call.
const BATCH: usize = 10_000;
/// Series generated when no dataset is found and `--generate` is absent.
const DEFAULT_GENERATED: u32 = 10;

/// One input series of the bench.
struct Dataset {
    name: String,
    points: Vec<DataPoint>,
}

/// Timings of the phases.
#[derive(Default)]
struct Phases {
    rows: Vec<(&'static str, u64, Duration)>,
}

impl Phases {
    fn add(&mut self, name: &'static str, points: u64, took: Duration) {
        self.rows.push((name, points, took));
    }
}

/// Runs `bench`.
pub fn run(ctx: &Context, args: &BenchArgs, out: &mut dyn Write) -> Result<()> {
    let mut phases = Phases::default();
    let started = Instant::now();
    let (source, datasets) = inputs(args)?;
    let total: u64 = datasets.iter().map(|d| d.points.len() as u64).sum();
    phases.add("read + parse input", total, started.elapsed());
    writeln!(
        out,
        "skulk bench: {source}: {} series, {} points",
        datasets.len(),
        thousands(total)
    )
    .map_err(CliError::output)?;

    skulk_format::storage::FsStorage::create(&ctx.data_dir).map_err(CliError::io(&ctx.data_dir))?;
    let dir = tempfile::Builder::new()
        .prefix("bench-")
        .tempdir_in(&ctx.data_dir)
        .map_err(CliError::io(&ctx.data_dir))?;
    let config = bench_config(ctx, args)?;
    writeln!(
        out,
        "engine: partitions of {}, WAL sync {:?}, {} points per block, background maintenance off",
        config.partition_duration.map_or_else(
            || "24h".to_string(),
            |d| humantime::format_duration(d).to_string()
        ),
        config.wal.sync_mode,
        config.block_points
    )
    .map_err(CliError::output)?;
    let (read_back, windows) = measure(dir.path(), config, &datasets, &mut phases)?;

    write_compression(out, dir.path(), &datasets).map_err(CliError::output)?;
    write_storage(out, &datasets)?;
    write_phases(out, &phases).map_err(CliError::output)?;
    writeln!(
        out,
        "\nlossless: all {} points read back bit-exact (before and after reopening); {} hourly windows",
        thousands(read_back),
        thousands(windows)
    )
    .map_err(CliError::output)?;
    if args.keep {
        let kept = dir.keep();
        writeln!(out, "data kept in {}", kept.display()).map_err(CliError::output)?;
    }
    Ok(())
}

/// Runs the timed phases on a fresh engine in `dir`; returns the points
/// read back and the number of hourly windows.
fn measure(
    dir: &Path,
    config: EngineConfig,
    datasets: &[Dataset],
    phases: &mut Phases,
) -> Result<(u64, u64)> {
    let total: u64 = datasets.iter().map(|d| d.points.len() as u64).sum();
    let engine = Engine::open(dir, config.clone())?;
    let t = Instant::now();
    for chunk in datasets.iter().flat_map(|d| d.points.chunks(BATCH)) {
        engine.write_batch(chunk)?;
    }
    phases.add("write (WAL + memtable)", total, t.elapsed());

    let t = Instant::now();
    let flushed = engine.flush()?;
    phases.add("flush to TSM", flushed.points_written, t.elapsed());

    let t = Instant::now();
    let read_back = check_lossless(&engine, datasets)?;
    phases.add("query raw, all series", read_back, t.elapsed());

    let t = Instant::now();
    let hourly = Aggregation::new(3_600_000_000_000, AggregateFn::Mean)?;
    let query = Query::aggregated(SeriesSelector::all(), TimeRange::ALL, hourly);
    let windows: u64 = engine
        .query(&query)?
        .iter()
        .map(|r| r.timestamps.len() as u64)
        .sum();
    phases.add("query 1h mean, all series", read_back, t.elapsed());

    let t = Instant::now();
    engine.close()?;
    let engine = Engine::open(dir, config)?;
    phases.add("close + reopen", total, t.elapsed());
    let reopened = check_lossless(&engine, datasets)?;
    engine.close()?;
    if reopened != read_back {
        return Err(CliError::Mismatch(format!(
            "{read_back} points before reopening but {reopened} after"
        )));
    }
    Ok((read_back, windows))
}

/// The engine configuration of the bench: the context's (the engine's
/// defaults unless a config file was given), without background
/// maintenance (so that phases are timed alone), with the partition length
/// of `--partition-duration` when given.
fn bench_config(ctx: &Context, args: &BenchArgs) -> Result<EngineConfig> {
    let mut config = EngineConfig {
        background: false,
        ..ctx.config.clone()
    };
    if let Some(text) = &args.partition_duration {
        config.partition_duration = Some(crate::timearg::parse_duration(text)?);
    }
    config.validate()?;
    Ok(config)
}

/// Queries every dataset back and compares it, bit for bit, with what was
/// written (later writes of a timestamp replace earlier ones). Returns the
/// number of points read.
fn check_lossless(engine: &Engine, datasets: &[Dataset]) -> Result<u64> {
    let mut read = 0;
    for d in datasets {
        let Some(first) = d.points.first() else {
            continue;
        };
        let mut expected: BTreeMap<i64, u64> = BTreeMap::new();
        for p in &d.points {
            expected.insert(p.timestamp, p.value.to_bits());
        }
        let query = Query::raw(
            SeriesSelector::Exact((*first.series).clone()),
            TimeRange::ALL,
        );
        let results = engine.query(&query)?;
        let got: Vec<(i64, u64)> = results
            .iter()
            .flat_map(|r| {
                r.timestamps
                    .iter()
                    .zip(&r.values)
                    .map(|(t, v)| (*t, v.to_bits()))
            })
            .collect();
        let want: Vec<(i64, u64)> = expected.into_iter().collect();
        if got != want {
            return Err(CliError::Mismatch(format!(
                "{} read back differs from what was written ({} vs {} points)",
                d.name,
                got.len(),
                want.len()
            )));
        }
        read += got.len() as u64;
    }
    Ok(read)
}

fn write_compression(out: &mut dyn Write, dir: &Path, datasets: &[Dataset]) -> std::io::Result<()> {
    let summary = summarize(dir).map_err(|e| std::io::Error::other(e.one_line()))?;
    writeln!(
        out,
        "\ncompression (TSM block bytes per series; raw = 16 bytes/point)"
    )?;
    let mut table = Table::new(
        &["series", "points", "bytes", "bytes/point", "ratio"],
        &[false, true, true, true, true],
    );
    for d in datasets {
        let Some(first) = d.points.first() else {
            continue;
        };
        let Some(s) = summary.series.get(&first.series.to_string()) else {
            continue;
        };
        let (bpp, ratio) = density(s.bytes, s.points);
        table.row(vec![
            d.name.clone(),
            thousands(s.points),
            thousands(s.bytes),
            format!("{bpp:.2}"),
            format!("{ratio:.1}x"),
        ]);
    }
    let points = summary.points();
    let (bpp, ratio) = density(summary.file_bytes, points);
    table.row(vec![
        format!("all, whole files ({})", human_bytes(summary.file_bytes)),
        thousands(points),
        thousands(summary.file_bytes),
        format!("{bpp:.2}"),
        format!("{ratio:.1}x"),
    ]);
    table.write(out)
}

/// Each dataset alone in a fresh directory with the engine's default
/// settings, written, closed: the whole directory's bytes (TSM files, WAL,
/// manifest) against the bytes of the series encoded as one run of
/// compressed blocks of the default size, and the number of TSM files.
fn write_storage(out: &mut dyn Write, datasets: &[Dataset]) -> Result<()> {
    writeln!(
        out,
        "\nstorage per dataset (each alone, default settings, after close)"
    )
    .map_err(CliError::output)?;
    let mut table = Table::new(
        &[
            "series",
            "points",
            "codec bytes",
            "directory bytes",
            "ratio",
            "TSM files",
        ],
        &[false, true, true, true, true, true],
    );
    let defaults = EngineConfig {
        background: false,
        ..EngineConfig::default()
    };
    for d in datasets {
        let dir = tempfile::tempdir().map_err(CliError::io(Path::new("(temp dir)")))?;
        let engine = Engine::open(dir.path(), defaults.clone())?;
        for chunk in d.points.chunks(BATCH) {
            engine.write_batch(chunk)?;
        }
        engine.close()?;
        let (bytes, files) = directory_bytes(dir.path())?;
        let codec = codec_bytes(&d.points, defaults.block_points)?;
        table.row(vec![
            d.name.clone(),
            thousands(d.points.len() as u64),
            thousands(codec),
            thousands(bytes),
            format!("{:.3}", bytes as f64 / codec.max(1) as f64),
            thousands(files),
        ]);
    }
    table.write(out).map_err(CliError::output)
}

/// The bytes of every file under `dir`, and the number of TSM files.
fn directory_bytes(dir: &Path) -> Result<(u64, u64)> {
    let storage = crate::disk::storage();
    let (mut bytes, mut tsm) = (0, 0);
    for file in crate::disk::files_under(dir, &[])? {
        bytes += storage.metadata(&file).map_err(CliError::io(&file))?.len;
        tsm += u64::from(file.extension().is_some_and(|x| x == "tsm"));
    }
    Ok((bytes, tsm))
}

/// The bytes of `points` (one series, last write of a timestamp winning)
/// as compressed blocks of `block_points` with the adaptive codec choice.
fn codec_bytes(points: &[DataPoint], block_points: usize) -> Result<u64> {
    let mut latest: BTreeMap<i64, f64> = BTreeMap::new();
    for p in points {
        latest.insert(p.timestamp, p.value);
    }
    let ts: Vec<i64> = latest.keys().copied().collect();
    let vs: Vec<f64> = latest.values().copied().collect();
    let mut total = 0;
    for (t, v) in ts.chunks(block_points).zip(vs.chunks(block_points)) {
        let block =
            skulk_codec::CompressedBlock::encode_with(t, v, skulk_codec::CodecChoice::Adaptive)
                .map_err(|e| CliError::Mismatch(format!("encoding a block: {e}")))?;
        total += block.as_bytes().len() as u64;
    }
    Ok(total)
}

fn write_phases(out: &mut dyn Write, phases: &Phases) -> std::io::Result<()> {
    writeln!(out, "\nthroughput")?;
    let mut table = Table::new(
        &["phase", "points", "seconds", "points/s"],
        &[false, true, true, true],
    );
    for (name, points, took) in &phases.rows {
        let secs = took.as_secs_f64();
        let rate = if secs > 0.0 {
            thousands((*points as f64 / secs) as u64)
        } else {
            "-".into()
        };
        table.row(vec![
            name.to_string(),
            thousands(*points),
            format!("{secs:.3}"),
            rate,
        ]);
    }
    table.write(out)
}

/// The bench's input: generated series, or the real datasets when found.
fn inputs(args: &BenchArgs) -> Result<(String, Vec<Dataset>)> {
    if let Some(n) = args.generate {
        return Ok((format!("{n} generated series"), generate(n, args.points)));
    }
    match datasets_dir(args.datasets.as_deref()) {
        Some(dir) => Ok((
            format!("datasets in {}", dir.display()),
            load_datasets(&dir)?,
        )),
        None if args.datasets.is_some() => Err(CliError::Usage(format!(
            "--datasets: no *.csv files in {}",
            args.datasets.as_deref().unwrap_or(Path::new("")).display()
        ))),
        None => Ok((
            format!(
                "real datasets not found (../shared/datasets or $SKULK_DATASETS); {DEFAULT_GENERATED} generated series"
            ),
            generate(DEFAULT_GENERATED, args.points),
        )),
    }
}

/// The first directory with `*.csv` files among: the argument,
/// `$SKULK_DATASETS`, `../shared/datasets` next to this workspace, and
/// `../shared/datasets` relative to the working directory.
fn datasets_dir(arg: Option<&Path>) -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = match arg {
        Some(dir) => vec![dir.to_path_buf()],
        None => [
            std::env::var_os("SKULK_DATASETS").map(PathBuf::from),
            Some(PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/datasets"
            ))),
            Some(PathBuf::from("../shared/datasets")),
        ]
        .into_iter()
        .flatten()
        .collect(),
    };
    candidates
        .into_iter()
        .find(|dir| !csv_files(dir).is_empty())
}

fn csv_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    files
}

fn load_datasets(dir: &Path) -> Result<Vec<Dataset>> {
    let mut out = Vec::new();
    for path in csv_files(dir) {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let file = File::open(&path).map_err(CliError::io(&path))?;
        let series = SeriesMeta::new(format!("bench.{name}"), Vec::new());
        let mut reader =
            PointReader::csv(BufReader::new(file), Some(series), Precision::Nanoseconds);
        let mut points = Vec::new();
        while let Some(line) = reader.next_line(&mut points).map_err(CliError::io(&path))? {
            line.map_err(|source| CliError::BadLine {
                path: path.clone(),
                source,
            })?;
        }
        out.push(Dataset { name, points });
    }
    Ok(out)
}

/// `n` series of `points` points: 10 s steps with occasional jitter, and a
/// random walk with two decimals (a fixed seed, so runs are comparable).
fn generate(n: u32, points: u32) -> Vec<Dataset> {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..n)
        .map(|i| {
            let meta = Arc::new(SeriesMeta::new(
                "bench.generated",
                vec![("series".to_string(), i.to_string())],
            ));
            let mut ts = 1_700_000_000_000_000_000_i64;
            let mut level = 50.0_f64;
            let points = (0..points)
                .map(|_| {
                    let r = next();
                    ts += 10_000_000_000
                        + if r % 16 == 0 {
                            (r >> 40) as i64 % 1_000_000
                        } else {
                            0
                        };
                    level += ((r >> 8) % 201) as f64 / 100.0 - 1.0;
                    DataPoint::for_series(Arc::clone(&meta), ts, (level * 100.0).round() / 100.0)
                })
                .collect();
            Dataset {
                name: format!("generated #{i}"),
                points,
            }
        })
        .collect()
}
