//! The kill -9 crash harness.
//!
//! A writer child process opens the engine under `SyncMode::Fsync` and
//! writes deterministic batches (batch `i` is a pure function of the seed
//! and `i`), printing `ACK i` once `write_batch` returned; it also flushes
//! and compacts now and then, and the engine's background thread flushes on
//! its own, so kills land in the middle of those too. Retention runs on a
//! clock that follows the data (the timestamp of the batch being written),
//! so old partitions are dropped as the run goes on, deterministically.
//! The parent kills it
//! with SIGKILL after a random delay, reopens the directory, and checks:
//!
//! - every point of every acknowledged batch is present with its value
//!   (a missing one counts as *lost*; must be 0), unless its partition had
//!   expired by the child's clock (retention may have dropped it);
//! - every point present belongs to a batch that was acknowledged or was
//!   in flight, with exactly the value written (anything else is
//!   *garbage*; must be 0);
//! - every few cycles, a second reopen reads the same state.
//!
//! The next child continues after the last acknowledged batch. The binary
//! `skulk-crash` (feature `engine`) is both the child and a soak runner:
//! `cargo run --release -p skulk-testkit --features engine --bin skulk-crash -- soak 500`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use skulk_engine::{Engine, EngineConfig, ManualClock, OpenOptions, SyncMode};
use skulk_format::{DataPoint, SeriesMeta, TimePartition};

use crate::engine_suite::{Snapshot, read_engine};
use crate::generators::{START_2024_NS, SplitMix64};

/// Points per batch written by the child.
pub const POINTS_PER_BATCH: usize = 40;
/// Number of series the batches spread over.
pub const SERIES: usize = 8;
/// Nanoseconds between consecutive points (one second).
const STEP_NS: i64 = 1_000_000_000;
/// Partition length: 6 batches.
const PARTITION: Duration = Duration::from_secs(240);
/// Retention, on the data clock: the last 30 to 36 batches are kept. A
/// cycle writes fewer, so every batch is checked at least once before it
/// may expire.
const RETENTION: Duration = Duration::from_secs(1200);

/// The engine configuration of the child and of the checking parent.
pub fn engine_config() -> EngineConfig {
    let mut config = EngineConfig {
        partition_duration: Some(PARTITION),
        retention: Some(RETENTION),
        flush_points: 2_000,
        flush_age: Some(Duration::from_millis(50)),
        compaction_min_files: 3,
        block_points: 64,
        query_threads: 1,
        background: true,
        maintenance_interval: Duration::from_millis(5),
        ..EngineConfig::default()
    };
    config.wal.sync_mode = SyncMode::Fsync;
    config.wal.segment_size = 64 << 10;
    config
}

fn series(index: usize) -> SeriesMeta {
    SeriesMeta::new("crash", vec![("w".to_string(), index.to_string())])
}

/// The value bits of point `j` of batch `i`: NaN payloads, `-0.0` and
/// ordinary numbers, all distinct per point.
fn value_bits(seed: u64, batch: u64, j: usize) -> u64 {
    let mut rng = SplitMix64::new(seed ^ (batch << 16) ^ j as u64);
    match rng.below(8) {
        0 => 0x7ff8_0000_0000_0000 | (batch << 8) | j as u64,
        1 if j == 0 => (-0.0f64).to_bits(),
        _ => (batch as f64 * 1000.0 + j as f64 + 0.25).to_bits(),
    }
}

/// The timestamp of point `j` of batch `i` (unique per point).
fn timestamp(batch: u64, j: usize) -> i64 {
    START_2024_NS + (batch as i64 * POINTS_PER_BATCH as i64 + j as i64) * STEP_NS
}

/// The child's clock while it writes `batch`: the batch's last timestamp.
fn data_clock(batch: u64) -> i64 {
    timestamp(batch, POINTS_PER_BATCH - 1)
}

/// True when retention may have dropped the point at `ts` once the data
/// clock reached `clock`.
fn expired(ts: i64, clock: i64) -> bool {
    let ttl = i64::try_from(RETENTION.as_nanos()).unwrap_or(i64::MAX);
    TimePartition::containing(ts, PARTITION).is_ok_and(|p| p.end_ts() <= clock.saturating_sub(ttl))
}

/// Batch `batch` of the child with `seed`.
pub fn crash_batch(seed: u64, batch: u64) -> Vec<DataPoint> {
    let metas: Vec<Arc<SeriesMeta>> = (0..SERIES).map(|s| Arc::new(series(s))).collect();
    (0..POINTS_PER_BATCH)
        .map(|j| {
            let meta = Arc::clone(&metas[j % SERIES]);
            DataPoint::for_series(
                meta,
                timestamp(batch, j),
                f64::from_bits(value_bits(seed, batch, j)),
            )
        })
        .collect()
}

/// The child: opens `dir`, writes batches from `first_batch` on, printing
/// `ACK <batch>` after each acknowledged one, until `last_batch` or killed.
/// Errors are printed as `ERR <message>`.
pub fn run_child(dir: &Path, seed: u64, first_batch: u64, last_batch: u64) -> Result<(), String> {
    let clock = Arc::new(ManualClock::new(data_clock(first_batch)));
    let engine = OpenOptions::new(dir)
        .and_then(|o| Engine::open_with(o.config(engine_config()).clock(clock.clone())))
        .map_err(|e| e.to_string())?;
    let stdout = std::io::stdout();
    for batch in first_batch..=last_batch {
        clock.set(data_clock(batch));
        engine
            .write_batch(&crash_batch(seed, batch))
            .map_err(|e| e.to_string())?;
        let mut out = stdout.lock();
        writeln!(out, "ACK {batch}")
            .and_then(|()| out.flush())
            .map_err(|e| e.to_string())?;
        drop(out);
        if batch % 7 == 3 {
            engine.flush().map_err(|e| e.to_string())?;
        }
        if batch % 23 == 11 {
            engine.compact().map_err(|e| e.to_string())?;
        }
        if batch % 13 == 5 {
            engine.apply_retention().map_err(|e| e.to_string())?;
        }
    }
    engine.close().map_err(|e| e.to_string())
}

/// What the parent runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrashConfig {
    /// Kill-and-check cycles.
    pub cycles: usize,
    /// Seed of the data and of the kill delays.
    pub seed: u64,
    /// Shortest delay before the kill, counted from the child's first ACK
    /// (so that the kill does not always hit the open).
    pub min_kill_delay: Duration,
    /// Longest delay before the kill.
    pub max_kill_delay: Duration,
    /// Reopen twice and compare every this many cycles (0: never).
    pub double_reopen_every: usize,
}

impl Default for CrashConfig {
    fn default() -> Self {
        Self {
            cycles: 5,
            seed: 0x5eed,
            min_kill_delay: Duration::ZERO,
            max_kill_delay: Duration::from_millis(120),
            double_reopen_every: 4,
        }
    }
}

/// The outcome of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CrashReport {
    /// Cycles run.
    pub cycles: usize,
    /// Batches acknowledged over all cycles.
    pub acked_batches: u64,
    /// Points in acknowledged batches (counting a rewritten batch once).
    pub acked_points: u64,
    /// Acknowledged points missing after a reopen: must be 0.
    pub points_lost: u64,
    /// Points present that were never written, or with another value:
    /// must be 0.
    pub garbage_points: u64,
    /// Unacknowledged in-flight batches found complete after the reopen
    /// (allowed).
    pub in_flight_recovered: u64,
    /// Acknowledged points missing because retention dropped their
    /// partition (allowed), at the last check.
    pub expired_points: u64,
    /// Retention drops seen: partitions that were readable at one check
    /// and gone at the next.
    pub partitions_dropped: u64,
    /// Cycles whose second reopen differed from the first: must be 0.
    pub unstable_reopens: u64,
    /// Longest reopen (recovery) time seen.
    pub max_reopen: Duration,
    /// The first problems, for the message.
    pub problems: Vec<String>,
}

impl CrashReport {
    /// True when nothing was lost, invented or unstable.
    pub fn is_clean(&self) -> bool {
        self.points_lost == 0 && self.garbage_points == 0 && self.unstable_reopens == 0
    }
}

/// Spawns `exe child <dir> <seed> <first>`, kills it after `delay` from
/// its first ACK (from its start when `early`, to hit recovery), and
/// returns the acknowledged batches.
fn run_one_child(
    exe: &Path,
    dir: &Path,
    seed: u64,
    first: u64,
    delay: Duration,
    early: bool,
) -> Result<Vec<u64>, String> {
    let mut child = Command::new(exe)
        .arg("child")
        .arg(dir)
        .arg(seed.to_string())
        .arg(first.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("spawning {}: {e}", exe.display()))?;
    let stdout = child.stdout.take().ok_or("no child stdout")?;
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    let started = Instant::now();
    if early {
        std::thread::sleep(delay / 4);
    } else {
        // Wait for the first ACK (open done) for at most 20 s, then the delay.
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(line) => lines.push(line),
            Err(_) => lines.push(format!(
                "ERR no ACK within 20 s (after {:?})",
                started.elapsed()
            )),
        }
        std::thread::sleep(delay);
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = reader.join();
    lines.extend(rx.try_iter());
    let mut acked = Vec::new();
    for line in lines {
        match line.strip_prefix("ACK ").map(str::parse::<u64>) {
            Some(Ok(batch)) => acked.push(batch),
            _ if line.starts_with("ERR") => return Err(format!("child: {line}")),
            _ => return Err(format!("unexpected child output: {line}")),
        }
    }
    Ok(acked)
}

/// Checks `snapshot` against the batches: `acked_through` and everything
/// before it must be there; `in_flight` may be.
fn check(snapshot: &Snapshot, seed: u64, acked_through: Option<u64>, report: &mut CrashReport) {
    let mut present: BTreeMap<u64, usize> = BTreeMap::new();
    let limit = acked_through.map_or(0, |b| b + 1);
    for ((meta, ts), bits) in snapshot {
        let offset = (ts - START_2024_NS) / STEP_NS;
        let (batch, j) = (
            (offset / POINTS_PER_BATCH as i64) as u64,
            (offset % POINTS_PER_BATCH as i64) as usize,
        );
        let valid = (ts - START_2024_NS) % STEP_NS == 0
            && offset >= 0
            && batch <= limit
            && *meta == series(j % SERIES)
            && *bits == value_bits(seed, batch, j);
        if valid {
            *present.entry(batch).or_default() += 1;
        } else {
            report.garbage_points += 1;
            if report.problems.len() < 10 {
                report
                    .problems
                    .push(format!("garbage point {meta} @ {ts} = {bits:#x}"));
            }
        }
    }
    let clock = data_clock(limit);
    report.expired_points = 0;
    if let Some(last) = acked_through {
        for batch in 0..=last {
            let found = present.get(&batch).copied().unwrap_or(0);
            if found < POINTS_PER_BATCH && expired(timestamp(batch, POINTS_PER_BATCH - 1), clock) {
                report.expired_points += (POINTS_PER_BATCH - found) as u64;
            } else if found < POINTS_PER_BATCH {
                report.points_lost += (POINTS_PER_BATCH - found) as u64;
                if report.problems.len() < 10 {
                    report.problems.push(format!(
                        "acknowledged batch {batch}: {found} of {POINTS_PER_BATCH} points"
                    ));
                }
            }
        }
    }
    if present.get(&limit) == Some(&POINTS_PER_BATCH) {
        report.in_flight_recovered += 1;
    }
}

/// Partitions that held points in `before` and hold none in `after`.
fn dropped_since(before: Option<&Snapshot>, after: &Snapshot) -> u64 {
    let partitions = |s: &Snapshot| -> std::collections::BTreeSet<i64> {
        s.keys()
            .map(|(_, ts)| ts.div_euclid(PARTITION.as_nanos() as i64))
            .collect()
    };
    before.map_or(0, |b| {
        partitions(b).difference(&partitions(after)).count() as u64
    })
}

fn reopen_and_read(dir: &Path, clock: i64) -> Result<(Snapshot, Duration), String> {
    let started = Instant::now();
    let config = EngineConfig {
        background: false,
        ..engine_config()
    };
    let clock = Arc::new(ManualClock::new(clock));
    let engine = OpenOptions::new(dir)
        .and_then(|o| Engine::open_with(o.config(config).clock(clock)))
        .map_err(|e| format!("reopen: {e}"))?;
    let elapsed = started.elapsed();
    let snapshot = read_engine(&engine)?;
    // Dropped, not closed: the next child recovers from the same state.
    drop(engine);
    Ok((snapshot, elapsed))
}

/// Runs the kill -9 cycles with the child binary `exe` (which must run
/// [`run_child`] for `child <dir> <seed> <first_batch>`) on a fresh
/// directory `dir`.
pub fn run_crash_cycles(
    exe: &Path,
    dir: &Path,
    config: &CrashConfig,
) -> Result<CrashReport, String> {
    let mut rng = SplitMix64::new(config.seed);
    let mut report = CrashReport::default();
    let mut acked_through: Option<u64> = None;
    let mut previous: Option<Snapshot> = None;
    let span = config
        .max_kill_delay
        .saturating_sub(config.min_kill_delay)
        .as_micros() as u64;
    for cycle in 0..config.cycles {
        let delay = config.min_kill_delay + Duration::from_micros(rng.below(span.max(1)));
        let first = acked_through.map_or(0, |b| b + 1);
        let early = rng.below(5) == 0;
        let acked = run_one_child(exe, dir, config.seed, first, delay, early)?;
        if let Some(&last) = acked.iter().max() {
            report.acked_batches += acked.len() as u64;
            acked_through = Some(last);
        }
        let clock = data_clock(acked_through.map_or(0, |b| b + 1));
        let (snapshot, took) = reopen_and_read(dir, clock)?;
        report.max_reopen = report.max_reopen.max(took);
        report.partitions_dropped += dropped_since(previous.as_ref(), &snapshot);
        check(&snapshot, config.seed, acked_through, &mut report);
        if config.double_reopen_every > 0 && cycle % config.double_reopen_every == 0 {
            let (again, _) = reopen_and_read(dir, clock)?;
            if again != snapshot {
                report.unstable_reopens += 1;
                report.problems.push(format!(
                    "cycle {cycle}: a second reopen read different data"
                ));
            }
        }
        previous = Some(snapshot);
        report.cycles += 1;
    }
    report.acked_points = acked_through.map_or(0, |b| (b + 1) * POINTS_PER_BATCH as u64);
    Ok(report)
}

/// A fresh directory for a soak run: `SKULK_CRASH_DIR` or a temporary one.
pub fn soak_dir() -> std::io::Result<(PathBuf, Option<tempfile::TempDir>)> {
    match std::env::var_os("SKULK_CRASH_DIR") {
        Some(dir) => Ok((PathBuf::from(dir), None)),
        None => {
            let temp = tempfile::tempdir()?;
            Ok((temp.path().join("db"), Some(temp)))
        }
    }
}
