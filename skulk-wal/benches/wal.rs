//! WAL throughput, group-commit latency and recovery speed; prints tables.
//!
//! `cargo bench -p skulk-wal --bench wal` (set `SKULK_WAL_BENCH_DIR` to
//! measure on another file system than the temp dir's).

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use skulk_format::storage::{FsStorage, HookedStorage, SyncHook};
use skulk_format::{DataPoint, SeriesMeta};
use skulk_wal::{SyncMode, Wal, WalConfig};

/// Counts syncs and their total time, to show how many appends share one.
#[derive(Default)]
struct SyncStats {
    count: AtomicU64,
    nanos: AtomicU64,
}

/// The real log directory, adding each file sync's time to `stats`.
fn counting_dir(path: &Path, stats: Arc<SyncStats>) -> HookedStorage<FsStorage> {
    let hook: Arc<SyncHook> = Arc::new(move |sync: &mut dyn FnMut() -> io::Result<()>| {
        let started = Instant::now();
        let result = sync();
        stats.count.fetch_add(1, Ordering::Relaxed);
        stats
            .nanos
            .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        result
    });
    HookedStorage::new(FsStorage::new(path), hook)
}

const SERIES: usize = 100;

fn tempdir() -> tempfile::TempDir {
    match std::env::var("SKULK_WAL_BENCH_DIR") {
        Ok(dir) => tempfile::tempdir_in(dir).unwrap(),
        Err(_) => tempfile::tempdir().unwrap(),
    }
}

fn series() -> Vec<Arc<SeriesMeta>> {
    (0..SERIES)
        .map(|i| {
            let labels = vec![
                ("host".to_string(), format!("host-{i:03}")),
                ("dc".into(), "eu".into()),
            ];
            Arc::new(SeriesMeta::new("cpu.usage", labels))
        })
        .collect()
}

/// A batch of `n` points, fixed seed: random-walk values, 10 s steps.
fn batch(series: &[Arc<SeriesMeta>], n: usize, start: usize) -> Vec<DataPoint> {
    (start..start + n)
        .map(|i| {
            let s = &series[i % series.len()];
            let value = ((i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40) as f64 / 1e3;
            DataPoint::for_series(
                Arc::clone(s),
                1_700_000_000_000_000_000 + i as i64 * 10_000_000_000,
                value,
            )
        })
        .collect()
}

fn config(sync_mode: SyncMode) -> WalConfig {
    WalConfig {
        sync_mode,
        ..WalConfig::default()
    }
}

/// One writer appending records of `points` points for about `budget`.
fn throughput(mode: SyncMode, points: usize, budget: Duration) -> (f64, f64) {
    let dir = tempdir();
    let (wal, _) = Wal::open(dir.path(), config(mode)).unwrap();
    let series = series();
    let batches: Vec<Vec<DataPoint>> = (0..64)
        .map(|b| batch(&series, points, b * points))
        .collect();
    wal.append_points(&batches[0]).unwrap();
    let start = Instant::now();
    let mut records = 0usize;
    while start.elapsed() < budget {
        wal.append_points(&batches[records % batches.len()])
            .unwrap();
        records += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    (records as f64 / secs, (records * points) as f64 / secs)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p) as usize]
}

/// `writers` threads appending one-point records under Fsync.
fn concurrent(writers: usize, budget: Duration) -> (f64, Duration, Duration, f64, Duration) {
    let dir = tempdir();
    let stats = Arc::new(SyncStats::default());
    let counting = counting_dir(dir.path(), Arc::clone(&stats));
    let (wal, _) = Wal::open_in(Arc::new(counting), "", config(SyncMode::Fsync)).unwrap();
    let syncs_before = stats.count.load(Ordering::Relaxed);
    let nanos_before = stats.nanos.load(Ordering::Relaxed);
    let series = series();
    let start = Instant::now();
    let mut latencies: Vec<Duration> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                let (wal, series) = (&wal, &series);
                s.spawn(move || {
                    let mut lat = Vec::new();
                    let mut i = w;
                    while start.elapsed() < budget {
                        let p = batch(series, 1, i);
                        let t = Instant::now();
                        wal.append_points(&p).unwrap();
                        lat.push(t.elapsed());
                        i += writers;
                    }
                    lat
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let secs = start.elapsed().as_secs_f64();
    latencies.sort();
    let rate = latencies.len() as f64 / secs;
    let syncs = stats.count.load(Ordering::Relaxed) - syncs_before;
    let sync_nanos = stats.nanos.load(Ordering::Relaxed) - nanos_before;
    let per_sync = latencies.len() as f64 / syncs.max(1) as f64;
    let mean_sync = Duration::from_nanos(sync_nanos / syncs.max(1));
    (
        rate,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        per_sync,
        mean_sync,
    )
}

/// Writes `records` records of 1000 points, then times recovery.
fn recovery(records: usize) -> (f64, f64, u64) {
    let dir = tempdir();
    let series = series();
    {
        let (wal, _) = Wal::open(dir.path(), config(SyncMode::None)).unwrap();
        for r in 0..records {
            wal.append_points(&batch(&series, 1000, r * 1000)).unwrap();
        }
    }
    let bytes: u64 = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    let t = Instant::now();
    let rec = Wal::recover(dir.path()).unwrap();
    let scan = t.elapsed().as_secs_f64();
    let points = rec.data_points().unwrap();
    let resolve = t.elapsed().as_secs_f64();
    let n: usize = points.iter().map(|(_, p)| p.len()).sum();
    assert_eq!(n, records * 1000);
    (n as f64 / scan, n as f64 / resolve, bytes)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let budget = Duration::from_millis(700);
    let only_concurrent = std::env::var("SKULK_WAL_BENCH_ONLY").as_deref() == Ok("concurrent");
    println!("## Throughput, one writer (records of N points)\n");
    println!("| sync mode | points/record | records/s | points/s |");
    println!("|-----------|--------------:|----------:|---------:|");
    for mode in [SyncMode::None, SyncMode::Fdatasync, SyncMode::Fsync] {
        for points in [1, 100, 1000] {
            if only_concurrent {
                continue;
            }
            let (records, pts) = throughput(mode, points, budget);
            println!("| {mode:?} | {points} | {records:.0} | {pts:.0} |");
        }
    }
    println!("\n## Group commit under Fsync, one-point records\n");
    println!("| writers | appends/s | p50 latency | p99 latency | appends/sync | mean fsync |");
    println!("|--------:|----------:|------------:|------------:|-------------:|-----------:|");
    for writers in [1, 4, 16] {
        let (rate, p50, p99, per_sync, mean_sync) = concurrent(writers, Duration::from_secs(1));
        println!(
            "| {writers} | {rate:.0} | {p50:.2?} | {p99:.2?} | {per_sync:.1} | {mean_sync:.2?} |"
        );
    }
    println!("\n## Recovery (records of 1000 points, {SERIES} series)\n");
    println!("| points | log bytes | scan points/s | scan + resolve points/s |");
    println!("|-------:|----------:|--------------:|------------------------:|");
    let (scan, resolve, bytes) = recovery(2000);
    println!("| {} | {bytes} | {scan:.0} | {resolve:.0} |", 2000 * 1000);
}
