//! Opening a data directory: leftovers, TSM files, checkpoint, WAL replay.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use skulk_format::storage::{EntryKind, StorageLock};
use skulk_format::{DataPoint, SeriesId, SeriesMeta, TimePartition};
use skulk_wal::{Lsn, Recovery, Wal, WalEntry, WalError};

use crate::engine::Inner;
use crate::layout::{self, FileGens, LOCK_FILE, Layout, WAL_DIR};
use crate::maintenance::Signal;
use crate::options::OpenOptions;
use crate::state::State;
use crate::stats::RecoveryStats;
use crate::tsm::TsmFile;
use crate::{EngineError, Result, checkpoint};

/// Builds the engine's shared state from the data directory `options`
/// name.
pub(crate) fn open(options: OpenOptions) -> Result<Inner> {
    let started = Instant::now();
    let OpenOptions {
        storage,
        config,
        clock,
    } = options;
    config.validate()?;
    let layout = Layout::new(storage);
    layout.create()?;
    let dir_lock = lock_dir(&layout)?;
    let mut stats = RecoveryStats {
        leftovers_removed: layout::remove_leftovers(&layout)?,
        ..Default::default()
    };
    let mut state = State::new(&config)?;
    let max_gen = load_files(&layout, config.partition_duration, &mut state, &mut stats)?;

    let storage = Arc::clone(layout.storage());
    let (wal, recovery) = Wal::open_in(storage, WAL_DIR, config.wal.clone())?;
    stats.torn_bytes = recovery.torn_bytes();
    let safe_lsn = effective_safe_lsn(&layout, &recovery)?;
    stats.safe_lsn = safe_lsn;
    replay(&layout, &recovery, safe_lsn, &mut state, &mut stats)?;
    let applied = recovery.last_lsn().unwrap_or(0).max(safe_lsn);
    let pool = match config.query_threads {
        0 => None,
        n => Some(
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .thread_name(|i| format!("skulk-query-{i}"))
                .build()
                .map_err(|e| EngineError::InvalidArgument(format!("query thread pool: {e}")))?,
        ),
    };
    stats.duration = started.elapsed();
    Ok(Inner {
        layout,
        config,
        clock,
        wal,
        state: RwLock::new(state),
        ingest: RwLock::new(()),
        lifecycle: Mutex::new(()),
        applied_lsn: AtomicU64::new(applied),
        safe_lsn: AtomicU64::new(safe_lsn),
        next_gen: AtomicU64::new(max_gen + 1),
        failed: AtomicBool::new(false),
        failure: Mutex::new(None),
        background_error: Mutex::new(None),
        pool,
        recovery: stats,
        signal: Signal::default(),
        _lock: dir_lock,
    })
}

/// Takes the exclusive lock on `<dir>/LOCK`, held as long as the engine.
fn lock_dir(layout: &Layout) -> Result<StorageLock> {
    let path = Path::new(LOCK_FILE);
    layout.storage().lock(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::WouldBlock => EngineError::DirectoryInUse {
            path: layout.root().to_path_buf(),
        },
        _ => layout.io(path)(e),
    })
}

/// The checkpoint, lowered to the WAL's last record if the WAL ends before
/// it (so that records appended from now on are above it and replayed).
fn effective_safe_lsn(layout: &Layout, recovery: &Recovery) -> Result<u64> {
    let stored = checkpoint::load(layout)?;
    let last = recovery.next_lsn().saturating_sub(1);
    if stored > last {
        checkpoint::store(layout, last)?;
        return Ok(last);
    }
    Ok(stored)
}

/// Maps every TSM file into `state`, deleting files a finished compaction
/// replaced; returns the highest file generation.
fn load_files(
    layout: &Layout,
    duration: Duration,
    state: &mut State,
    stats: &mut RecoveryStats,
) -> Result<u64> {
    let parts = layout.partitions_dir();
    let mut max_gen = 0;
    for (name, kind) in layout.list(parts)? {
        let Some(start) = layout::parse_partition_dir(&name).filter(|_| kind == EntryKind::Dir)
        else {
            continue;
        };
        let dir = parts.join(&name);
        let part = TimePartition::containing(start, duration)?;
        if part.start() != start {
            return Err(EngineError::InvalidArgument(format!(
                "partition folder {} does not match partition_duration {duration:?}; \
                 open the directory with the partition_duration it was created with",
                layout.shown(&dir).display()
            )));
        }
        for g in live_files(layout, &dir, stats)? {
            let file = TsmFile::open(layout.storage().as_ref(), &dir.join(g.file_name()), g)?;
            stats.files_opened += 1;
            stats.file_bytes += file.size();
            max_gen = max_gen.max(g.last);
            state.catalog_file(&file);
            state.partition_mut(part).add_file(Arc::new(file));
        }
    }
    Ok(max_gen)
}

/// The TSM files of a partition folder that no other file replaced; the
/// replaced ones are deleted.
fn live_files(layout: &Layout, dir: &Path, stats: &mut RecoveryStats) -> Result<Vec<FileGens>> {
    let gens: Vec<FileGens> = layout
        .list(dir)?
        .into_iter()
        .filter(|(_, kind)| *kind == EntryKind::File)
        .filter_map(|(name, _)| FileGens::parse(&name))
        .collect();
    let (obsolete, live): (Vec<FileGens>, Vec<FileGens>) = gens
        .iter()
        .partition(|g| gens.iter().any(|other| other.covers(g)));
    for g in obsolete {
        layout.remove_file(&dir.join(g.file_name()))?;
        stats.obsolete_files_removed += 1;
    }
    Ok(live)
}

/// Applies every WAL record above `safe_lsn`, in LSN order.
fn replay(
    layout: &Layout,
    recovery: &Recovery,
    safe_lsn: Lsn,
    state: &mut State,
    stats: &mut RecoveryStats,
) -> Result<()> {
    let mut series: HashMap<SeriesId, Arc<SeriesMeta>> = HashMap::new();
    let mut dropped = false;
    for (lsn, entry) in recovery.records() {
        if let WalEntry::SeriesDef { id, meta } = entry {
            let known = series.entry(*id).or_insert_with(|| Arc::new(meta.clone()));
            if **known != *meta {
                return Err(EngineError::Wal(WalError::SeriesCollision {
                    id: *id,
                    existing: Box::new(SeriesMeta::clone(known)),
                    new: Box::new(meta.clone()),
                }));
            }
        }
        if *lsn <= safe_lsn {
            continue;
        }
        stats.wal_records_replayed += 1;
        match entry {
            WalEntry::Points(points) => {
                let resolved = points
                    .iter()
                    .map(|p| match series.get(&p.series_id) {
                        Some(meta) => Ok(DataPoint::for_series(
                            Arc::clone(meta),
                            p.timestamp,
                            p.value,
                        )),
                        None => Err(WalError::UnknownSeries {
                            lsn: *lsn,
                            series: p.series_id,
                        }),
                    })
                    .collect::<Result<Vec<_>, WalError>>()?;
                state.insert(&resolved, *lsn)?;
                stats.wal_points_replayed += resolved.len() as u64;
            }
            WalEntry::DropPartition(part) => {
                let gone = state.drop_partition(*part);
                if !gone.files.is_empty() || gone.memtable_points > 0 {
                    stats.partitions_dropped += 1;
                    dropped = true;
                }
                drop(gone);
                layout.remove_dir_all(&layout.partition_dir(part.start()))?;
            }
            _ => {}
        }
    }
    if dropped {
        state.rebuild_catalog();
    }
    Ok(())
}
