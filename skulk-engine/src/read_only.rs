//! Read-only opens: a consistent snapshot of a data directory, beside a
//! live writer or on a directory nobody may write.
//!
//! The snapshot is the files the manifest lists plus the WAL records above
//! its safe LSN. Nothing is written, no lock is taken. Files a compaction or
//! retention unlinks after they were mapped stay readable through the map.
//! When the writer moved on while the snapshot was being read (a listed
//! file is already gone, or the WAL was truncated past the manifest's safe
//! LSN), the snapshot is read again from the newer manifest.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use skulk_wal::{Wal, WalError};

use crate::engine::Inner;
use crate::layout::{Layout, WAL_DIR};
use crate::levels::{Levels, Span};
use crate::locks::exclusive;
use crate::maintenance::Signal;
use crate::manifest::Manifest;
use crate::options::OpenOptions;
use crate::recovery::{check_settings, query_pool};
use crate::replay::replay;
use crate::state::State;
use crate::stats::RecoveryStats;
use crate::tsm::TsmFile;
use crate::{EngineConfig, EngineError, Result};

/// Times a snapshot is read again before giving up.
const ATTEMPTS: usize = 100;

/// What one consistent read of the directory gave.
struct Snapshot {
    manifest: Manifest,
    state: State,
    stats: RecoveryStats,
    applied: u64,
}

/// Builds a read-only engine's shared state.
pub(crate) fn open(options: OpenOptions) -> Result<Inner> {
    let started = Instant::now();
    let OpenOptions {
        storage,
        config,
        clock,
        ..
    } = options;
    config.validate()?;
    let layout = Layout::new(storage);
    let mut snap = read(&layout, &config)?;
    snap.stats.duration = started.elapsed();
    let partition = snap.manifest.partition_duration;
    Ok(Inner {
        levels: Levels::new(partition, config.max_file_span()),
        partition,
        pool: query_pool(&config)?,
        clock,
        wal: None,
        safe_lsn: AtomicU64::new(snap.manifest.safe_lsn),
        next_gen: AtomicU64::new(snap.manifest.next_gen),
        manifest: Arc::new(Mutex::new(snap.manifest)),
        state: RwLock::new(snap.state),
        ingest: RwLock::new(()),
        lifecycle: Mutex::new(()),
        sequencer: Default::default(),
        applied_lsn: AtomicU64::new(snap.applied),
        failed: AtomicBool::new(false),
        failure: Mutex::new(None),
        background_error: Mutex::new(None),
        recovery: snap.stats,
        signal: Signal::default(),
        _lock: None,
        layout,
        config,
    })
}

/// Reads the directory again and swaps the new snapshot in (queries under
/// way keep the one they started with).
pub(crate) fn refresh(inner: &Inner) -> Result<()> {
    let snap = read(&inner.layout, &inner.config)?;
    inner
        .safe_lsn
        .store(snap.manifest.safe_lsn, Ordering::SeqCst);
    inner.applied_lsn.store(snap.applied, Ordering::SeqCst);
    *crate::locks::guard(&inner.manifest) = snap.manifest;
    *exclusive(&inner.state) = snap.state;
    Ok(())
}

/// Why one attempt did not give a snapshot.
enum Attempt {
    /// The writer moved on meanwhile: read again.
    Retry,
    /// A real problem.
    Fail(EngineError),
}

fn read(layout: &Layout, config: &EngineConfig) -> Result<Snapshot> {
    for _ in 0..ATTEMPTS {
        let manifest = Manifest::load(layout)?.ok_or_else(|| {
            EngineError::InvalidArgument(format!(
                "{} has no MANIFEST (an empty directory, or one of layout 1): open it \
                 for writing once to create or upgrade it",
                layout.root().display()
            ))
        })?;
        check_settings(&manifest, config)?;
        match attempt(layout, config, manifest) {
            Ok(snapshot) => return Ok(snapshot),
            Err(Attempt::Retry) => std::thread::yield_now(),
            Err(Attempt::Fail(e)) => return Err(e),
        }
    }
    Err(EngineError::InvalidArgument(format!(
        "{} changed {ATTEMPTS} times while a snapshot was being read; try again",
        layout.root().display()
    )))
}

/// One read of the manifest's files and the WAL after them.
fn attempt(
    layout: &Layout,
    config: &EngineConfig,
    manifest: Manifest,
) -> std::result::Result<Snapshot, Attempt> {
    let moved_on = |e: EngineError| match Manifest::load(layout) {
        Ok(Some(now)) if now.sequence != manifest.sequence => Attempt::Retry,
        _ => Attempt::Fail(e),
    };
    let mut state = State::new(config, manifest.partition_duration).map_err(Attempt::Fail)?;
    let mut stats = RecoveryStats::default();
    let storage = layout.storage();
    let mut files = Vec::with_capacity(manifest.files.len());
    for record in &manifest.files {
        let span = Span {
            start: record.span_start,
            end: record.span_end,
        };
        let file =
            TsmFile::open(storage.as_ref(), &record.path, record.gens(), span).map_err(moved_on)?;
        files.push(Arc::new(file));
    }
    state.add_files(files).map_err(Attempt::Fail)?;
    state.tombstones = manifest.tombstones.clone();
    let recovery = match Wal::recover_covered(Arc::clone(storage), WAL_DIR, manifest.safe_lsn) {
        Ok(recovery) => recovery,
        // A segment listed a moment ago is gone: the writer removed the
        // segments this manifest's safe LSN covers. Read again.
        Err(WalError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Err(Attempt::Retry);
        }
        // A record the writer was writing over the old end mark, read
        // half old and half new: the log reads differently a moment later.
        Err(WalError::Corrupt { .. })
            if !matches!(
                Wal::recover_covered(Arc::clone(storage), WAL_DIR, manifest.safe_lsn),
                Err(WalError::Corrupt { .. })
            ) =>
        {
            return Err(Attempt::Retry);
        }
        Err(e @ (WalError::Io { .. } | WalError::Corrupt { .. })) => {
            return Err(moved_on(EngineError::Wal(e)));
        }
        Err(e) => return Err(Attempt::Fail(EngineError::Wal(e))),
    };
    let first = recovery
        .records()
        .first()
        .map_or(recovery.next_lsn(), |(lsn, _)| *lsn);
    if first > manifest.safe_lsn + 1 {
        // The WAL was truncated past this manifest's safe LSN: a newer
        // manifest holds those records.
        return Err(Attempt::Retry);
    }
    stats.torn_bytes = recovery.torn_bytes();
    stats.wal_lost_end = recovery.lost_end().cloned();
    stats.safe_lsn = manifest.safe_lsn;
    let dropped =
        replay(&recovery, manifest.safe_lsn, &mut state, &mut stats).map_err(Attempt::Fail)?;
    state.remove_files(&dropped);
    stats.files_opened = state.files.len();
    stats.file_bytes = state.files.iter().map(|f| f.size()).sum();
    let applied = recovery.last_lsn().unwrap_or(0).max(manifest.safe_lsn);
    Ok(Snapshot {
        manifest,
        state,
        stats,
        applied,
    })
}
