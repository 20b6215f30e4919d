//! Opening a data directory of format version 1 (no `MANIFEST`): its TSM
//! files in `partitions/<start>/`, its `CHECKPOINT`. The directory is
//! upgraded without moving a file: a manifest is written that lists the
//! files where they are (compaction later merges them into `tsm/`), with
//! the checkpoint's safe LSN; then `CHECKPOINT` is removed.

use std::path::Path;

use std::time::Duration;

use skulk_format::TimePartition;
use skulk_format::storage::EntryKind;

use crate::checkpoint::CHECKPOINT_FILE_NAME;
use crate::layout::{self, FileGens, Layout, PARTITIONS_DIR, TSM_DIR, WAL_DIR};
use crate::levels::Span;
use crate::manifest::Manifest;
use crate::stats::RecoveryStats;
use crate::tsm::TsmFile;
use crate::{EngineError, Result, checkpoint};

/// True when the directory holds anything of a version-1 engine.
pub(crate) fn is_v1(layout: &Layout) -> Result<bool> {
    let has = |path: &str| layout.exists(Path::new(path));
    if has(CHECKPOINT_FILE_NAME)? || has(PARTITIONS_DIR)? {
        return Ok(true);
    }
    let wal = Path::new(WAL_DIR);
    Ok(layout
        .list(wal)?
        .iter()
        .any(|(name, kind)| *kind == EntryKind::File && name.ends_with(".wal")))
}

/// The files in `tsm/`, which only a version-2 directory has: without its
/// manifest such a directory has lost the record of what it holds (and the
/// WAL records those files hold are gone), so it is not a new directory.
pub(crate) fn orphaned_tsm_files(layout: &Layout) -> Result<usize> {
    let tsm = Path::new(TSM_DIR);
    if !layout.exists(tsm)? {
        return Ok(0);
    }
    Ok(layout.list(tsm)?.len())
}

/// The manifest of the version-1 directory `layout`, whose partitions are
/// `partition` long (refused when a partition folder is not aligned to
/// it); files a finished compaction replaced are deleted on the way.
pub(crate) fn manifest_of_v1(
    layout: &Layout,
    partition: Duration,
    stats: &mut RecoveryStats,
) -> Result<Manifest> {
    let mut manifest = Manifest::new(partition);
    manifest.safe_lsn = checkpoint::load(layout)?;
    let parts = Path::new(PARTITIONS_DIR);
    let folders = if layout.exists(parts)? {
        layout.list(parts)?
    } else {
        Vec::new()
    };
    for (name, kind) in folders {
        let Some(start) = layout::parse_partition_dir(&name).filter(|_| kind == EntryKind::Dir)
        else {
            continue;
        };
        let dir = parts.join(&name);
        let part = TimePartition::containing(start, partition)?;
        if part.start() != start {
            return Err(EngineError::InvalidArgument(format!(
                "partition folder {} does not match partition_duration {partition:?}; \
                 open the directory with the partition_duration it was created with",
                layout.shown(&dir).display()
            )));
        }
        let span = Span {
            start,
            end: part.end_ts(),
        };
        for gens in live_files(layout, &dir, stats)? {
            let path = dir.join(gens.file_name());
            let file = TsmFile::open(layout.storage().as_ref(), &path, gens, span)?;
            manifest.next_gen = manifest.next_gen.max(gens.last + 1);
            manifest.files.push(file.record());
        }
    }
    manifest.sort_files();
    Ok(manifest)
}

/// The TSM files of a version-1 partition folder that no other file
/// replaced; the replaced ones are deleted.
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

/// Removes the version-1 `CHECKPOINT` once a manifest holds its safe LSN.
pub(crate) fn remove_checkpoint(layout: &Layout) -> Result<()> {
    let path = Path::new(CHECKPOINT_FILE_NAME);
    if layout.exists(path)? {
        layout.remove_file(path)?;
    }
    Ok(())
}
