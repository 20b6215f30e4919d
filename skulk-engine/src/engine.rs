//! `Engine`: the handle an application embeds.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

use skulk_format::storage::StorageLock;
use skulk_format::{DataPoint, SeriesId, SeriesMeta, TimePartition, TimeRange};
use skulk_wal::{Wal, WalError};

use crate::clock::Clock;
use crate::layout::Layout;
use crate::locks::{exclusive, guard, shared};
use crate::maintenance::Signal;
use crate::options::OpenOptions;
use crate::query::{CompiledSelector, Query, SeriesResult, SeriesSelector};
use crate::scan::PointScan;
use crate::state::State;
use crate::stats::{
    CompactionStats, DeleteStats, EngineStats, FlushStats, RecoveryStats, RetentionStats,
};
use crate::{EngineConfig, EngineError, Failure, Result};

/// An embedded Skulk database over one data directory.
///
/// `Send + Sync`: share it by reference (or in an `Arc`) between threads.
/// Writes go to the write-ahead log first, then to the memtables; queries
/// read a consistent snapshot (memtables and TSM files at one instant)
/// while writes continue. See the crate documentation for the lifecycle.
#[derive(Debug)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
    worker: Option<JoinHandle<()>>,
}

/// Shared by the handle and the background maintenance thread.
pub(crate) struct Inner {
    pub layout: Layout,
    pub config: EngineConfig,
    /// The directory's partition duration (its manifest's).
    pub partition: std::time::Duration,
    /// The time buckets files cover.
    pub levels: crate::levels::Levels,
    pub clock: Arc<dyn Clock>,
    /// The write-ahead log; `None` in a read-only engine.
    pub wal: Option<Wal>,
    /// The durable record of the directory (also updated by the WAL when it
    /// rolls over).
    pub manifest: Arc<Mutex<crate::manifest::Manifest>>,
    pub state: RwLock<State>,
    /// Writers hold it shared from their WAL append until their points are
    /// in the memtables; flush and retention take it exclusively so that
    /// every logged record is applied (or none is) at that instant.
    pub ingest: RwLock<()>,
    /// Serializes flush, compaction and retention.
    pub lifecycle: Mutex<()>,
    /// Highest LSN whose points are in the memtables.
    pub applied_lsn: AtomicU64,
    /// Orders the application of concurrent writes by LSN.
    pub sequencer: crate::sequencer::Sequencer,
    /// The checkpoint: WAL records up to it are durable in TSM files.
    pub safe_lsn: AtomicU64,
    /// Generation of the next TSM file.
    pub next_gen: AtomicU64,
    pub failed: AtomicBool,
    pub failure: Mutex<Option<Failure>>,
    pub background_error: Mutex<Option<Failure>>,
    pub pool: Option<rayon::ThreadPool>,
    pub recovery: RecoveryStats,
    pub signal: Signal,
    /// The exclusive lock on `<dir>/LOCK`, released when the engine is
    /// dropped; `None` in a read-only engine, which takes none.
    pub _lock: Option<StorageLock>,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Engine>();
};

impl Engine {
    /// Opens (creating if needed) the database in folder `dir` of the real
    /// file system, with the system clock. Recovers automatically: deletes
    /// leftovers of interrupted operations, maps the TSM files, replays the
    /// WAL past the checkpoint into memtables; see
    /// [`Engine::recovery_stats`].
    ///
    /// ```
    /// use skulk_engine::{DataPoint, Engine, EngineConfig};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let engine = Engine::open(dir.path(), EngineConfig::default())?;
    /// engine.write(&DataPoint::new("cpu", vec![], 1_000, 0.5))?;
    /// drop(engine); // no close: the point is only in the WAL
    ///
    /// let engine = Engine::open(dir.path(), EngineConfig::default())?;
    /// assert_eq!(engine.recovery_stats().wal_points_replayed, 1);
    /// assert_eq!(engine.stats().points_in_memory, 1);
    /// engine.close()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(dir: impl AsRef<Path>, config: EngineConfig) -> Result<Engine> {
        Self::open_with(OpenOptions::new(dir.as_ref())?.config(config))
    }

    /// Opens the database `options` describe: its data directory (on the
    /// real file system or any [`skulk_format::Storage`]), configuration
    /// and clock. Recovers as [`Engine::open`] does.
    ///
    /// ```
    /// use skulk_engine::{Engine, EngineConfig, OpenOptions};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let config = EngineConfig::from_toml_str("partition_duration = \"1h\"")?;
    /// let engine = Engine::open_with(OpenOptions::new(dir.path())?.config(config))?;
    /// assert_eq!(engine.dir(), dir.path());
    /// assert!(!engine.is_read_only());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_with(options: OpenOptions) -> Result<Engine> {
        Self::start(crate::recovery::open(options)?)
    }

    /// Opens the database `options` describe for reading only: no lock is
    /// taken and nothing is written, so it works beside a live writer (in
    /// this or another process) and on a directory the user cannot write.
    /// It serves a consistent snapshot: the files the manifest lists and
    /// the WAL records after them, as they were at open (a file a
    /// compaction removes later stays readable). [`Engine::refresh`] reads
    /// a newer snapshot. Writing, flushing, compacting and retention fail
    /// with [`EngineError::ReadOnly`]. The directory must have a manifest
    /// (open a new or layout-1 directory for writing once).
    ///
    /// ```
    /// use skulk_engine::{DataPoint, Engine, EngineConfig, EngineError, OpenOptions};
    /// use skulk_engine::{Query, SeriesSelector, TimeRange};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let writer = Engine::open(dir.path(), EngineConfig::default())?;
    /// writer.write(&DataPoint::new("cpu", vec![], 1, 1.0))?;
    ///
    /// // Beside the live writer: no lock taken, nothing written.
    /// let reader = Engine::open_read_only(OpenOptions::existing(dir.path()))?;
    /// let all = Query::raw(SeriesSelector::all(), TimeRange::ALL);
    /// assert_eq!(reader.query(&all)?[0].values, [1.0]);
    /// let refused = reader.write(&DataPoint::new("cpu", vec![], 2, 2.0));
    /// assert!(matches!(refused, Err(EngineError::ReadOnly)));
    ///
    /// writer.write(&DataPoint::new("cpu", vec![], 2, 2.0))?;
    /// reader.refresh()?; // see what the writer made durable since
    /// assert_eq!(reader.query(&all)?[0].values, [1.0, 2.0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_read_only(options: OpenOptions) -> Result<Engine> {
        Ok(Engine {
            inner: Arc::new(crate::read_only::open(options)?),
            worker: None,
        })
    }

    /// True for an engine opened with [`Engine::open_read_only`].
    pub fn is_read_only(&self) -> bool {
        self.inner.wal.is_none()
    }

    /// A read-only engine reads the directory again, so that later queries
    /// see what the writer has made durable (queries under way keep their
    /// snapshot). A writable engine is always current: nothing to do.
    pub fn refresh(&self) -> Result<()> {
        if self.is_read_only() {
            crate::read_only::refresh(&self.inner)
        } else {
            Ok(())
        }
    }

    fn start(inner: Inner) -> Result<Engine> {
        let inner = Arc::new(inner);
        let worker = if inner.config.background {
            Some(crate::maintenance::spawn(Arc::clone(&inner))?)
        } else {
            None
        };
        Ok(Engine { inner, worker })
    }

    /// The configuration the engine was opened with.
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        self.inner.layout.root()
    }

    /// What opening found and did.
    pub fn recovery_stats(&self) -> &RecoveryStats {
        &self.inner.recovery
    }

    /// Writes one point (see [`Engine::write_batch`]).
    pub fn write(&self, point: &DataPoint) -> Result<()> {
        self.write_batch(std::slice::from_ref(point))
    }

    /// Writes points: logged in the WAL as one record (durable under the
    /// configured sync mode when this returns), then applied to the
    /// memtables. A later write of the same series and timestamp replaces
    /// the value. Fails, with nothing applied, on an id collision or a
    /// point whose `series_id` is not its series' id (both checked before
    /// logging, collisions against the WAL's live series and the catalog
    /// of every series with data: [`EngineError::Wal`]); fails on every call
    /// after a durability failure (reopen to recover). A series never holds
    /// a label key twice: [`SeriesMeta`] refuses it however it is built.
    ///
    /// ```
    /// use skulk_engine::{DataPoint, Engine, EngineConfig, Query, SeriesSelector, TimeRange};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let engine = Engine::open(dir.path(), EngineConfig::default())?;
    /// let cpu = |ts, v| DataPoint::new("cpu", vec![("host".into(), "a".into())], ts, v);
    /// engine.write_batch(&[cpu(10, 1.0), cpu(20, 2.0)])?;
    /// engine.write_batch(&[cpu(20, 5.0)])?; // the same timestamp again: last write wins
    /// let result = engine.query(&Query::raw(SeriesSelector::metric("cpu"), TimeRange::ALL))?;
    /// assert_eq!(result[0].timestamps, [10, 20]);
    /// assert_eq!(result[0].values, [1.0, 5.0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_batch(&self, points: &[DataPoint]) -> Result<()> {
        if points.is_empty() {
            return Ok(());
        }
        self.inner.check_live()?;
        {
            let _ingest = shared(&self.inner.ingest);
            let sequencer = &self.inner.sequencer;
            let mut assigned = None;
            let logged = self.inner.wal()?.append_points_checked(
                points,
                |new| check_collisions(&self.inner, new),
                |lsn| {
                    sequencer.register(lsn);
                    assigned = Some(lsn);
                },
            );
            // Points reach the memtable in LSN order, as replay applies
            // them: last write wins by LSN, before a crash and after it.
            let _turn = assigned.map(|lsn| sequencer.wait_turn(lsn));
            let lsn = logged.map_err(|e| self.inner.wal_error(e))?;
            let applied = exclusive(&self.inner.state).insert(points, lsn);
            if let Err(e) = applied {
                self.inner.fail(Failure::new("applying logged points", &e));
                return Err(e);
            }
            self.inner.applied_lsn.fetch_max(lsn, Ordering::SeqCst);
        }
        self.after_write()
    }

    /// Runs the query on a consistent snapshot; see [`Query`].
    ///
    /// ```
    /// use skulk_engine::{AggregateFn, Aggregation, DataPoint, Engine, EngineConfig};
    /// use skulk_engine::{Query, SeriesSelector, TimeRange};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let engine = Engine::open(dir.path(), EngineConfig::default())?;
    /// let temp = |host: &str, ts, v| {
    ///     DataPoint::new("temp", vec![("host".into(), host.into())], ts, v)
    /// };
    /// engine.write_batch(&[temp("a", 0, 20.0), temp("a", 5, 22.0), temp("b", 0, 30.0)])?;
    ///
    /// let host_a = SeriesSelector::parse(r#"temp{host="a"}"#)?;
    /// let raw = engine.query(&Query::raw(host_a.clone(), TimeRange::new(0, 10)?))?;
    /// assert_eq!((raw.len(), raw[0].values.clone()), (1, vec![20.0, 22.0]));
    /// let mean = Aggregation::new(10, AggregateFn::Mean)?;
    /// let windows = engine.query(&Query::aggregated(host_a, TimeRange::ALL, mean))?;
    /// assert_eq!(windows[0].values, [21.0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn query(&self, query: &Query) -> Result<Vec<SeriesResult>> {
        crate::read::run(&self.inner, query)
    }

    /// A streaming read of the raw points `selector` picks in `range`:
    /// the same points as [`Engine::query`] with [`Query::raw`], from one
    /// snapshot, a bounded number at a time (see [`PointScan`]). An invalid
    /// regular expression is an [`EngineError::InvalidArgument`].
    pub fn scan(&self, selector: &SeriesSelector, range: TimeRange) -> Result<PointScan> {
        PointScan::new(Arc::clone(&self.inner), selector, range)
    }

    /// The series `selector` picks that hold data, sorted by metric and
    /// labels. An invalid regular expression selects nothing (see
    /// [`Engine::find_series`], which reports it).
    pub fn list_series(&self, selector: &SeriesSelector) -> Vec<SeriesMeta> {
        self.find_series(selector).unwrap_or_default()
    }

    /// The series `selector` picks that hold data, sorted by metric and
    /// labels, answered from the series index (see the crate documentation
    /// for the matchers' semantics); an invalid regular expression is an
    /// [`EngineError::InvalidArgument`].
    pub fn find_series(&self, selector: &SeriesSelector) -> Result<Vec<SeriesMeta>> {
        let selector = CompiledSelector::new(selector)?;
        let state = shared(&self.inner.state);
        let index = &state.index;
        let selected = crate::index::select(index, &selector);
        let mut out = index.metas(&selected);
        drop(state);
        out.sort();
        Ok(out)
    }

    /// The ids of the series `selector` picks, ascending by id: the
    /// selection alone, without building any series' metadata.
    pub fn series_ids(&self, selector: &SeriesSelector) -> Result<Vec<SeriesId>> {
        let selector = CompiledSelector::new(selector)?;
        let state = shared(&self.inner.state);
        let index = &state.index;
        let selected = crate::index::select(index, &selector);
        let mut out: Vec<SeriesId> = selected.into_iter().filter_map(|r| index.id(r)).collect();
        drop(state);
        out.sort_unstable();
        Ok(out)
    }

    /// The label names of the series `selector` picks, sorted, each once;
    /// `__name__` stands for the metric name, as in Prometheus.
    pub fn label_names(&self, selector: &SeriesSelector) -> Result<Vec<String>> {
        let selector = CompiledSelector::new(selector)?;
        let state = shared(&self.inner.state);
        let selected = selection(&state.index, &selector);
        Ok(crate::index::label_names(&state.index, selected.as_deref()))
    }

    /// The values label `name` takes in the series `selector` picks,
    /// sorted, each once; `__name__` gives the metric names. Series without
    /// the label add nothing.
    pub fn label_values(&self, name: &str, selector: &SeriesSelector) -> Result<Vec<String>> {
        let selector = CompiledSelector::new(selector)?;
        let state = shared(&self.inner.state);
        let selected = selection(&state.index, &selector);
        Ok(crate::index::label_values(
            &state.index,
            name,
            selected.as_deref(),
        ))
    }

    /// The time partitions that hold data (in memtables or TSM files), in
    /// time order. Reading a large selection partition by partition keeps
    /// memory bounded by one partition's points (as `skulk export` does).
    /// Fails only when a file's block cannot be read (it is damaged).
    pub fn partitions(&self) -> Result<Vec<TimePartition>> {
        crate::partitions::with_data(&shared(&self.inner.state), self.inner.partition)
    }

    /// Writes every memtable to a TSM file per partition, then records the
    /// checkpoint and truncates the WAL through it.
    ///
    /// ```
    /// use skulk_engine::{DataPoint, Engine, EngineConfig};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let engine = Engine::open(dir.path(), EngineConfig::default())?;
    /// let points: Vec<_> = (0..100).map(|ts| DataPoint::new("cpu", vec![], ts, 1.0)).collect();
    /// engine.write_batch(&points)?;
    /// let flushed = engine.flush()?;
    /// assert_eq!((flushed.files_written, flushed.points_written), (1, 100));
    /// let stats = engine.stats();
    /// assert_eq!((stats.points_in_memory, stats.points_on_disk), (0, 100));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn flush(&self) -> Result<FlushStats> {
        crate::flush::flush(&self.inner, crate::flush::Scope::All)
    }

    /// Merges TSM files: every partition with two or more files, then the
    /// files inside each coarser time bucket that data has moved past, or
    /// that are small or many together (`FORMAT.md`, "Levels"), until no
    /// bucket qualifies.
    ///
    /// ```
    /// use skulk_engine::{DataPoint, Engine, EngineConfig};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let engine = Engine::open(dir.path(), EngineConfig::default())?;
    /// for ts in 0..3 {
    ///     engine.write(&DataPoint::new("cpu", vec![], ts, 1.0))?;
    ///     engine.flush()?; // one file per flush
    /// }
    /// assert_eq!(engine.stats().files, 3);
    /// let compacted = engine.compact()?;
    /// assert_eq!((compacted.files_merged, compacted.points_written), (3, 3));
    /// assert_eq!(engine.stats().files, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compact(&self) -> Result<CompactionStats> {
        crate::compact::compact(&self.inner, 2)
    }

    /// Deletes the points of every series `selector` matches in `range`:
    /// hidden from every query when this returns, durable (the manifest
    /// records the delete after a flush puts every earlier point into
    /// files), and physically removed by the next compaction. Points
    /// written after the call returns are kept; an older value never shows
    /// through. Fails on an empty range.
    ///
    /// ```
    /// use skulk_engine::{DataPoint, Engine, EngineConfig, Query, SeriesSelector, TimeRange};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let engine = Engine::open(dir.path(), EngineConfig::default())?;
    /// let point = |ts, v| DataPoint::new("cpu", vec![("host".into(), "a".into())], ts, v);
    /// engine.write_batch(&[point(1, 1.0), point(2, 2.0), point(3, 3.0)])?;
    /// let cpu = SeriesSelector::metric("cpu");
    /// engine.delete(&cpu, TimeRange::new(2, 3)?)?;
    /// let left = engine.query(&Query::raw(cpu, TimeRange::ALL))?;
    /// assert_eq!(left[0].timestamps, vec![1, 3]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn delete(&self, selector: &SeriesSelector, range: TimeRange) -> Result<DeleteStats> {
        crate::delete::delete(&self.inner, selector, range)
    }

    /// Drops every partition that ends at or before `now - retention`
    /// (nothing when no retention is configured).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use skulk_engine::{DataPoint, Engine, EngineConfig, ManualClock, OpenOptions};
    ///
    /// const HOUR: i64 = 3_600_000_000_000;
    /// let dir = tempfile::tempdir()?;
    /// let config = EngineConfig {
    ///     partition_duration: Some(Duration::from_secs(3600)),
    ///     retention: Some(Duration::from_secs(3600)),
    ///     background: false,
    ///     ..EngineConfig::default()
    /// };
    /// let clock = Arc::new(ManualClock::new(0));
    /// let options = OpenOptions::new(dir.path())?.config(config).clock(clock.clone());
    /// let engine = Engine::open_with(options)?;
    /// let cpu = |ts, v| DataPoint::new("cpu", vec![], ts, v);
    /// engine.write_batch(&[cpu(0, 1.0), cpu(2 * HOUR, 2.0)])?;
    ///
    /// clock.set(3 * HOUR); // the cutoff is now 2h: the first hour has expired
    /// let dropped = engine.apply_retention()?;
    /// assert_eq!(dropped.partitions_dropped, 1);
    /// assert_eq!(engine.stats().points_in_memory, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply_retention(&self) -> Result<RetentionStats> {
        crate::retention::apply(&self.inner)
    }

    /// Sizes and counts.
    pub fn stats(&self) -> EngineStats {
        self.inner.stats()
    }

    /// Stops the background thread, flushes (which leaves no WAL segment
    /// whose records are all in files), compacts when automatic compaction
    /// is on, and closes the files. On an engine that failed earlier
    /// nothing is written and the failure is returned
    /// ([`EngineError::Failed`]): what it did not write is still in the WAL
    /// for the next open.
    pub fn close(mut self) -> Result<()> {
        self.stop_worker();
        if self.is_read_only() {
            return Ok(());
        }
        self.inner.check_live()?;
        self.flush()?;
        let min_files = self.inner.config.compaction_min_files;
        if min_files >= 2 {
            crate::compact::compact(&self.inner, min_files)?;
        }
        Ok(())
    }

    fn stop_worker(&mut self) {
        if let Some(worker) = self.worker.take() {
            self.inner.signal.stop();
            // A panicked worker has nothing left to clean up.
            let _ = worker.join();
        }
    }

    fn after_write(&self) -> Result<()> {
        if !self.inner.flush_due() && !self.inner.partial_flush_due() {
            return Ok(());
        }
        if self.worker.is_some() && !self.inner.far_behind() {
            self.inner.signal.wake();
            Ok(())
        } else {
            crate::maintenance::run_due(&self.inner)
        }
    }
}

/// Refuses series new to the WAL whose id the catalog knows as another
/// series: the WAL checks ids against the series of its live segments
/// only, the catalog holds those of flushed data too.
fn check_collisions(
    inner: &Inner,
    new: &[(SeriesId, &Arc<SeriesMeta>)],
) -> std::result::Result<(), WalError> {
    let state = shared(&inner.state);
    for (id, meta) in new {
        if let Some(r) = state.index.get(*id)
            && !state.index.is_series(r, meta)
        {
            return Err(WalError::SeriesCollision {
                id: *id,
                existing: Box::new(state.index.meta(r)),
                new: Box::new(SeriesMeta::clone(meta)),
            });
        }
    }
    Ok(())
}

/// The series `selector` picks, `None` when it picks them all without
/// condition (no matcher).
fn selection(
    index: &crate::index::SeriesIndex,
    selector: &CompiledSelector,
) -> Option<Vec<crate::index::SeriesRef>> {
    let all = selector.exact().is_none() && selector.matchers().is_empty();
    (!all).then(|| crate::index::select(index, selector))
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.stop_worker();
    }
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner")
            .field("dir", &self.layout.root())
            .field("config", &self.config)
            .field("safe_lsn", &self.safe_lsn)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl Inner {
    /// The write-ahead log, or [`EngineError::ReadOnly`].
    pub fn wal(&self) -> Result<&Wal> {
        self.wal.as_ref().ok_or(EngineError::ReadOnly)
    }

    /// Fails unless the engine is writable.
    pub fn check_live(&self) -> Result<()> {
        if self.wal.is_none() {
            return Err(EngineError::ReadOnly);
        }
        if self.failed.load(Ordering::SeqCst) {
            let why = guard(&self.failure)
                .clone()
                .unwrap_or_else(|| Failure::plain("unknown".into()));
            return Err(EngineError::Failed(why));
        }
        Ok(())
    }

    /// Puts the engine in the read-only failed state.
    pub fn fail(&self, why: Failure) {
        let mut failure = guard(&self.failure);
        failure.get_or_insert(why);
        self.failed.store(true, Ordering::SeqCst);
    }

    /// Puts the engine in the failed state after `e` ended a flush,
    /// compaction, checkpoint or retention (DURABILITY.md, rule 3: whatever
    /// was synced or not, only a reopen knows what is on disk) and returns
    /// `e`.
    pub fn durability_error(&self, what: &str, e: EngineError) -> EngineError {
        if !matches!(e, EngineError::Failed(_)) {
            self.fail(Failure::new(what, &e));
        }
        e
    }

    /// Converts a WAL error, failing the engine when the WAL is poisoned.
    pub fn wal_error(&self, e: WalError) -> EngineError {
        let e = EngineError::Wal(e);
        if self.wal.as_ref().is_some_and(Wal::is_poisoned) {
            self.fail(Failure::new("WAL", &e));
        }
        e
    }

    /// Durably replaces the manifest with `change` applied to it. On error
    /// the manifest in memory is unchanged (the caller fails the engine).
    pub fn update_manifest(
        &self,
        change: impl FnOnce(&mut crate::manifest::Manifest),
    ) -> Result<()> {
        let mut current = guard(&self.manifest);
        let mut next = current.clone();
        change(&mut next);
        next.store(&self.layout)?;
        *current = next;
        Ok(())
    }

    /// The first LSN of every WAL segment now.
    pub fn wal_segment_firsts(&self) -> Vec<u64> {
        let segments = self.wal.as_ref().map(Wal::segments).unwrap_or_default();
        segments.iter().map(|(first, _)| *first).collect()
    }

    /// True when a flush threshold is crossed.
    pub fn flush_due(&self) -> bool {
        let c = &self.config;
        let state = shared(&self.state);
        if state.active_writes == 0 {
            return false;
        }
        let points = c.flush_points > 0 && state.active_writes >= c.flush_points;
        let age = matches!((c.flush_age, state.oldest_active_write), (Some(max), Some(t)) if !max.is_zero() && t.elapsed() >= max);
        let bytes = c.flush_size_bytes > 0 && state.active_bytes() >= c.flush_size_bytes;
        points || age || bytes
    }

    /// True when the partition manager asks for some memtables to be
    /// flushed (see [`crate::flush::Scope::Due`]).
    pub fn partial_flush_due(&self) -> bool {
        let state = shared(&self.state);
        state.memtables.stats().active_partitions > 1
            && !state.memtables.flush_priorities().is_empty()
    }

    /// True when writers have outrun the background flush: memtables took
    /// four times `flush_points`. Writers then flush inline (back-pressure).
    pub fn far_behind(&self) -> bool {
        let limit = self.config.flush_points.saturating_mul(4);
        limit > 0 && shared(&self.state).active_writes >= limit
    }

    pub fn stats(&self) -> EngineStats {
        let state = shared(&self.state);
        let files = &state.files;
        EngineStats {
            series: state.index.len(),
            partitions: state.memtable_partitions().len(),
            points_in_memory: state.memory_points(),
            memory_bytes: state.memory_bytes(),
            index_bytes: state.index.heap_bytes() as u64,
            files: files.len(),
            bytes_on_disk: files.iter().map(|f| f.size()).sum(),
            points_on_disk: files.iter().map(|f| f.points()).sum(),
            safe_lsn: self.safe_lsn.load(Ordering::SeqCst),
            failed: self.failed.load(Ordering::SeqCst),
            last_background_error: guard(&self.background_error).clone(),
        }
    }
}
