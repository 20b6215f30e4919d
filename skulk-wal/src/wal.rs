//! `Wal`: the log handle, with group commit.

use std::collections::VecDeque;
use std::collections::hash_map::Entry;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use skulk_format::storage::{FsStorage, Storage, StorageLock, WritableFile};
use skulk_format::{
    DataPoint, IdCheck, PointLog, SeriesId, SeriesIdMap, SeriesIdSet, SeriesMeta, WrongId,
};

use crate::end_mark::{self, END_MARK_LEN};
use crate::frame;
use crate::header::{SEGMENT_HEADER_LEN, WalVersion};
use crate::known::KnownSeries;
use crate::pending::Pending;
use crate::recovery::{Recovery, list_segments, scan_dir};
use crate::segment::{TMP_SUFFIX, segment_name};
use crate::storage::{LogDir, missing_dir};
use crate::writer::{Writer, create_segment};
use crate::{Lsn, Result, SegmentObserver, WalConfig, WalEntry, WalError, WalPoint};

/// A write-ahead log open for appending. `Send + Sync`: share it (e.g. in
/// an `Arc`) and append from many threads; concurrent appends share one
/// write and one sync (group commit).
///
/// ```
/// use std::sync::Arc;
/// use skulk_format::DataPoint;
/// use skulk_wal::{Wal, WalConfig};
///
/// let dir = tempfile::tempdir()?;
/// let wal = Arc::new(Wal::new(dir.path(), WalConfig::default())?);
/// let writers: Vec<_> = (0..4)
///     .map(|i| {
///         let wal = Arc::clone(&wal);
///         std::thread::spawn(move || wal.append_points(&[DataPoint::new("cpu", vec![], i, 1.0)]))
///     })
///     .collect();
/// for writer in writers {
///     writer.join().expect("no panic")?;
/// }
/// drop(wal);
/// assert_eq!(Wal::recover(dir.path())?.data_points()?.len(), 4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Wal {
    dir: LogDir,
    config: WalConfig,
    state: Mutex<Pending>,
    /// Wakes writers waiting for their batch to become durable.
    done: Condvar,
    /// Wakes a committing writer waiting for a fuller batch.
    arrived: Condvar,
    writer: Mutex<Writer>,
    /// Held while the log is open: `LOCK` in its folder.
    _lock: StorageLock,
}

impl std::fmt::Debug for Wal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wal")
            .field("dir", &self.dir.path())
            .field("config", &self.config)
            .field("next_lsn", &self.next_lsn())
            .field("poisoned", &self.is_poisoned())
            .finish()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Wal {
    /// Opens the log in directory `dir` (created when missing): deletes
    /// leftover `*.wal.tmp` files, replays every segment, cuts a torn tail
    /// off the last one (reported in [`Recovery::torn_bytes`]) and returns
    /// the log ready for appending with what it holds. When the cut removed
    /// series definitions from the active segment, they are logged again
    /// (after the returned records). Corruption before the tail fails with
    /// [`WalError::Corrupt`] and changes nothing.
    ///
    /// ```
    /// use skulk_format::DataPoint;
    /// use skulk_wal::{Wal, WalConfig};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let (wal, recovery) = Wal::open(dir.path(), WalConfig::default())?;
    /// assert!(recovery.records().is_empty());
    /// let lsn = wal.append_points(&[DataPoint::new("cpu", vec![], 1_000, 0.5)])?;
    /// drop(wal);
    ///
    /// // Reopening replays what the log holds and continues after it.
    /// let (wal, recovery) = Wal::open(dir.path(), WalConfig::default())?;
    /// assert_eq!(recovery.last_lsn(), Some(lsn));
    /// assert_eq!(recovery.data_points()?[0].1[0].value, 0.5);
    /// assert_eq!(wal.next_lsn(), lsn + 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(dir: impl AsRef<Path>, config: WalConfig) -> Result<(Wal, Recovery)> {
        let path = dir.as_ref();
        let fs = FsStorage::create(path).map_err(|e| WalError::io(path, e))?;
        Self::open_in(Arc::new(fs), "", config)
    }

    /// [`Wal::open`], discarding the recovered records.
    pub fn new(dir: impl AsRef<Path>, config: WalConfig) -> Result<Wal> {
        Self::open(dir, config).map(|(wal, _)| wal)
    }

    /// Reads the log in `dir` without changing anything: the torn tail is
    /// reported, not cut.
    ///
    /// ```
    /// use skulk_format::DataPoint;
    /// use skulk_wal::{Wal, WalConfig};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let wal = Wal::new(dir.path(), WalConfig::default())?;
    /// wal.append_points(&[DataPoint::new("cpu", vec![], 1, 1.0)])?;
    /// wal.append_points(&[DataPoint::new("cpu", vec![], 2, 2.0)])?;
    /// let segment = dir.path().join(&wal.segments()[0].1);
    /// drop(wal);
    /// // A crash in the middle of the last write leaves a torn record
    /// // (here: its last 3 bytes and the end mark after it never landed).
    /// let torn = std::fs::metadata(&segment)?.len() - skulk_wal::END_MARK_LEN as u64 - 3;
    /// std::fs::OpenOptions::new().write(true).open(&segment)?.set_len(torn)?;
    ///
    /// let recovery = Wal::recover(dir.path())?;
    /// assert!(recovery.torn_bytes() > 0);
    /// assert_eq!(recovery.data_points()?.len(), 1);
    /// assert_eq!(std::fs::metadata(&segment)?.len(), torn); // nothing cut
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recover(dir: impl AsRef<Path>) -> Result<Recovery> {
        Self::recover_in(Arc::new(FsStorage::new(dir.as_ref())), "")
    }

    /// [`Wal::recover`] on folder `dir` of any [`Storage`].
    pub fn recover_in(storage: Arc<dyn Storage>, dir: impl Into<PathBuf>) -> Result<Recovery> {
        Self::recover_covered(storage, dir, 0)
    }

    /// [`Wal::recover_in`], skipping (and reporting, see
    /// [`Recovery::skipped`]) damage that holds only records with an LSN up
    /// to `covered_through`: records the caller holds elsewhere.
    pub fn recover_covered(
        storage: Arc<dyn Storage>,
        dir: impl Into<PathBuf>,
        covered_through: Lsn,
    ) -> Result<Recovery> {
        let dir = LogDir::new(storage, dir);
        if !dir.exists().map_err(|e| WalError::io(dir.path(), e))? {
            return Err(WalError::io(dir.path(), missing_dir()));
        }
        scan_dir(&dir, covered_through)
    }

    /// [`Wal::open`] on folder `dir` of any [`Storage`] (created when
    /// missing; its parent must exist).
    ///
    /// It takes an exclusive lock on `LOCK` in the folder
    /// ([`Storage::lock`]), held until the `Wal` is dropped; a second open
    /// fails with [`WalError::DirectoryInUse`] (on the real file system once
    /// the lock is still held after [`skulk_format::storage::LOCK_WAIT`]).
    pub fn open_in(
        storage: Arc<dyn Storage>,
        dir: impl Into<PathBuf>,
        config: WalConfig,
    ) -> Result<(Wal, Recovery)> {
        Self::open_covered(storage, dir, config, 0)
    }

    /// [`Wal::open_in`], skipping (and reporting, see
    /// [`Recovery::skipped`]) damage that holds only records with an LSN up
    /// to `covered_through`: records the caller holds elsewhere (the
    /// engine's safe LSN), so that damage to them is no reason to refuse
    /// the log or to drop the intact records after it.
    pub fn open_covered(
        storage: Arc<dyn Storage>,
        dir: impl Into<PathBuf>,
        config: WalConfig,
        covered_through: Lsn,
    ) -> Result<(Wal, Recovery)> {
        config.validate()?;
        let dir = LogDir::new(storage, dir);
        dir.create_dir().map_err(|e| WalError::io(dir.path(), e))?;
        let dir_lock = dir.lock().map_err(|e| match e.kind() {
            std::io::ErrorKind::WouldBlock => WalError::DirectoryInUse { path: dir.path() },
            _ => WalError::io(dir.path(), e),
        })?;
        remove_tmp_files(&dir)?;
        let recovery = scan_dir(&dir, covered_through)?;
        let series = KnownSeries::from_recovery(&recovery)?;
        let mut segments: VecDeque<_> = list_segments(&dir)?.into();
        let (file, seg_bytes) = open_active(&dir, &recovery, &mut segments)?;
        let has_data = seg_bytes > SEGMENT_HEADER_LEN as u64;
        let seg_first = segments
            .back()
            .map_or(recovery.next_lsn(), |(first, _)| *first);
        let defs = if seg_first == recovery.next_lsn() && !has_data {
            SeriesIdSet::default()
        } else {
            active_definitions(&recovery)
        };
        let pending = Pending::new(
            recovery.next_lsn(),
            seg_first,
            seg_bytes,
            has_data,
            series,
            defs,
            config.segment_size,
        );
        let wal = Wal {
            writer: Mutex::new(Writer::new(dir.clone(), file, segments, seg_bytes)),
            dir,
            config,
            state: Mutex::new(pending),
            done: Condvar::new(),
            arrived: Condvar::new(),
            _lock: dir_lock,
        };
        Ok((wal, recovery))
    }

    /// The configuration the log was opened with.
    pub fn config(&self) -> &WalConfig {
        &self.config
    }

    /// The folder the log lives in, as messages show it.
    pub fn dir(&self) -> PathBuf {
        self.dir.path()
    }

    /// Appends one record and returns its LSN once it is durable under the
    /// sync mode (after `write()` only, under [`crate::SyncMode::None`]).
    /// A [`WalEntry::SeriesDef`] also registers the series for
    /// [`Wal::append_points`].
    ///
    /// ```
    /// use skulk_format::SeriesMeta;
    /// use skulk_wal::{Wal, WalConfig, WalEntry};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let wal = Wal::new(dir.path(), WalConfig::default())?;
    /// let first = wal.append(&WalEntry::series_def(SeriesMeta::new("cpu", vec![])))?;
    /// let second = wal.append(&WalEntry::Checkpoint { safe_lsn: first })?;
    /// assert_eq!((first, second), (1, 2));
    /// drop(wal);
    /// assert_eq!(Wal::recover(dir.path())?.last_checkpoint(), Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn append(&self, entry: &WalEntry) -> Result<Lsn> {
        entry
            .check()
            .map_err(|what| WalError::InvalidArgument(what.into()))?;
        let mut payload = Vec::new();
        entry.encode_payload(&mut payload);
        frame::check_payload_len(payload.len())
            .map_err(|what| WalError::InvalidArgument(what.into()))?;
        let mut state = self.lock_live()?;
        let lsn = if let WalEntry::SeriesDef { id, meta } = entry {
            state.push_def(*id, &Arc::new(meta.clone()), &payload)?
        } else {
            state.push(entry.record_type(), &payload)
        };
        self.wait_durable(state, lsn)
    }

    /// Logs `points` as one Points record, preceded by a definition of each
    /// series the active segment does not define yet, and returns the
    /// Points record's LSN once durable. Fails on an empty slice or a
    /// series id collision with a series of the live segments (nothing is
    /// logged then): series whose segments were all truncated are
    /// forgotten, see [`Wal::append_points_checked`].
    pub fn append_points(&self, points: &[DataPoint]) -> Result<Lsn> {
        self.append_points_then(points, |_| {})
    }

    /// [`Wal::append_points`], calling `assigned` with the Points record's
    /// LSN as soon as it is assigned, while no other record can be: callers
    /// that apply records elsewhere learn their order before waiting for
    /// durability (and must expect the append to fail after `assigned`).
    pub fn append_points_then(
        &self,
        points: &[DataPoint],
        assigned: impl FnOnce(Lsn),
    ) -> Result<Lsn> {
        self.append_points_checked(points, |_| Ok(()), assigned)
    }

    /// [`Wal::append_points_then`], first calling `check_new` with the
    /// series of `points` that no live segment defines (new, or forgotten
    /// after a truncation), while no other record can be appended: a
    /// caller that keeps the series of truncated segments elsewhere (a
    /// database's catalog of flushed series) checks them for id collisions
    /// there. An error from `check_new` refuses the batch; nothing is
    /// logged.
    ///
    /// ```
    /// use skulk_format::{DataPoint, SeriesMeta};
    /// use skulk_wal::{Wal, WalConfig, WalError};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let wal = Wal::new(dir.path(), WalConfig::default())?;
    /// let cpu = DataPoint::new("cpu", vec![], 1, 0.5);
    /// let mut new = 0;
    /// wal.append_points_checked(&[cpu.clone()], |series| { new += series.len(); Ok(()) }, |_| {})?;
    /// wal.append_points_checked(&[cpu.clone()], |series| { new += series.len(); Ok(()) }, |_| {})?;
    /// assert_eq!(new, 1);
    /// let refused = wal.append_points_checked(
    ///     &[DataPoint::new("mem", vec![], 1, 0.5)],
    ///     |_| Err(WalError::InvalidArgument("no new series today".into())),
    ///     |_| {},
    /// );
    /// assert!(refused.is_err());
    /// assert_eq!(wal.next_lsn(), 4); // LSNs 1-3: one definition, two Points records
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn append_points_checked(
        &self,
        points: &[DataPoint],
        check_new: impl FnOnce(&[(SeriesId, &Arc<SeriesMeta>)]) -> Result<()>,
        assigned: impl FnOnce(Lsn),
    ) -> Result<Lsn> {
        if points.is_empty() {
            return Err(WalError::InvalidArgument(
                "append_points needs at least one point".into(),
            ));
        }
        let wal_points: Vec<WalPoint> = points
            .iter()
            .map(|p| WalPoint {
                series_id: p.series_id,
                timestamp: p.timestamp,
                value: p.value,
            })
            .collect();
        let mut payload = Vec::new();
        WalEntry::Points(wal_points).encode_payload(&mut payload);
        frame::check_payload_len(payload.len())
            .map_err(|what| WalError::InvalidArgument(what.into()))?;
        let mut state = self.lock_live()?;
        let (metas, new) = checked_series(&state, points)?;
        if !new.is_empty() {
            check_new(&new)?;
        }
        let lsn = state.push_points(&metas, &payload);
        assigned(lsn);
        self.wait_durable(state, lsn)
    }

    /// Syncs the active segment now (whatever the sync mode). A failure
    /// poisons the log.
    ///
    /// ```
    /// use skulk_format::DataPoint;
    /// use skulk_wal::{SyncMode, Wal, WalConfig};
    ///
    /// let dir = tempfile::tempdir()?;
    /// // Appends return after write(); sync when the batch must be durable.
    /// let config = WalConfig { sync_mode: SyncMode::None, ..WalConfig::default() };
    /// let wal = Wal::new(dir.path(), config)?;
    /// for ts in 0..100 {
    ///     wal.append_points(&[DataPoint::new("cpu", vec![], ts, 1.0)])?;
    /// }
    /// wal.sync()?;
    /// assert!(!wal.is_poisoned());
    /// assert_eq!(wal.next_lsn(), 102); // one series definition, 100 points
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sync(&self) -> Result<()> {
        drop(self.lock_live()?);
        let (result, (first, len)) = {
            let mut writer = lock(&self.writer);
            (writer.sync(crate::SyncMode::Fsync), writer.position())
        };
        match &result {
            Ok(()) => lock(&self.state).note_synced(first, len),
            Err(e) => self.poison(e),
        }
        result
    }

    fn poison(&self, cause: &WalError) {
        lock(&self.state).poisoned.get_or_insert(cause.poisoned());
        self.done.notify_all();
    }

    /// Deletes every whole segment whose records all have LSN `<= safe_lsn`
    /// (their data being durable elsewhere), never the active segment.
    /// Returns how many segments were deleted. Refused once poisoned.
    ///
    /// Before deleting anything it fsyncs the active segment, whatever the
    /// sync mode, so records appended before the truncation (such as the
    /// checkpoint that justifies it) survive a crash whenever its effect
    /// does. A failure of that sync poisons the log.
    pub fn truncate_through(&self, safe_lsn: Lsn) -> Result<usize> {
        drop(self.lock_live()?);
        let mut writer = lock(&self.writer);
        if writer.removable(safe_lsn) == 0 {
            return Ok(0);
        }
        if let Err(e) = writer.sync(crate::SyncMode::Fsync) {
            self.poison(&e);
            return Err(e);
        }
        let removed = writer.truncate_through(safe_lsn)?;
        let oldest = writer.segments().next().map(|(first, _)| *first);
        drop(writer);
        if let Some(oldest) = oldest {
            lock(&self.state).series.forget_before(oldest);
        }
        Ok(removed)
    }

    /// The number of series the live segments define: what the log holds
    /// in memory for its collision checks (the series of truncated
    /// segments are forgotten).
    pub fn series_count(&self) -> usize {
        lock(&self.state).series.len()
    }

    /// Has `observer` told about every segment a roll-over creates from now
    /// on, before any record goes into it; a failure of the observer
    /// poisons the log like a failed write.
    pub fn observe(&self, observer: Arc<dyn SegmentObserver>) {
        lock(&self.writer).observer = Some(observer);
    }

    /// When every record of the log has an LSN up to `safe_lsn` and is
    /// written, starts a new, empty segment (without telling the observer:
    /// the caller records it), so that [`Wal::truncate_through`] can remove
    /// every segment; returns its first LSN, or `None` when records are
    /// above `safe_lsn`, queued, or the active segment holds none. A
    /// failure poisons the log.
    pub fn roll_if_covered(&self, safe_lsn: Lsn) -> Result<Option<Lsn>> {
        let mut state = self.lock_live()?;
        if !state.settled_with_data() || state.next_lsn.saturating_sub(1) > safe_lsn {
            return Ok(None);
        }
        let first = state.next_lsn;
        let result = lock(&self.writer).start_segment(first);
        match result {
            Ok(()) => {
                state.rolled();
                Ok(Some(first))
            }
            Err(e) => {
                state.poisoned.get_or_insert(e.poisoned());
                drop(state);
                self.done.notify_all();
                Err(e)
            }
        }
    }

    /// The segment files, oldest first, as (first LSN, file name).
    pub fn segments(&self) -> Vec<(Lsn, String)> {
        lock(&self.writer).segments().cloned().collect()
    }

    /// The LSN the next record will get.
    pub fn next_lsn(&self) -> Lsn {
        lock(&self.state).next_lsn
    }

    /// True once a sync or write failed: every append fails until the log
    /// is reopened.
    pub fn is_poisoned(&self) -> bool {
        lock(&self.state).poisoned.is_some()
    }

    fn lock_live(&self) -> Result<MutexGuard<'_, Pending>> {
        let state = lock(&self.state);
        match &state.poisoned {
            Some(cause) => Err(cause.poisoned()),
            None => Ok(state),
        }
    }

    /// Waits until `lsn` is durable, committing a batch itself when no
    /// other writer is (leader/follower group commit).
    fn wait_durable<'a>(&'a self, mut state: MutexGuard<'a, Pending>, lsn: Lsn) -> Result<Lsn> {
        if state.flushing {
            self.arrived.notify_one();
        }
        loop {
            if state.durable_lsn >= lsn {
                return Ok(lsn);
            }
            if let Some(cause) = &state.poisoned {
                return Err(cause.poisoned());
            }
            if state.flushing {
                state = self
                    .done
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            let (guard, result) = self.commit_batch(state);
            state = guard;
            result?;
        }
    }

    /// Writes (and syncs) every pending record as one batch. On failure the
    /// log is poisoned and the error returned to this writer; the others
    /// waiting on the batch get [`WalError::Poisoned`] (with its kind).
    fn commit_batch<'a>(
        &'a self,
        mut state: MutexGuard<'a, Pending>,
    ) -> (MutexGuard<'a, Pending>, Result<()>) {
        state.flushing = true;
        state = self.gather(state);
        let chunks = std::mem::take(&mut state.chunks);
        state.records = 0;
        let target = state.next_lsn - 1;
        let (first, len) = (state.seg_first, state.seg_bytes);
        drop(state);
        let mut spare = Vec::new();
        let result = lock(&self.writer).commit(chunks, self.config.sync_mode, &mut spare);
        let mut state = lock(&self.state);
        state.flushing = false;
        state.recycle(spare);
        match &result {
            Ok(()) => {
                state.durable_lsn = state.durable_lsn.max(target);
                if self.config.sync_mode != crate::SyncMode::None {
                    state.note_synced(first, len);
                }
            }
            Err(e) => {
                state.poisoned.get_or_insert(e.poisoned());
            }
        }
        self.done.notify_all();
        (state, result)
    }

    /// Waits up to `batch_timeout` for `batch_size` pending records.
    fn gather<'a>(&'a self, mut state: MutexGuard<'a, Pending>) -> MutexGuard<'a, Pending> {
        let deadline = Instant::now() + self.config.batch_timeout;
        while state.records < self.config.batch_size {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = self
                .arrived
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        state
    }
}

/// The series of a batch with their ids.
type BatchSeries<'p> = Vec<(SeriesId, &'p Arc<SeriesMeta>)>;

/// The distinct series of `points` in order of first appearance, with
/// their ids, and those of them no live segment defines, after checking
/// each: an id the log or the batch already knows must carry the same
/// series, a new id must be its series' id. Refuses the batch before
/// anything is queued, so a failed call logs nothing.
fn checked_series<'p>(
    state: &Pending,
    points: &'p [DataPoint],
) -> Result<(BatchSeries<'p>, BatchSeries<'p>)> {
    let mut batch: SeriesIdMap<&'p Arc<SeriesMeta>> = SeriesIdMap::default();
    let mut distinct = Vec::new();
    let mut new = Vec::new();
    let mut previous: Option<&Arc<SeriesMeta>> = None;
    let mut new_ids: IdCheck<&Arc<SeriesMeta>> = IdCheck::default();
    for p in points {
        // A run of one series' points is checked once.
        if previous.is_some_and(|prev| Arc::ptr_eq(prev, &p.series)) {
            continue;
        }
        previous = Some(&p.series);
        let in_log = state.series.get(p.series_id);
        let known = in_log.or_else(|| batch.get(&p.series_id).copied());
        match known {
            Some(meta) if Arc::ptr_eq(meta, &p.series) || **meta == *p.series => {}
            Some(meta) => {
                // A point before this one that claimed a wrong id is the
                // first error.
                new_ids.finish().map_err(wrong_id)?;
                return Err(WalError::SeriesCollision {
                    id: p.series_id,
                    existing: Box::new(SeriesMeta::clone(meta)),
                    new: Box::new(SeriesMeta::clone(&p.series)),
                });
            }
            None => new_ids
                .meta(p.series_id, &p.series, &p.series)
                .map_err(wrong_id)?,
        }
        if let Entry::Vacant(slot) = batch.entry(p.series_id) {
            slot.insert(&p.series);
            distinct.push((p.series_id, &p.series));
            if in_log.is_none() {
                new.push((p.series_id, &p.series));
            }
        }
    }
    new_ids.finish().map_err(wrong_id)?;
    Ok((distinct, new))
}

fn wrong_id(wrong: WrongId<&Arc<SeriesMeta>>) -> WalError {
    WalError::InvalidArgument(format!(
        "point claims series id {} but {} has id {}",
        wrong.claimed, wrong.tag, wrong.actual
    ))
}

/// Opens the last segment for appending, after cutting its torn tail, or
/// creates the first one; returns it with its size.
fn open_active(
    dir: &LogDir,
    recovery: &Recovery,
    segments: &mut VecDeque<(Lsn, String)>,
) -> Result<(Box<dyn WritableFile>, u64)> {
    let current = recovery
        .segments()
        .last()
        .filter(|s| s.version == WalVersion::CURRENT);
    let Some(active) = current else {
        // No segment, or one of an older version (records of this version
        // go into a segment of this version): start a new one.
        if let Some((_, name)) = segments.back() {
            cut_tail(dir, name, recovery)?;
        }
        let first = recovery.next_lsn();
        segments.push_back((first, segment_name(first)));
        return Ok((create_segment(dir, first)?, SEGMENT_HEADER_LEN as u64));
    };
    let name = &active.name;
    let path = dir.path().join(name);
    let mut file = dir.open_append(name).map_err(|e| WalError::io(&path, e))?;
    if recovery.tail().is_some() {
        // A torn tail is cut; a lost end mark (already reported) is put
        // back, so that the cut is not reported again.
        let mark = end_mark::encode(active.len, recovery.next_lsn());
        file.write_at(active.len, &mark)
            .and_then(|()| file.set_len(active.len + END_MARK_LEN as u64))
            .map_err(|e| WalError::io(&path, e))?;
    }
    // Synced whole, so that the next frame's synced-through mark covers
    // every record already in it.
    file.sync(false).map_err(|e| WalError::io(&path, e))?;
    Ok((file, active.len))
}

/// Cuts the torn tail off segment `name` of an older version that stays as
/// it is otherwise.
fn cut_tail(dir: &LogDir, name: &str, recovery: &Recovery) -> Result<()> {
    let Some(tail) = recovery.tail() else {
        return Ok(());
    };
    let path = dir.path().join(name);
    let mut file = dir.open_append(name).map_err(|e| WalError::io(&path, e))?;
    file.set_len(tail.valid_len)
        .map_err(|e| WalError::io(&path, e))?;
    file.sync(false).map_err(|e| WalError::io(&path, e))
}

/// The series the active (last) segment defines.
fn active_definitions(recovery: &Recovery) -> SeriesIdSet {
    let first = recovery.segments().last().map_or(0, |s| s.first_lsn);
    recovery
        .records()
        .iter()
        .filter(|(lsn, _)| *lsn >= first)
        .filter_map(|(_, e)| match e {
            WalEntry::SeriesDef { id, .. } => Some(*id),
            _ => None,
        })
        .collect()
}

fn remove_tmp_files(dir: &LogDir) -> Result<()> {
    let names = dir.list().map_err(|e| WalError::io(dir.path(), e))?;
    let tmp: Vec<String> = names
        .into_iter()
        .filter(|n| n.ends_with(TMP_SUFFIX))
        .collect();
    for name in &tmp {
        dir.remove(name)
            .map_err(|e| WalError::io(dir.path().join(name), e))?;
    }
    if !tmp.is_empty() {
        dir.sync_dir().map_err(|e| WalError::io(dir.path(), e))?;
    }
    Ok(())
}

impl PointLog for Wal {
    type Error = WalError;

    fn log_points(&mut self, points: &[DataPoint]) -> Result<u64> {
        self.append_points(points)
    }
}

impl PointLog for &Wal {
    type Error = WalError;

    fn log_points(&mut self, points: &[DataPoint]) -> Result<u64> {
        self.append_points(points)
    }
}
