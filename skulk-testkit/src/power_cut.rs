//! Whole-engine power loss at every sync point, on the simulated disk.
//!
//! [`run_power_cuts`] plays a scripted run (writes, flushes, compactions,
//! retention, deletes, restarts) on an engine whose every file lives on one
//! [`SimFs`], once to count its sync points (file and directory syncs),
//! then once per sync point with the power cut there: that sync and
//! everything after it fail, the disk keeps what [`PowerLoss`] says, the
//! engine is reopened twice in a row, and what it holds is checked against
//! what was written:
//!
//! - **lost**: a point whose last acknowledged write is missing or has an
//!   older value (retention aside: a point of a partition that had expired
//!   when the power went out may be gone); an acknowledged delete counts as
//!   a write of "no point", so a deleted point that comes back is invented;
//! - **invented**: a point that was never written, or whose value is not
//!   its last acknowledged write or a later, unacknowledged one;
//! - **unstable**: the second reopen reads something else than the first.
//!
//! Under a syncing mode all three must be zero; under `SyncMode::None`
//! acknowledged writes may be lost, which is how the harness shows it can
//! see loss.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use skulk_engine::{Engine, EngineConfig, ManualClock, OpenOptions, SeriesSelector, SyncMode};
use skulk_format::{DataPoint, SeriesMeta, TimePartition, TimeRange};

use crate::engine_suite::{Op, Snapshot, read_engine};
use crate::generators::SplitMix64;
use crate::sim_fs::{OpSet, PowerLoss, SimFs};

/// Every write of one (series, timestamp): value bits (`None`: deleted),
/// acknowledged.
type History = BTreeMap<(SeriesMeta, i64), Vec<(Option<u64>, bool)>>;

/// Nanoseconds per partition in [`power_cut_config`] and [`power_cut_script`].
pub const PARTITION_NS: i64 = 1_000;

/// A small engine configuration that reaches every sync site quickly:
/// 1 µs partitions, 256-byte WAL segments, 8-point blocks, partial flushes
/// beyond 3 active partitions, retention of 4 partitions, nothing in the
/// background.
pub fn power_cut_config(sync_mode: SyncMode) -> EngineConfig {
    let mut config = EngineConfig {
        partition_duration: Some(Duration::from_nanos(PARTITION_NS as u64)),
        retention: Some(Duration::from_nanos(4 * PARTITION_NS as u64)),
        flush_points: 0,
        flush_size_bytes: 0,
        flush_age: None,
        max_active_partitions: 3,
        compaction_min_files: 3,
        block_points: 8,
        query_threads: 1,
        background: false,
        ..EngineConfig::default()
    };
    config.wal.sync_mode = sync_mode;
    config.wal.segment_size = skulk_wal::MIN_SEGMENT_SIZE;
    config
}

/// A scripted run: batches over three series moving forward in time (with
/// overwrites of earlier points and special values), flushes, compactions,
/// retention as the clock follows the data, a clean restart and a crash.
pub fn power_cut_script(seed: u64) -> Vec<Op> {
    let mut rng = SplitMix64::new(seed);
    let mut batch = |base: i64| -> Op {
        let points = (0..12)
            .map(|i| {
                let series = rng.below(3);
                let meta = Arc::new(SeriesMeta::new(
                    "power",
                    vec![("s".to_string(), series.to_string())],
                ));
                let ts = base + rng.below(2 * PARTITION_NS as u64) as i64;
                let bits = match i % 4 {
                    0 => 0x7ff8_0000_0000_0000 | rng.below(1 << 20),
                    1 => (-0.0f64).to_bits(),
                    _ => rng.next_u64(),
                };
                DataPoint::for_series(meta, ts, f64::from_bits(bits))
            })
            .collect();
        Op::Write(points)
    };
    let step = Duration::from_nanos(PARTITION_NS as u64);
    let delete = |series: u64, start: i64, end: i64| {
        let meta = SeriesMeta::new("power", vec![("s".to_string(), series.to_string())]);
        let range = TimeRange::new(start, end);
        Op::Delete(Arc::new(meta), range.unwrap_or(TimeRange::ALL))
    };
    vec![
        batch(0),
        batch(500),
        Op::Flush,
        batch(1_000),
        batch(200),
        Op::Flush,
        batch(2_500),
        delete(1, 0, 2_000),
        Op::Compact,
        batch(4_000),
        Op::Retention(step * 3),
        batch(5_000),
        Op::Restart,
        batch(6_000),
        delete(2, 5_500, 7_000),
        batch(7_500),
        Op::Flush,
        Op::Crash,
        batch(8_000),
        Op::Compact,
        Op::Retention(step * 4),
        batch(9_000),
        Op::Flush,
    ]
}

/// What one cut found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CutOutcome {
    /// Acknowledged points missing or older than acknowledged.
    pub lost: usize,
    /// Points never written, or with a value that cannot be.
    pub invented: usize,
    /// The second reopen read something else than the first.
    pub unstable: bool,
    /// Reopening failed (with the message).
    pub open_error: Option<String>,
}

/// What [`run_power_cuts`] found over every cut.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PowerReport {
    /// Sync points of the whole run.
    pub syncs: u64,
    /// Cuts tried (sync points times power-loss modes).
    pub cuts: usize,
    /// Cuts after which some acknowledged point was lost.
    pub cuts_with_loss: usize,
    /// Acknowledged points lost, summed over every cut.
    pub lost: usize,
    /// Invented points, summed over every cut.
    pub invented: usize,
    /// Cuts whose two reopens disagreed.
    pub unstable: usize,
    /// Reopen failures, as `cut k: message`.
    pub open_errors: Vec<String>,
}

impl PowerReport {
    /// True when nothing acknowledged was lost, nothing invented, every
    /// reopen worked and agreed with the next.
    pub fn is_clean(&self) -> bool {
        self.lost == 0 && self.invented == 0 && self.unstable == 0 && self.open_errors.is_empty()
    }
}

/// Plays `script` with the power cut at every sync point, for each of
/// `losses`; see the module documentation.
pub fn run_power_cuts(config: &EngineConfig, script: &[Op], losses: &[PowerLoss]) -> PowerReport {
    let syncs = {
        let disk = SimFs::new();
        let _ = play(&disk, config, script);
        disk.count(OpSet::Syncs)
    };
    let mut report = PowerReport {
        syncs,
        ..PowerReport::default()
    };
    for cut in 0..=syncs {
        for loss in losses {
            let outcome = one_cut(config, script, cut, *loss);
            report.cuts += 1;
            report.lost += outcome.lost;
            report.invented += outcome.invented;
            report.cuts_with_loss += usize::from(outcome.lost > 0);
            report.unstable += usize::from(outcome.unstable);
            if let Some(e) = outcome.open_error {
                report
                    .open_errors
                    .push(format!("cut {cut} ({loss:?}): {e}"));
            }
        }
    }
    report
}

/// The script with the power cut at sync point `cut`, then `loss`.
pub fn one_cut(config: &EngineConfig, script: &[Op], cut: u64, loss: PowerLoss) -> CutOutcome {
    let disk = SimFs::new();
    disk.cut_power_at(OpSet::Syncs, cut);
    let played = play(&disk, config, script);
    disk.power_cycle(loss);
    let reopen = || -> Result<Snapshot, String> {
        let engine = open(&disk, config, played.clock)?;
        read_engine(&engine)
    };
    let first = match reopen() {
        Ok(snapshot) => snapshot,
        Err(e) => {
            return CutOutcome {
                open_error: Some(e),
                ..CutOutcome::default()
            };
        }
    };
    let partition = config.partition_duration.unwrap_or_default();
    let mut outcome = judge(&played, &first, partition);
    match reopen() {
        Ok(second) => outcome.unstable = second != first,
        Err(e) => outcome.open_error = Some(format!("second reopen: {e}")),
    }
    outcome
}

/// What a run wrote and how far retention went.
struct Played {
    history: History,
    clock: i64,
    /// The highest retention cutoff tried.
    cutoff: Option<i64>,
}

fn open(disk: &SimFs, config: &EngineConfig, clock: i64) -> Result<Engine, String> {
    let options = OpenOptions::on(Arc::new(disk.clone()))
        .config(config.clone())
        .clock(Arc::new(ManualClock::new(clock)));
    Engine::open_with(options).map_err(|e| e.to_string())
}

/// Runs `script` until its first error (the power cut).
fn play(disk: &SimFs, config: &EngineConfig, script: &[Op]) -> Played {
    let mut played = Played {
        history: History::new(),
        clock: 0,
        cutoff: None,
    };
    let mut engine = open(disk, config, 0).ok();
    for op in script {
        let Some(live) = engine.take() else {
            break;
        };
        engine = step(live, op, disk, config, &mut played);
    }
    played
}

/// Runs one step; the engine to go on with, `None` after an error.
fn step(
    engine: Engine,
    op: &Op,
    disk: &SimFs,
    config: &EngineConfig,
    played: &mut Played,
) -> Option<Engine> {
    let ok = match op {
        Op::Write(points) => {
            let ok = engine.write_batch(points).is_ok();
            for p in points {
                let key = (SeriesMeta::clone(&p.series), p.timestamp);
                played
                    .history
                    .entry(key)
                    .or_default()
                    .push((Some(p.value.to_bits()), ok));
            }
            ok
        }
        Op::Delete(series, range) => {
            let selector = SeriesSelector::Exact(SeriesMeta::clone(series));
            let ok = engine.delete(&selector, *range).is_ok();
            for ((meta, ts), writes) in played.history.iter_mut() {
                if meta == &**series && range.contains(*ts) {
                    writes.push((None, ok));
                }
            }
            ok
        }
        Op::Flush => engine.flush().is_ok(),
        Op::Compact => engine.compact().is_ok(),
        Op::Retention(advance) => {
            // The clock is fixed at open: retention at a new time reopens.
            drop(engine);
            played.clock += i64::try_from(advance.as_nanos()).unwrap_or(i64::MAX);
            let ttl = config.retention.map_or(0, |d| d.as_nanos() as i64);
            let cutoff = played.clock.saturating_sub(ttl);
            played.cutoff = Some(played.cutoff.map_or(cutoff, |c| c.max(cutoff)));
            let engine = open(disk, config, played.clock).ok()?;
            return engine.apply_retention().is_ok().then_some(engine);
        }
        Op::Restart => {
            engine.close().ok()?;
            return open(disk, config, played.clock).ok();
        }
        Op::Crash => {
            drop(engine);
            return open(disk, config, played.clock).ok();
        }
    };
    ok.then_some(engine)
}

/// Compares what a reopen read with what was written.
fn judge(played: &Played, got: &Snapshot, partition: Duration) -> CutOutcome {
    let expired = |ts: i64| {
        played.cutoff.is_some_and(|cutoff| {
            TimePartition::containing(ts, partition).is_ok_and(|p| p.end_ts() <= cutoff)
        })
    };
    let mut outcome = CutOutcome::default();
    for (key, writes) in &played.history {
        let last_acked = writes.iter().rposition(|(_, acked)| *acked);
        let allowed = &writes[last_acked.unwrap_or(0)..];
        match got.get(key) {
            Some(bits) if allowed.iter().any(|(v, _)| *v == Some(*bits)) => {}
            Some(_) => outcome.invented += 1,
            None if allowed.iter().any(|(v, _)| v.is_none()) => {}
            None if last_acked.is_some() && !expired(key.1) => outcome.lost += 1,
            None => {}
        }
    }
    outcome.invented += got
        .keys()
        .filter(|k| !played.history.contains_key(k))
        .count();
    outcome
}
