//! Engine conformance: a model-based scenario runner.
//!
//! A scenario is a list of [`Op`]s (writes, flushes, compactions,
//! retention, clean restarts, crashes). [`run_scenario`] applies each to an
//! engine and to an in-memory model (a `BTreeMap` of series and timestamp to
//! value bits, last write wins) and after every operation compares a full
//! read of the engine with the model, bit for bit.
//!
//! A crash here is the engine dropped without `close()`: everything its
//! writes acknowledged was handed to the OS, so a process crash must lose
//! nothing. (Power loss and `kill -9` are the crash harness's job, see
//! [`crate::crash`].)
//!
//! Engines are adapted through [`EngineUnderTest`]; Skulk's own engine is
//! [`SkulkEngine`].

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use skulk_engine::{
    Engine, EngineConfig, ManualClock, OpenOptions, Query, SeriesSelector, SyncMode,
};
use skulk_format::{DataPoint, SeriesMeta, TimePartition, TimeRange};

use crate::generators::SplitMix64;

/// Everything an engine holds: (series, timestamp) to value bits.
pub type Snapshot = BTreeMap<(SeriesMeta, i64), u64>;

/// What the scenario needs to know about the engine's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScenarioConfig {
    /// Length of a time partition.
    pub partition_duration: Duration,
    /// Retention: partitions ending at or before `now - retention` go.
    pub retention: Duration,
    /// Points after which the engine flushes on its own (small, so that
    /// flushes and compactions also happen inside writes).
    pub flush_points: u64,
    /// The clock at the start.
    pub start_ns: i64,
}

impl Default for ScenarioConfig {
    fn default() -> Self {
        Self {
            partition_duration: Duration::from_secs(3600),
            retention: Duration::from_secs(4 * 3600),
            flush_points: 64,
            start_ns: crate::generators::START_2024_NS,
        }
    }
}

/// An engine the scenario runner can drive. Errors are messages: the
/// runner only reports them.
pub trait EngineUnderTest: Sized {
    /// Opens (or reopens) the engine in `dir` with its clock at `now_ns`.
    fn open(dir: &Path, config: &ScenarioConfig, now_ns: i64) -> Result<Self, String>;
    /// Writes a batch; `Ok` means acknowledged.
    fn write_batch(&self, points: &[DataPoint]) -> Result<(), String>;
    /// Flushes memtables to files.
    fn flush(&self) -> Result<(), String>;
    /// Compacts files.
    fn compact(&self) -> Result<(), String>;
    /// Sets the clock to `now_ns` and applies retention.
    fn apply_retention(&self, now_ns: i64) -> Result<(), String>;
    /// Deletes the points of `series` in `range`; `Ok` means acknowledged.
    fn delete(&self, series: &SeriesMeta, range: TimeRange) -> Result<(), String>;
    /// Reads every point of every series.
    fn read_all(&self) -> Result<Snapshot, String>;
    /// Closes cleanly.
    fn close(self) -> Result<(), String>;
    /// Stops without any cleanup, as a crashed process would.
    fn crash(self) {
        drop(self);
    }
}

/// Skulk's engine with a manual clock, background work off (so a scenario
/// is deterministic) and `SyncMode::None` (a process crash loses nothing
/// written; durability across power loss is not what this suite tests).
#[derive(Debug)]
pub struct SkulkEngine {
    engine: Engine,
    clock: Arc<ManualClock>,
}

impl SkulkEngine {
    /// The engine configuration used for `config`.
    pub fn engine_config(config: &ScenarioConfig) -> EngineConfig {
        let mut c = EngineConfig {
            partition_duration: Some(config.partition_duration),
            retention: Some(config.retention),
            flush_points: config.flush_points,
            flush_age: None,
            compaction_min_files: 3,
            max_active_partitions: 0,
            block_points: 16,
            query_threads: 1,
            background: false,
            ..EngineConfig::default()
        };
        c.wal.sync_mode = SyncMode::None;
        c.wal.segment_size = 4096;
        c
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }
}

fn msg(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl EngineUnderTest for SkulkEngine {
    fn open(dir: &Path, config: &ScenarioConfig, now_ns: i64) -> Result<Self, String> {
        let clock = Arc::new(ManualClock::new(now_ns));
        let engine = OpenOptions::new(dir)
            .and_then(|o| {
                Engine::open_with(o.config(Self::engine_config(config)).clock(clock.clone()))
            })
            .map_err(msg)?;
        Ok(Self { engine, clock })
    }

    fn write_batch(&self, points: &[DataPoint]) -> Result<(), String> {
        self.engine.write_batch(points).map_err(msg)
    }

    fn flush(&self) -> Result<(), String> {
        self.engine.flush().map(drop).map_err(msg)
    }

    fn compact(&self) -> Result<(), String> {
        self.engine.compact().map(drop).map_err(msg)
    }

    fn apply_retention(&self, now_ns: i64) -> Result<(), String> {
        self.clock.set(now_ns);
        self.engine.apply_retention().map(drop).map_err(msg)
    }

    fn delete(&self, series: &SeriesMeta, range: TimeRange) -> Result<(), String> {
        let selector = SeriesSelector::Exact(series.clone());
        self.engine.delete(&selector, range).map(drop).map_err(msg)
    }

    fn read_all(&self) -> Result<Snapshot, String> {
        read_engine(&self.engine)
    }

    fn close(self) -> Result<(), String> {
        self.engine.close().map_err(msg)
    }
}

/// Every point of every series of `engine`, by a raw query over all time.
pub fn read_engine(engine: &Engine) -> Result<Snapshot, String> {
    let query = Query::raw(SeriesSelector::all(), TimeRange::ALL);
    let mut out = Snapshot::new();
    for series in engine.query(&query).map_err(msg)? {
        for (ts, value) in series.timestamps.iter().zip(&series.values) {
            out.insert((SeriesMeta::clone(&series.series), *ts), value.to_bits());
        }
    }
    Ok(out)
}

/// One step of a scenario.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Write these points as one batch.
    Write(Vec<DataPoint>),
    /// Flush.
    Flush,
    /// Compact.
    Compact,
    /// Advance the clock by this much, then apply retention.
    Retention(Duration),
    /// Delete the points of a series in a time range.
    Delete(Arc<SeriesMeta>, TimeRange),
    /// Close cleanly and reopen.
    Restart,
    /// Drop without closing and reopen.
    Crash,
}

/// The in-memory model.
#[derive(Debug, Clone, Default)]
pub struct Model {
    points: Snapshot,
}

impl Model {
    /// Applies a write: last write wins.
    pub fn write(&mut self, points: &[DataPoint]) {
        for p in points {
            self.points.insert(
                (SeriesMeta::clone(&p.series), p.timestamp),
                p.value.to_bits(),
            );
        }
    }

    /// Drops every point whose partition ends at or before `cutoff`.
    pub fn apply_retention(&mut self, partition: Duration, cutoff: i64) {
        self.points.retain(|(_, ts), _| {
            TimePartition::containing(*ts, partition)
                .map(|p| p.end_ts() > cutoff || p.end_ts() == i64::MAX)
                .unwrap_or(true)
        });
    }

    /// Applies a delete.
    pub fn delete(&mut self, series: &SeriesMeta, range: TimeRange) {
        self.points
            .retain(|(meta, ts), _| meta != series || !range.contains(*ts));
    }

    /// What the engine must hold.
    pub fn snapshot(&self) -> &Snapshot {
        &self.points
    }
}

/// What a scenario did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScenarioReport {
    /// Operations applied.
    pub ops: usize,
    /// Points written (acknowledged).
    pub points_written: usize,
    /// Points held at the end.
    pub points_at_end: usize,
    /// Restarts and crashes.
    pub reopens: usize,
}

fn diff(got: &Snapshot, want: &Snapshot) -> String {
    let missing = want.iter().find(|(k, v)| got.get(*k) != Some(*v));
    let extra = got.iter().find(|(k, _)| !want.contains_key(*k));
    format!(
        "engine holds {} points, model {}; first missing or different: {missing:?}; first extra: {extra:?}",
        got.len(),
        want.len()
    )
}

/// Runs `ops` on a fresh engine of type `E` in `dir` and on the model,
/// comparing full reads after every step. Returns the first divergence.
///
/// ```
/// use skulk_testkit::engine_suite::{ScenarioConfig, SkulkEngine, random_scenario, run_scenario};
///
/// let config = ScenarioConfig::default();
/// let ops = random_scenario(7, 40, &config);
/// let dir = tempfile::tempdir()?;
/// let report = run_scenario::<SkulkEngine>(dir.path(), &config, &ops)?;
/// assert_eq!(report.ops, 40);
/// assert!(report.points_written > 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run_scenario<E: EngineUnderTest>(
    dir: &Path,
    config: &ScenarioConfig,
    ops: &[Op],
) -> Result<ScenarioReport, String> {
    let mut now = config.start_ns;
    let mut engine = E::open(dir, config, now)?;
    let mut model = Model::default();
    let mut report = ScenarioReport::default();
    for (step, op) in ops.iter().enumerate() {
        let at = |e: String| format!("step {step} ({}): {e}", op_name(op));
        match op {
            Op::Write(points) => {
                engine.write_batch(points).map_err(at)?;
                model.write(points);
                report.points_written += points.len();
            }
            Op::Flush => engine.flush().map_err(at)?,
            Op::Compact => engine.compact().map_err(at)?,
            Op::Delete(series, range) => {
                engine.delete(series, *range).map_err(at)?;
                model.delete(series, *range);
            }
            Op::Retention(advance) => {
                now = now.saturating_add(i64::try_from(advance.as_nanos()).unwrap_or(i64::MAX));
                engine.apply_retention(now).map_err(at)?;
                let ttl = i64::try_from(config.retention.as_nanos()).unwrap_or(i64::MAX);
                model.apply_retention(config.partition_duration, now.saturating_sub(ttl));
            }
            Op::Restart | Op::Crash => {
                if matches!(op, Op::Restart) {
                    engine.close().map_err(at)?;
                } else {
                    engine.crash();
                }
                engine = E::open(dir, config, now).map_err(at)?;
                report.reopens += 1;
            }
        }
        let got = engine.read_all().map_err(at)?;
        if &got != model.snapshot() {
            return Err(at(diff(&got, model.snapshot())));
        }
        report.ops += 1;
    }
    report.points_at_end = model.snapshot().len();
    engine.close()?;
    Ok(report)
}

fn op_name(op: &Op) -> String {
    match op {
        Op::Write(points) => format!("write {} points", points.len()),
        other => format!("{other:?}"),
    }
}

/// A seeded random scenario of `len` operations: mostly writes of 1 to 24
/// points over 5 series (overwrites, NaN payloads, `-0.0`, extremes of
/// `f64`), timestamps spread over the live partitions, with flushes,
/// compactions, retention, deletes, restarts and crashes mixed in.
pub fn random_scenario(seed: u64, len: usize, config: &ScenarioConfig) -> Vec<Op> {
    let mut rng = SplitMix64::new(seed);
    let series: Vec<Arc<SeriesMeta>> = (0..5)
        .map(|i| {
            Arc::new(SeriesMeta::new(
                "model",
                vec![("s".to_string(), i.to_string())],
            ))
        })
        .collect();
    let hour = 3_600_000_000_000_i64;
    let ttl = i64::try_from(config.retention.as_nanos()).unwrap_or(i64::MAX);
    let mut now = config.start_ns;
    let mut ops = Vec::with_capacity(len);
    for _ in 0..len {
        let op = match rng.below(100) {
            0..=64 => {
                // Only live partitions: a point at or after the cutoff lies
                // in a partition that ends after it.
                let cutoff = now.saturating_sub(ttl);
                let n = 1 + rng.below(24) as usize;
                let points = (0..n)
                    .map(|_| {
                        let meta = &series[rng.below(series.len() as u64) as usize];
                        // Coarse timestamps so that overwrites happen.
                        let ts = cutoff + (rng.below(600) as i64) * (hour / 60);
                        DataPoint::for_series(Arc::clone(meta), ts, value(&mut rng))
                    })
                    .collect();
                Op::Write(points)
            }
            65..=74 => Op::Flush,
            75..=81 => Op::Compact,
            82..=88 => {
                let advance = Duration::from_secs(rng.below(3 * 3600));
                now = now.saturating_add(i64::try_from(advance.as_nanos()).unwrap_or(0));
                Op::Retention(advance)
            }
            89..=93 => Op::Restart,
            94..=96 => {
                let meta = &series[rng.below(series.len() as u64) as usize];
                let start = now.saturating_sub(ttl) + (rng.below(600) as i64) * (hour / 60);
                let end = start.saturating_add((1 + rng.below(240) as i64) * (hour / 60));
                let range = TimeRange::new(start, end).unwrap_or(TimeRange::ALL);
                Op::Delete(Arc::clone(meta), range)
            }
            _ => Op::Crash,
        };
        ops.push(op);
    }
    ops
}

/// A proptest strategy of scenarios of up to `max_len` operations: a seed
/// for [`random_scenario`] and a length, so a failing case shrinks to the
/// shortest failing prefix.
pub fn scenario_strategy(
    config: ScenarioConfig,
    max_len: usize,
) -> impl proptest::strategy::Strategy<Value = Vec<Op>> {
    use proptest::strategy::Strategy;
    (proptest::arbitrary::any::<u64>(), 1..=max_len.max(1))
        .prop_map(move |(seed, len)| random_scenario(seed, len, &config))
}

fn value(rng: &mut SplitMix64) -> f64 {
    match rng.below(10) {
        0 => f64::from_bits(0x7ff8_0000_0000_0000 | rng.below(1 << 51)),
        1 => -0.0,
        2 => [
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN_POSITIVE / 4.0,
        ][rng.below(4) as usize],
        3..=5 => (rng.below(10_000) as f64) / 100.0,
        _ => f64::from_bits(rng.next_u64()),
    }
}
