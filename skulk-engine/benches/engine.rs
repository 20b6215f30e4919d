//! Engine throughput: ingest per sync mode, full and narrow scans with 1 and
//! 2 query threads, WAL recovery time; on a generated 1,000-series workload
//! and on the real datasets. Prints a table.
//!
//! `cargo bench -p skulk-engine --bench engine`; `SKULK_BENCH_SCALE=0.1`
//! shrinks every workload (for a quick check); `SKULK_BENCH_ONLY=ingest,scan`
//! runs only some parts (`ingest`, `sustained`, `scan`, `recovery`,
//! `datasets`, `spread`, `footprint`, `delete`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use skulk_engine::{
    DataPoint, Engine, EngineConfig, Query, SeriesMeta, SeriesSelector, SyncMode, TimeRange,
    WalConfig,
};

const SERIES: usize = 1000;
const STEP_NS: i64 = 10_000_000_000;
const START_NS: i64 = 1_700_000_000_000_000_000;

fn scale() -> f64 {
    std::env::var("SKULK_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0)
}

fn scaled(n: usize) -> usize {
    ((n as f64 * scale()) as usize).max(1)
}

fn config(sync_mode: SyncMode) -> EngineConfig {
    EngineConfig {
        wal: WalConfig {
            sync_mode,
            ..WalConfig::default()
        },
        flush_points: 0,
        flush_size_bytes: 0,
        flush_age: None,
        background: false,
        ..EngineConfig::default()
    }
}

fn series() -> Vec<Arc<SeriesMeta>> {
    (0..SERIES)
        .map(|i| {
            let labels = vec![
                ("host".to_string(), format!("host-{:04}", i)),
                ("dc".to_string(), format!("dc-{}", i % 4)),
            ];
            Arc::new(SeriesMeta::new("cpu.usage", labels))
        })
        .collect()
}

/// Round `round` of the generated workload: `per_series` consecutive
/// points of every series (regular 10 s timestamps, random-walk values).
fn round(
    series: &[Arc<SeriesMeta>],
    round: usize,
    per_series: usize,
    rng: &mut u64,
) -> Vec<DataPoint> {
    let mut out = Vec::with_capacity(series.len() * per_series);
    for k in 0..per_series {
        let ts = START_NS + ((round * per_series + k) as i64) * STEP_NS;
        for s in series {
            *rng ^= *rng << 13;
            *rng ^= *rng >> 7;
            *rng ^= *rng << 17;
            let value = ((*rng % 2000) as f64) / 20.0;
            out.push(DataPoint::for_series(Arc::clone(s), ts, value));
        }
    }
    out
}

fn row(what: &str, points: usize, elapsed: Duration, note: &str) {
    let rate = points as f64 / elapsed.as_secs_f64();
    println!(
        "| {what:<46} | {points:>11} | {:>9.1} | {:>12.2} | {note} |",
        elapsed.as_secs_f64() * 1e3,
        rate / 1e6
    );
}

fn ingest(sync_mode: SyncMode, batches: usize, batch_per_series: usize) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), config(sync_mode)).unwrap();
    let series = series();
    let mut rng = 0x1234_5678_9abc_def1;
    let data: Vec<Vec<DataPoint>> = (0..batches)
        .map(|r| round(&series, r, batch_per_series, &mut rng))
        .collect();
    let points: usize = data.iter().map(Vec::len).sum();
    let started = Instant::now();
    for batch in &data {
        engine.write_batch(batch).unwrap();
    }
    let elapsed = started.elapsed();
    let what = format!("ingest {:?}, batches of {}", sync_mode, data[0].len());
    row(
        &what,
        points,
        elapsed,
        &format!(
            "{:.1} us/batch",
            elapsed.as_secs_f64() * 1e6 / batches as f64
        ),
    );
}

/// Ingest with the default thresholds and the background thread on: the
/// rate writers sustain while flushes and compactions run beside them (a
/// writer that gets four flush thresholds ahead flushes inline), measured
/// up to the end of `close`, which flushes what is left.
fn sustained(sync_mode: SyncMode, batches: usize) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = EngineConfig {
        wal: WalConfig {
            sync_mode,
            ..WalConfig::default()
        },
        ..EngineConfig::default()
    };
    let engine = Engine::open(dir.path(), cfg).unwrap();
    let series = series();
    let mut rng = 0x5eed;
    let data: Vec<Vec<DataPoint>> = (0..batches)
        .map(|r| round(&series, r, 10, &mut rng))
        .collect();
    let points: usize = data.iter().map(Vec::len).sum();
    let started = Instant::now();
    for batch in &data {
        engine.write_batch(batch).unwrap();
    }
    let written = started.elapsed();
    let stats = engine.stats();
    engine.close().unwrap();
    let elapsed = started.elapsed();
    let check = Engine::open(dir.path(), config(SyncMode::None)).unwrap();
    let on_disk = check.stats();
    assert_eq!(
        on_disk.points_on_disk as usize, points,
        "every point flushed"
    );
    row(
        &format!("sustained {sync_mode:?}, background flush + compaction"),
        points,
        elapsed,
        &format!(
            "writes done after {:.0} ms with {} files on disk; {} files, {:.2} B/point after close",
            written.as_secs_f64() * 1e3,
            stats.files,
            on_disk.files,
            on_disk.bytes_on_disk as f64 / points as f64
        ),
    );
}

fn query_in(threads: usize, engine: &Engine, q: &Query) -> (usize, Duration) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let _ = engine.query(q).unwrap();
        let mut best = Duration::MAX;
        let mut points = 0;
        for _ in 0..5 {
            let started = Instant::now();
            let r = engine.query(q).unwrap();
            best = best.min(started.elapsed());
            points = r.iter().map(|s| s.len()).sum();
        }
        (points, best)
    })
}

fn scans() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), config(SyncMode::None)).unwrap();
    let series = series();
    let rounds = 10;
    let per_series = scaled(1000);
    let mut rng = 42;
    for r in 0..rounds {
        engine
            .write_batch(&round(&series, r, per_series, &mut rng))
            .unwrap();
        engine.flush().unwrap();
    }
    let stats = engine.stats();
    let note = format!(
        "{} files, {:.2} B/point",
        stats.files,
        stats.bytes_on_disk as f64 / stats.points_on_disk as f64
    );
    let full = Query::raw(SeriesSelector::all(), TimeRange::ALL);
    let span = (rounds * per_series) as i64 * STEP_NS;
    let narrow_start = START_NS + span / 2;
    let narrow = Query::raw(
        SeriesSelector::all(),
        TimeRange::new(narrow_start, narrow_start + span / 100).unwrap(),
    );
    let one = Query::raw(
        SeriesSelector::Exact(SeriesMeta::clone(&series[7])),
        TimeRange::new(narrow_start, narrow_start + span / 100).unwrap(),
    );
    for threads in [1, 2] {
        let (points, t) = query_in(threads, &engine, &full);
        row(
            &format!("full scan, {SERIES} series, {threads} thread(s)"),
            points,
            t,
            &note,
        );
        let (points, t) = query_in(threads, &engine, &narrow);
        row(
            &format!("narrow 1% range, all series, {threads} thread(s)"),
            points,
            t,
            "",
        );
        let (points, t) = query_in(threads, &engine, &one);
        row(
            &format!("narrow 1% range, one series, {threads} thread(s)"),
            points,
            t,
            &format!("{:.1} us/query", t.as_secs_f64() * 1e6),
        );
    }
}

fn recovery() {
    let dir = tempfile::tempdir().unwrap();
    let series = series();
    let per_series = scaled(1000);
    let mut rng = 7;
    {
        let engine = Engine::open(dir.path(), config(SyncMode::None)).unwrap();
        for r in 0..10 {
            engine
                .write_batch(&round(&series, r, per_series / 10, &mut rng))
                .unwrap();
        }
        // Dropped without close: everything stays in the WAL.
    }
    let started = Instant::now();
    let engine = Engine::open(dir.path(), config(SyncMode::None)).unwrap();
    let elapsed = started.elapsed();
    let points = engine.recovery_stats().wal_points_replayed as usize;
    let per_million = elapsed.as_secs_f64() * 1e6 / points as f64;
    row(
        "recovery: WAL replay into memtables",
        points,
        elapsed,
        &format!("{per_million:.3} s per million points"),
    );
}

fn datasets() {
    let sets = skulk_testkit::datasets::load_all();
    if sets.is_empty() {
        println!("(no real dataset found or loadable: skipped)");
        return;
    }
    for set in &sets {
        let dir = tempfile::tempdir().unwrap();
        let cfg = EngineConfig {
            partition_duration: Some(Duration::from_secs(400 * 86400)),
            ..config(SyncMode::None)
        };
        let engine = Engine::open(dir.path(), cfg).unwrap();
        let meta = Arc::new(SeriesMeta::new(set.name.clone(), vec![]));
        let points = dataset_points(set, &meta);
        let started = Instant::now();
        for chunk in points.chunks(10_000) {
            engine.write_batch(chunk).unwrap();
        }
        let ingest = started.elapsed();
        engine.flush().unwrap();
        let stats = engine.stats();
        let note = format!(
            "{} files, {:.2} B/point",
            stats.files,
            stats.bytes_on_disk as f64 / points.len() as f64
        );
        row(
            &format!("{}: ingest None, batches of 10000", set.name),
            points.len(),
            ingest,
            &note,
        );
        let (n, t) = query_in(
            2,
            &engine,
            &Query::raw(SeriesSelector::all(), TimeRange::ALL),
        );
        let mut distinct = set.timestamps.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(n, distinct.len(), "one point per distinct timestamp");
        row(&format!("{}: full scan, 2 threads", set.name), n, t, "");
    }
    all_datasets_day_by_day(&sets);
}

/// The points of `set` as points of the series `meta`.
fn dataset_points(
    set: &skulk_testkit::datasets::Dataset,
    meta: &Arc<SeriesMeta>,
) -> Vec<DataPoint> {
    set.timestamps
        .iter()
        .zip(&set.values)
        .map(|(&t, &v)| DataPoint::for_series(Arc::clone(meta), t, v))
        .collect()
}

/// Every dataset as a series of one metric in one engine (24 h partitions),
/// read by a streaming scan per UTC day, as a reader going day by day does
/// (`skulk export --format parquet`): days hold a few points of several
/// series each.
fn all_datasets_day_by_day(sets: &[skulk_testkit::datasets::Dataset]) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), config(SyncMode::None)).unwrap();
    for set in sets {
        let meta = Arc::new(SeriesMeta::new(
            "dataset",
            vec![("name".to_string(), set.name.clone())],
        ));
        let points = dataset_points(set, &meta);
        engine.write_batch(&points).unwrap();
    }
    engine.flush().unwrap();
    let (scans, points, t) = day_scans(&engine);
    row(
        "all datasets: streaming scans, one per day",
        points,
        t,
        &format!(
            "{scans} scans, {:.1} us/scan",
            t.as_secs_f64() * 1e6 / scans as f64
        ),
    );
}

/// A streaming scan of every UTC day from the first point's to the
/// last's: the number of scans, the points read and the best of three
/// passes.
fn day_scans(engine: &Engine) -> (usize, usize, Duration) {
    const DAY: i64 = 86_400_000_000_000;
    let all = engine
        .query(&Query::raw(SeriesSelector::all(), TimeRange::ALL))
        .unwrap();
    let expected: usize = all.iter().map(|s| s.len()).sum();
    let first = all.iter().filter_map(|s| s.timestamps.first()).min();
    let last = all.iter().filter_map(|s| s.timestamps.last()).max();
    let (Some(first), Some(last)) = (first, last) else {
        return (0, 0, Duration::ZERO);
    };
    let days = first.div_euclid(DAY)..=last.div_euclid(DAY);
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        let mut points = 0;
        for day in days.clone() {
            let range = TimeRange::new(day * DAY, (day + 1) * DAY).unwrap();
            for chunk in engine.scan(&SeriesSelector::all(), range).unwrap() {
                points += chunk.unwrap().iter().map(|s| s.len()).sum::<usize>();
            }
        }
        best = best.min(started.elapsed());
        assert_eq!(points, expected);
    }
    (days.count(), expected, best)
}

/// A daily series spread over many partitions, flushed at once under
/// `Fsync`: the stocks dataset (13 years of trading days) with 30-day
/// partitions, about 160 of them.
fn spread() {
    let Some(set) = skulk_testkit::datasets::load_all()
        .into_iter()
        .find(|s| s.name.starts_with("stocks"))
    else {
        println!("(the stocks dataset was not found: spread skipped)");
        return;
    };
    let mut times = Vec::new();
    let mut note = String::new();
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let cfg = EngineConfig {
            partition_duration: Some(Duration::from_secs(30 * 86400)),
            ..config(SyncMode::Fsync)
        };
        let engine = Engine::open(dir.path(), cfg).unwrap();
        let meta = Arc::new(SeriesMeta::new(set.name.clone(), vec![]));
        let points = dataset_points(&set, &meta);
        engine.write_batch(&points).unwrap();
        let partitions = engine.partitions().unwrap().len();
        let started = Instant::now();
        let flushed = engine.flush().unwrap();
        times.push(started.elapsed());
        note = format!(
            "{partitions} partitions into {} files, median of 5",
            flushed.files_written
        );
    }
    times.sort();
    row(
        &format!("{}: flush at once, Fsync", set.name),
        set.timestamps.len(),
        times[times.len() / 2],
        &note,
    );
}

/// What a closed data directory takes on disk against its TSM files:
/// 10 M points (1,000 series), written, flushed as they come, closed.
fn footprint() {
    let dir = tempfile::tempdir().unwrap();
    let series = series();
    let per_series = scaled(10_000);
    let mut rng = 11;
    let started = Instant::now();
    {
        let cfg = EngineConfig {
            flush_points: 1_000_000,
            ..config(SyncMode::None)
        };
        let engine = Engine::open(dir.path(), cfg).unwrap();
        for r in 0..10 {
            engine
                .write_batch(&round(&series, r, per_series / 10, &mut rng))
                .unwrap();
        }
        engine.close().unwrap();
    }
    let elapsed = started.elapsed();
    let (mut tsm, mut wal, mut other) = (0u64, 0u64, 0u64);
    let mut pending = vec![dir.path().to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                pending.push(entry.path());
            } else if entry.path().extension().is_some_and(|x| x == "tsm") {
                tsm += meta.len();
            } else if entry.path().extension().is_some_and(|x| x == "wal") {
                wal += meta.len();
            } else {
                other += meta.len();
            }
        }
    }
    let note = format!(
        "after close: {tsm} B of TSM, {wal} B of WAL, {other} B else; directory {:.3}x the TSM bytes",
        (tsm + wal + other) as f64 / tsm as f64
    );
    row(
        "footprint: write, flush, close",
        SERIES * per_series,
        elapsed,
        &note,
    );
}

/// A delete of one series over its whole range in the footprint's
/// directory: how long the delete takes, that queries stop seeing the
/// series at once, and the bytes before and after the next compaction.
fn delete() {
    let dir = tempfile::tempdir().unwrap();
    let series = series();
    let per_series = scaled(10_000);
    let mut rng = 11;
    let cfg = EngineConfig {
        flush_points: 1_000_000,
        ..config(SyncMode::Fsync)
    };
    let engine = Engine::open(dir.path(), cfg).unwrap();
    for r in 0..10 {
        engine
            .write_batch(&round(&series, r, per_series / 10, &mut rng))
            .unwrap();
    }
    engine.flush().unwrap();
    engine.compact().unwrap();
    let victim = SeriesSelector::Exact(SeriesMeta::clone(&series[7]));
    let before = engine.stats().bytes_on_disk;
    let started = Instant::now();
    engine.delete(&victim, TimeRange::ALL).unwrap();
    let deleted = started.elapsed();
    let left = engine.query(&Query::raw(victim, TimeRange::ALL)).unwrap();
    assert!(left.is_empty(), "the deleted series is still visible");
    let started = Instant::now();
    let compacted = engine.compact().unwrap();
    let compaction = started.elapsed();
    let after = engine.stats().bytes_on_disk;
    let points = SERIES * per_series;
    row(
        "delete: one series of all, whole range",
        points,
        deleted,
        &format!("hidden at once; {} files covered", compacted.files_merged),
    );
    row(
        "delete: next compaction",
        points,
        compaction,
        &format!(
            "{before} B before, {after} B after ({} B reclaimed), {} tombstone dropped",
            before.saturating_sub(after),
            compacted.tombstones_dropped
        ),
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    println!(
        "| {:<46} | {:>11} | {:>9} | {:>12} | note |",
        "workload", "points", "ms", "M points/s"
    );
    println!("|{:-<48}|{:->13}|{:->11}|{:->14}|------|", "", "", "", "");
    let only = std::env::var("SKULK_BENCH_ONLY").unwrap_or_default();
    let run = |part: &str| only.is_empty() || only.split(',').any(|o| o == part);
    if run("ingest") {
        ingest(SyncMode::None, scaled(200), 10);
        ingest(SyncMode::Fdatasync, scaled(40), 10);
        ingest(SyncMode::Fsync, scaled(40), 10);
        ingest(SyncMode::None, scaled(20), 100);
    }
    if run("sustained") {
        sustained(SyncMode::None, scaled(1000));
        sustained(SyncMode::Fsync, scaled(1000));
    }
    if run("scan") {
        scans();
    }
    if run("recovery") {
        recovery();
    }
    if run("datasets") {
        datasets();
    }
    if run("spread") {
        spread();
    }
    if run("footprint") {
        footprint();
    }
    if run("delete") {
        delete();
    }
}
