//! Opening a data directory: leftovers, TSM files, checkpoint, WAL replay.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use skulk_format::{DataPoint, SeriesId, SeriesMeta, TimePartition, TsmStorage};
use skulk_wal::storage::{DirLock, LogDir};
use skulk_wal::{Lsn, Recovery, Wal, WalEntry, WalError};

use crate::clock::Clock;
use crate::engine::Inner;
use crate::error::IoContext;
use crate::layout::{self, FileGens, Layout};
use crate::maintenance::Signal;
use crate::state::{Partition, State};
use crate::stats::RecoveryStats;
use crate::tsm::TsmFile;
use crate::{EngineConfig, EngineError, Result, checkpoint};

/// Builds the engine's shared state from the directory at `dir`; the WAL
/// lives in `wal_dir` when given, else in `<dir>/wal/`.
pub(crate) fn open(
    dir: &Path,
    config: EngineConfig,
    clock: Arc<dyn Clock>,
    wal_dir: Option<Arc<dyn LogDir>>,
    files: Arc<dyn TsmStorage>,
) -> Result<Inner> {
    let started = Instant::now();
    config.validate()?;
    let layout = Layout::with_storage(dir, files);
    layout.create()?;
    let dir_lock = lock_dir(&layout)?;
    let mut stats = RecoveryStats {
        leftovers_removed: layout::remove_leftovers(&layout)?,
        ..Default::default()
    };
    let mut state = State::default();
    let max_gen = load_files(&layout, config.partition_duration, &mut state, &mut stats)?;

    let (wal, recovery) = match wal_dir {
        Some(wal_dir) => Wal::open_in(wal_dir, config.wal.clone())?,
        None => Wal::open(layout.wal_dir(), config.wal.clone())?,
    };
    stats.torn_bytes = recovery.torn_bytes();
    let safe_lsn = effective_safe_lsn(&layout, &recovery)?;
    stats.safe_lsn = safe_lsn;
    replay(
        &layout,
        &recovery,
        safe_lsn,
        config.partition_duration,
        &mut state,
        &mut stats,
    )?;
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
fn lock_dir(layout: &Layout) -> Result<DirLock> {
    let path = layout.lock_path();
    DirLock::acquire(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::WouldBlock => EngineError::DirectoryInUse {
            path: layout.root().to_path_buf(),
        },
        _ => EngineError::io(path, e),
    })
}

/// The checkpoint, lowered to the WAL's last record if the WAL ends before
/// it (so that records appended from now on are above it and replayed).
fn effective_safe_lsn(layout: &Layout, recovery: &Recovery) -> Result<u64> {
    let stored = checkpoint::load(&layout.checkpoint_path())?;
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
    for entry in std::fs::read_dir(&parts).at(&parts)? {
        let dir = entry.at(&parts)?.path();
        let Some(start) = dir
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(layout::parse_partition_dir)
        else {
            continue;
        };
        let part = TimePartition::containing(start, duration)?;
        if part.start() != start {
            return Err(EngineError::InvalidArgument(format!(
                "partition folder {} does not match partition_duration {duration:?}; \
                 open the directory with the partition_duration it was created with",
                dir.display()
            )));
        }
        let gens = live_files(layout, &dir, stats)?;
        let mut partition = Partition::new(part);
        for g in gens {
            let file = TsmFile::open(&dir.join(g.file_name()), g)?;
            stats.files_opened += 1;
            stats.file_bytes += file.size();
            max_gen = max_gen.max(g.last);
            state.catalog_file(&file);
            partition.add_file(Arc::new(file));
        }
        if !partition.files.is_empty() {
            state.partitions.insert(start, partition);
        }
    }
    Ok(max_gen)
}

/// The TSM files of a partition folder that no other file replaced; the
/// replaced ones are deleted.
fn live_files(layout: &Layout, dir: &Path, stats: &mut RecoveryStats) -> Result<Vec<FileGens>> {
    let mut gens = Vec::new();
    for entry in std::fs::read_dir(dir).at(dir)? {
        let name = entry.at(dir)?.file_name();
        if let Some(g) = name.to_str().and_then(FileGens::parse) {
            gens.push(g);
        }
    }
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
    duration: Duration,
    state: &mut State,
    stats: &mut RecoveryStats,
) -> Result<()> {
    let mut series: HashMap<SeriesId, Arc<SeriesMeta>> = HashMap::new();
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
                state.insert(&resolved, duration)?;
                stats.wal_points_replayed += resolved.len() as u64;
            }
            WalEntry::DropPartition(part) => {
                if state.partitions.remove(&part.start()).is_some() {
                    stats.partitions_dropped += 1;
                }
                layout.remove_partition_dir(&layout.partition_dir(part.start()))?;
            }
            _ => {}
        }
    }
    if stats.partitions_dropped > 0 {
        state.rebuild_catalog();
    }
    Ok(())
}
