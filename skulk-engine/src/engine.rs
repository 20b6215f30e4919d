//! `Engine`: the handle an application embeds.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread::JoinHandle;

use skulk_format::{DataPoint, SeriesMeta, StdStorage, TimePartition, TsmStorage};
use skulk_wal::storage::{DirLock, LogDir};
use skulk_wal::{Wal, WalError};

use crate::clock::{Clock, SystemClock};
use crate::layout::Layout;
use crate::maintenance::Signal;
use crate::query::{CompiledSelector, Query, SeriesResult, SeriesSelector};
use crate::state::State;
use crate::stats::{CompactionStats, EngineStats, FlushStats, RecoveryStats, RetentionStats};
use crate::{EngineConfig, EngineError, Result};

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
    pub clock: Arc<dyn Clock>,
    pub wal: Wal,
    pub state: RwLock<State>,
    /// Writers hold it shared from their WAL append until their points are
    /// in the memtables; flush and retention take it exclusively so that
    /// every logged record is applied (or none is) at that instant.
    pub ingest: RwLock<()>,
    /// Serializes flush, compaction and retention.
    pub lifecycle: Mutex<()>,
    /// Highest LSN whose points are in the memtables.
    pub applied_lsn: AtomicU64,
    /// The checkpoint: WAL records up to it are durable in TSM files.
    pub safe_lsn: AtomicU64,
    /// Generation of the next TSM file.
    pub next_gen: AtomicU64,
    pub failed: AtomicBool,
    pub failure: Mutex<Option<String>>,
    pub background_error: Mutex<Option<String>>,
    pub pool: Option<rayon::ThreadPool>,
    pub recovery: RecoveryStats,
    pub signal: Signal,
    /// The exclusive lock on `<dir>/LOCK`, released when the engine is
    /// dropped.
    pub _lock: DirLock,
}

pub(crate) fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Engine>();
};

impl Engine {
    /// Opens (creating if needed) the database in `dir` with the system
    /// clock. Recovers automatically: deletes leftovers of interrupted
    /// operations, maps the TSM files, replays the WAL past the checkpoint
    /// into memtables; see [`Engine::recovery_stats`].
    pub fn open(dir: impl AsRef<Path>, config: EngineConfig) -> Result<Engine> {
        Self::open_with_clock(dir, config, Arc::new(SystemClock))
    }

    /// [`Engine::open`] with the clock retention uses.
    pub fn open_with_clock(
        dir: impl AsRef<Path>,
        config: EngineConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Engine> {
        Self::start(crate::recovery::open(
            dir.as_ref(),
            config,
            clock,
            None,
            Arc::new(StdStorage),
        )?)
    }

    /// [`Engine::open_with_clock`] with the WAL kept in `wal_dir` instead of
    /// `<dir>/wal/`: any [`LogDir`], e.g. one that injects I/O faults in
    /// tests.
    pub fn open_with_wal_storage(
        dir: impl AsRef<Path>,
        config: EngineConfig,
        clock: Arc<dyn Clock>,
        wal_dir: Arc<dyn LogDir>,
    ) -> Result<Engine> {
        Self::start(crate::recovery::open(
            dir.as_ref(),
            config,
            clock,
            Some(wal_dir),
            Arc::new(StdStorage),
        )?)
    }

    /// [`Engine::open_with_clock`] with TSM files, the checkpoint and the
    /// folder syncs of the data directory going through `files` (the WAL
    /// stays in `<dir>/wal/` on the real file system): any
    /// [`TsmStorage`], e.g. one that injects I/O faults in tests.
    pub fn open_with_file_storage(
        dir: impl AsRef<Path>,
        config: EngineConfig,
        clock: Arc<dyn Clock>,
        files: Arc<dyn TsmStorage>,
    ) -> Result<Engine> {
        Self::start(crate::recovery::open(
            dir.as_ref(),
            config,
            clock,
            None,
            files,
        )?)
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
    /// point whose `series_id` is not its series' id (both checked by the
    /// WAL before logging: [`EngineError::Wal`]) and on a series with a
    /// label key twice ([`EngineError::DuplicateLabel`]); fails on every
    /// call after a durability failure (reopen to recover).
    pub fn write_batch(&self, points: &[DataPoint]) -> Result<()> {
        if points.is_empty() {
            return Ok(());
        }
        crate::query::check_labels(points)?;
        self.inner.check_live()?;
        {
            let _ingest = read(&self.inner.ingest);
            let lsn = self
                .inner
                .wal
                .append_points(points)
                .map_err(|e| self.inner.wal_error(e))?;
            let applied =
                write(&self.inner.state).insert(points, self.inner.config.partition_duration);
            if let Err(e) = applied {
                self.inner
                    .fail(format!("memtable refused logged points: {e}"));
                return Err(e);
            }
            self.inner.applied_lsn.fetch_max(lsn, Ordering::SeqCst);
        }
        self.after_write()
    }

    /// Runs the query on a consistent snapshot; see [`Query`].
    pub fn query(&self, query: &Query) -> Result<Vec<SeriesResult>> {
        crate::read::run(&self.inner, query)
    }

    /// The series `selector` picks that hold data, sorted by metric and
    /// labels. An invalid regular expression selects nothing.
    pub fn list_series(&self, selector: &SeriesSelector) -> Vec<SeriesMeta> {
        let Ok(selector) = CompiledSelector::new(selector) else {
            return Vec::new();
        };
        let state = read(&self.inner.state);
        let mut out: Vec<SeriesMeta> = state
            .catalog
            .values()
            .filter(|m| selector.matches(m))
            .map(|m| SeriesMeta::clone(m))
            .collect();
        drop(state);
        out.sort();
        out
    }

    /// The time partitions that hold data (in memtables or TSM files), in
    /// time order. Reading a large selection partition by partition keeps
    /// memory bounded by one partition's points (as `skulk export` does).
    pub fn partitions(&self) -> Vec<TimePartition> {
        read(&self.inner.state)
            .partitions
            .values()
            .map(|p| p.part)
            .collect()
    }

    /// Writes every memtable to a TSM file per partition, then records the
    /// checkpoint and truncates the WAL through it.
    pub fn flush(&self) -> Result<FlushStats> {
        crate::flush::flush(&self.inner)
    }

    /// Merges the files of every partition that has two or more into one.
    pub fn compact(&self) -> Result<CompactionStats> {
        crate::compact::compact(&self.inner, 2)
    }

    /// Drops every partition that ends at or before `now - retention`
    /// (nothing when no retention is configured).
    pub fn apply_retention(&self) -> Result<RetentionStats> {
        crate::retention::apply(&self.inner)
    }

    /// Sizes and counts.
    pub fn stats(&self) -> EngineStats {
        self.inner.stats()
    }

    /// Flushes (unless the engine failed), stops the background thread and
    /// closes the files.
    pub fn close(mut self) -> Result<()> {
        self.stop_worker();
        if self.inner.failed.load(Ordering::SeqCst) {
            return Ok(());
        }
        self.flush().map(|_| ())
    }

    fn stop_worker(&mut self) {
        if let Some(worker) = self.worker.take() {
            self.inner.signal.stop();
            // A panicked worker has nothing left to clean up.
            let _ = worker.join();
        }
    }

    fn after_write(&self) -> Result<()> {
        if !self.inner.flush_due() {
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
    /// Fails unless the engine is writable.
    pub fn check_live(&self) -> Result<()> {
        if self.failed.load(Ordering::SeqCst) {
            let why = lock(&self.failure).clone().unwrap_or_default();
            return Err(EngineError::Failed(why));
        }
        Ok(())
    }

    /// Puts the engine in the read-only failed state.
    pub fn fail(&self, why: String) {
        let mut failure = lock(&self.failure);
        failure.get_or_insert(why);
        self.failed.store(true, Ordering::SeqCst);
    }

    /// Puts the engine in the failed state after `e` ended a flush,
    /// compaction, checkpoint or retention (DURABILITY.md, rule 3: whatever
    /// was synced or not, only a reopen knows what is on disk) and returns
    /// `e`.
    pub fn durability_error(&self, what: &str, e: EngineError) -> EngineError {
        if !matches!(e, EngineError::Failed(_)) {
            self.fail(format!("{what} failed: {e}"));
        }
        e
    }

    /// Converts a WAL error, failing the engine when the WAL is poisoned.
    pub fn wal_error(&self, e: WalError) -> EngineError {
        if self.wal.is_poisoned() {
            self.fail(format!("WAL failed: {e}"));
        }
        EngineError::Wal(e)
    }

    /// True when a flush threshold is crossed.
    pub fn flush_due(&self) -> bool {
        let c = &self.config;
        let state = read(&self.state);
        if state.active_writes == 0 {
            return false;
        }
        let points = c.flush_points > 0 && state.active_writes >= c.flush_points;
        let age = matches!((c.flush_age, state.oldest_active_write), (Some(max), Some(t)) if !max.is_zero() && t.elapsed() >= max);
        let bytes = c.flush_size_bytes > 0 && state.active_bytes() >= c.flush_size_bytes;
        points || age || bytes
    }

    /// True when writers have outrun the background flush: memtables took
    /// four times `flush_points`. Writers then flush inline (back-pressure).
    pub fn far_behind(&self) -> bool {
        let limit = self.config.flush_points.saturating_mul(4);
        limit > 0 && read(&self.state).active_writes >= limit
    }

    pub fn stats(&self) -> EngineStats {
        let state = read(&self.state);
        let files: Vec<_> = state.files().collect();
        EngineStats {
            series: state.catalog.len(),
            partitions: state.partitions.len(),
            points_in_memory: state.memory_points(),
            memory_bytes: state.active_bytes(),
            files: files.len(),
            bytes_on_disk: files.iter().map(|f| f.size()).sum(),
            points_on_disk: files.iter().map(|f| f.points()).sum(),
            safe_lsn: self.safe_lsn.load(Ordering::SeqCst),
            failed: self.failed.load(Ordering::SeqCst),
            last_background_error: lock(&self.background_error).clone(),
        }
    }
}
