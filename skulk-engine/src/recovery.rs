//! Opening a data directory: the manifest (or the upgrade of a version-1
//! directory), its files checked against it, leftovers; then the WAL
//! replay ([`crate::replay`]).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use skulk_format::storage::{EntryKind, StorageLock};
use skulk_wal::{Lsn, Recovery, Wal};

use crate::engine::Inner;
use crate::layout::{self, FileGens, LOCK_FILE, Layout, PARTITIONS_DIR, TSM_DIR, WAL_DIR};
use crate::levels::{Levels, Span};
use crate::maintenance::Signal;
use crate::manifest::{FileRecord, Fingerprint, MANIFEST_FILE_NAME, Manifest, ManifestObserver};
use crate::options::OpenOptions;
use crate::state::State;
use crate::stats::RecoveryStats;
use crate::tsm::TsmFile;
use crate::{EngineConfig, EngineError, Result, upgrade};

/// The partition duration of a new directory when the configuration names
/// none.
pub(crate) const DEFAULT_PARTITION: Duration = Duration::from_secs(24 * 3600);

/// Builds the engine's shared state from the data directory `options`
/// name.
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
    layout.create()?;
    let dir_lock = lock_dir(&layout)?;
    let mut stats = RecoveryStats::default();
    let mut manifest = load_or_create(&layout, &config, &mut stats)?;
    stats.leftovers_removed = layout::remove_leftovers(&layout)?;
    let partition = manifest.partition_duration;
    let levels = Levels::new(partition, config.max_file_span());
    let mut state = State::new(&config, partition)?;
    let files = open_listed(&layout, &manifest, &mut stats)?;
    sweep_unlisted(&layout, &mut manifest, &mut stats)?;
    state.add_files(files)?;
    state.tombstones = manifest.tombstones.clone();

    let storage = Arc::clone(layout.storage());
    // Damage to records the files already hold is no reason to refuse the
    // log: it is skipped and reported.
    let (wal, recovery) =
        Wal::open_covered(storage, WAL_DIR, config.wal.clone(), manifest.safe_lsn)?;
    stats.torn_bytes = recovery.torn_bytes();
    stats.wal_lost_end = recovery.lost_end().cloned();
    stats.wal_damage_skipped = recovery.skipped().to_vec();
    check_segments(&layout, &manifest, &recovery)?;
    let last = recovery.next_lsn().saturating_sub(1);
    // The WAL lost a tail that files already hold: lower the safe LSN, so
    // that records appended from now on are above it and replayed.
    manifest.safe_lsn = manifest.safe_lsn.min(last);
    stats.safe_lsn = manifest.safe_lsn;
    let dropped = crate::replay::replay(&recovery, manifest.safe_lsn, &mut state, &mut stats)?;
    manifest.files.retain(|f| !dropped.contains(&f.path));
    manifest.removed.extend(dropped.iter().cloned());
    manifest.wal_segments = wal.segments().iter().map(|(first, _)| *first).collect();
    manifest.store(&layout)?;
    layout.remove_files(&dropped)?;
    upgrade::remove_checkpoint(&layout)?;
    let applied = recovery.last_lsn().unwrap_or(0).max(manifest.safe_lsn);
    let pool = query_pool(&config)?;
    stats.files_opened = state.files.len();
    stats.file_bytes = state.files.iter().map(|f| f.size()).sum();
    stats.duration = started.elapsed();
    let manifest = Arc::new(Mutex::new(manifest));
    wal.observe(Arc::new(ManifestObserver::new(
        layout.clone(),
        Arc::clone(&manifest),
    )));
    let (safe_lsn, next_gen) = {
        let m = crate::locks::guard(&manifest);
        (m.safe_lsn, m.next_gen)
    };
    Ok(Inner {
        layout,
        config,
        partition,
        levels,
        clock,
        wal: Some(wal),
        manifest,
        state: RwLock::new(state),
        ingest: RwLock::new(()),
        lifecycle: Mutex::new(()),
        sequencer: Default::default(),
        applied_lsn: AtomicU64::new(applied),
        safe_lsn: AtomicU64::new(safe_lsn),
        next_gen: AtomicU64::new(next_gen),
        failed: AtomicBool::new(false),
        failure: Mutex::new(None),
        background_error: Mutex::new(None),
        pool,
        recovery: stats,
        signal: Signal::default(),
        _lock: Some(dir_lock),
    })
}

pub(crate) fn query_pool(config: &EngineConfig) -> Result<Option<rayon::ThreadPool>> {
    match config.query_threads {
        0 => Ok(None),
        n => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(|i| format!("skulk-query-{i}"))
            .build()
            .map(Some)
            .map_err(|e| EngineError::InvalidArgument(format!("query thread pool: {e}"))),
    }
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

/// The directory's manifest; a new directory gets one with the configured
/// settings, a version-1 directory is upgraded.
fn load_or_create(
    layout: &Layout,
    config: &EngineConfig,
    stats: &mut RecoveryStats,
) -> Result<Manifest> {
    if let Some(manifest) = Manifest::load(layout)? {
        check_settings(&manifest, config)?;
        return Ok(manifest);
    }
    let orphans = upgrade::orphaned_tsm_files(layout)?;
    if orphans > 0 {
        return Err(EngineError::MissingFile {
            path: layout.shown(Path::new(MANIFEST_FILE_NAME)),
            holds: format!(
                "the list of the directory's files ({orphans} in tsm/) and its settings; \
                 restore it from a backup"
            ),
        });
    }
    let partition = config.partition_duration.unwrap_or(DEFAULT_PARTITION);
    let mut manifest = if upgrade::is_v1(layout)? {
        stats.upgraded = true;
        upgrade::manifest_of_v1(layout, partition, stats)?
    } else {
        Manifest::new(partition)
    };
    manifest.store(layout)?;
    Ok(manifest)
}

/// Refuses a configuration whose settings differ from those the directory
/// was created with.
pub(crate) fn check_settings(manifest: &Manifest, config: &EngineConfig) -> Result<()> {
    match config.partition_duration {
        Some(configured) if configured != manifest.partition_duration => {
            Err(EngineError::SettingMismatch {
                setting: "partition_duration",
                stored: format!("{:?}", manifest.partition_duration),
                configured: format!("{configured:?}"),
            })
        }
        _ => Ok(()),
    }
}

/// Opens every file the manifest lists; a missing file, or one whose size
/// or checksum differs from what was recorded, is an error naming it.
fn open_listed(
    layout: &Layout,
    manifest: &Manifest,
    stats: &mut RecoveryStats,
) -> Result<Vec<Arc<TsmFile>>> {
    let storage = layout.storage();
    let mut files = Vec::with_capacity(manifest.files.len());
    for record in &manifest.files {
        check_listed(layout, record)?;
        let span = Span {
            start: record.span_start,
            end: record.span_end,
        };
        let file = TsmFile::open(storage.as_ref(), &record.path, record.gens(), span)?;
        if Fingerprint::of(&file.reader) != record.fingerprint() {
            return Err(EngineError::FileChanged {
                path: layout.shown(&record.path),
                what: "its checksum, point count or time range differs from the manifest's record"
                    .into(),
            });
        }
        stats.file_bytes += file.size();
        files.push(Arc::new(file));
    }
    Ok(files)
}

/// Fails unless the file `record` names exists with the recorded size.
pub(crate) fn check_listed(layout: &Layout, record: &FileRecord) -> Result<()> {
    let shown = layout.shown(&record.path);
    match layout.storage().metadata(&record.path) {
        Ok(meta) if meta.len == record.size => Ok(()),
        Ok(meta) => Err(EngineError::FileChanged {
            path: shown,
            what: format!("{} bytes, the manifest recorded {}", meta.len, record.size),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(EngineError::MissingFile {
            path: shown,
            holds: lost_data(record),
        }),
        Err(e) => Err(layout.io(&record.path)(e)),
    }
}

/// What a listed file held, for messages about its loss.
pub(crate) fn lost_data(record: &FileRecord) -> String {
    if record.points == 0 {
        return "no points".into();
    }
    format!(
        "{} points from {} to {} ns",
        record.points, record.min_ts, record.max_ts
    )
}

/// Handles TSM files the manifest does not list: those it notes as removed
/// and those of generations it has not reached (an interrupted flush or
/// compaction wrote them) are deleted; anything else is a stray, reported
/// in [`RecoveryStats::stray_files`] and left alone.
fn sweep_unlisted(
    layout: &Layout,
    manifest: &mut Manifest,
    stats: &mut RecoveryStats,
) -> Result<()> {
    let listed: Vec<&Path> = manifest.files.iter().map(|f| f.path.as_path()).collect();
    let mut doomed = Vec::new();
    for path in candidate_files(layout)? {
        if listed.contains(&path.as_path()) {
            continue;
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let gens = FileGens::parse(name);
        if manifest.removed.contains(&path) {
            stats.obsolete_files_removed += 1;
            doomed.push(path);
        } else if gens.is_some_and(|g| g.first >= manifest.next_gen) {
            stats.leftovers_removed += 1;
            doomed.push(path);
        } else {
            stats.stray_files.push(path);
        }
    }
    layout.remove_files(&doomed)?;
    manifest.removed.clear();
    Ok(())
}

/// Every file in `tsm/` and in the partition folders of `partitions/`.
fn candidate_files(layout: &Layout) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut folders = vec![PathBuf::from(TSM_DIR)];
    let parts = Path::new(PARTITIONS_DIR);
    if layout.exists(parts)? {
        for (name, kind) in layout.list(parts)? {
            match kind {
                EntryKind::Dir => folders.push(parts.join(name)),
                EntryKind::File => out.push(parts.join(name)),
            }
        }
    }
    for folder in folders {
        for (name, kind) in layout.list(&folder)? {
            if kind == EntryKind::File {
                out.push(folder.join(name));
            }
        }
    }
    Ok(out)
}

/// Fails when a WAL segment the manifest lists is gone while it may hold
/// records above the safe LSN (records no file holds).
pub(crate) fn check_segments(
    layout: &Layout,
    manifest: &Manifest,
    recovery: &Recovery,
) -> Result<()> {
    match missing_segments(manifest, recovery).first() {
        Some(missing) => Err(missing.error(layout)),
        None => Ok(()),
    }
}

/// A listed WAL segment that is gone while it may hold records above the
/// safe LSN.
pub(crate) struct MissingSegment {
    pub first: Lsn,
    /// Its last LSN, when a later segment tells.
    pub last: Option<Lsn>,
}

impl MissingSegment {
    pub fn path(&self) -> PathBuf {
        Path::new(WAL_DIR).join(format!("{:016x}.wal", self.first))
    }

    pub fn holds(&self) -> String {
        match self.last {
            Some(last) => format!("WAL records with LSNs {} to {last}", self.first),
            None => format!("WAL records from LSN {} on", self.first),
        }
    }

    pub fn error(&self, layout: &Layout) -> EngineError {
        EngineError::MissingFile {
            path: layout.shown(&self.path()),
            holds: self.holds(),
        }
    }
}

/// Every listed segment gone with records above the safe LSN.
pub(crate) fn missing_segments(manifest: &Manifest, recovery: &Recovery) -> Vec<MissingSegment> {
    let present: Vec<Lsn> = recovery.segments().iter().map(|s| s.first_lsn).collect();
    let mut all: Vec<Lsn> = manifest.wal_segments.clone();
    all.extend(&present);
    all.sort_unstable();
    all.dedup();
    manifest
        .wal_segments
        .iter()
        .filter(|first| !present.contains(first))
        .map(|&first| MissingSegment {
            first,
            last: all.iter().find(|f| **f > first).map(|next| next - 1),
        })
        // Covered: its removal simply was not recorded yet.
        .filter(|m| m.last.is_none_or(|last| last > manifest.safe_lsn))
        .collect()
}
