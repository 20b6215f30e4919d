//! The data directory: where the WAL, partitions and TSM files live, and the
//! durable file operations on them. See `FORMAT.md`, "Data directory".

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[cfg(test)]
use skulk_format::StdStorage;
use skulk_format::TsmStorage;

use crate::Result;
use crate::error::IoContext;

/// Suffix of files being written; leftovers are deleted on open.
pub(crate) const TMP_SUFFIX: &str = ".tmp";
/// Suffix of partition folders being dropped; leftovers are deleted on open.
pub(crate) const DROPPED_SUFFIX: &str = ".dropped";
const TSM_SUFFIX: &str = ".tsm";

/// Paths inside one data directory, and the storage its files (TSM files,
/// `CHECKPOINT`, folder syncs; not the WAL) are written through.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    root: PathBuf,
    storage: Arc<dyn TsmStorage>,
}

impl Layout {
    /// The layout of `root` on the real file system.
    #[cfg(test)]
    pub fn new(root: &Path) -> Self {
        Self::with_storage(root, Arc::new(StdStorage))
    }

    /// The layout of `root`, writing through `storage`.
    pub fn with_storage(root: &Path, storage: Arc<dyn TsmStorage>) -> Self {
        Self {
            root: root.to_path_buf(),
            storage,
        }
    }

    /// Where TSM files and the checkpoint are written.
    pub fn storage(&self) -> &Arc<dyn TsmStorage> {
        &self.storage
    }

    pub fn lock_path(&self) -> PathBuf {
        self.root.join("LOCK")
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn wal_dir(&self) -> PathBuf {
        self.root.join("wal")
    }

    pub fn partitions_dir(&self) -> PathBuf {
        self.root.join("partitions")
    }

    pub fn checkpoint_path(&self) -> PathBuf {
        self.root.join("CHECKPOINT")
    }

    /// The folder of the partition starting at `start` (decimal nanoseconds).
    pub fn partition_dir(&self, start: i64) -> PathBuf {
        self.partitions_dir().join(start.to_string())
    }

    /// Creates the root, `wal/` and `partitions/` if missing, then fsyncs
    /// the root's parent (when it was created), the root, `wal/` and
    /// `partitions/`: always, so that entries created by a run that
    /// crashed before syncing them become durable now.
    pub fn create(&self) -> Result<()> {
        if !self.root.is_dir() {
            fs::create_dir_all(&self.root).at(&self.root)?;
            if let Some(parent) = self.root.parent().filter(|p| !p.as_os_str().is_empty()) {
                self.fsync_dir(parent)?;
            }
        }
        for dir in [self.wal_dir(), self.partitions_dir()] {
            if !dir.is_dir() {
                fs::create_dir(&dir).at(&dir)?;
            }
        }
        for dir in [self.root.clone(), self.wal_dir(), self.partitions_dir()] {
            self.fsync_dir(&dir)?;
        }
        Ok(())
    }

    /// Fsyncs a directory so that names created, renamed or removed in it
    /// are durable.
    pub fn fsync_dir(&self, dir: &Path) -> Result<()> {
        self.storage.sync_dir(dir).at(dir)
    }

    /// Writes `bytes` to `path` atomically and durably: `path.tmp`, fsync,
    /// rename, fsync of the folder.
    pub fn write_atomic(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        let tmp = tmp_path(path);
        {
            use std::io::Write;
            let mut f = self.storage.create(&tmp).at(&tmp)?;
            f.write_all(bytes).at(&tmp)?;
            f.flush().at(&tmp)?;
            f.sync().at(&tmp)?;
        }
        self.storage.rename(&tmp, path).at(path)?;
        self.fsync_dir(parent_of(path))
    }

    /// Removes a file durably (unlink, fsync of the folder).
    pub fn remove_file(&self, path: &Path) -> Result<()> {
        self.storage.remove(path).at(path)?;
        self.fsync_dir(parent_of(path))
    }

    /// Removes a partition folder as one step: renames it to
    /// `<start>.dropped` (atomic, durable), then deletes it.
    pub fn remove_partition_dir(&self, dir: &Path) -> Result<()> {
        if !dir.exists() {
            return Ok(());
        }
        let mut name = dir.file_name().unwrap_or_default().to_os_string();
        name.push(DROPPED_SUFFIX);
        let doomed = dir.with_file_name(name);
        self.storage.rename(dir, &doomed).at(dir)?;
        let parent = parent_of(dir);
        self.fsync_dir(parent)?;
        fs::remove_dir_all(&doomed).at(&doomed)?;
        self.fsync_dir(parent)
    }
}

fn parent_of(path: &Path) -> &Path {
    path.parent().unwrap_or(Path::new("."))
}

/// The name of a TSM file: the range of file generations it holds. A flush
/// writes one generation (`first == last`); a compaction of generations
/// `a..=b` writes a file named `a-b` that replaces them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct FileGens {
    pub first: u64,
    pub last: u64,
}

impl FileGens {
    pub fn single(gen_: u64) -> Self {
        Self {
            first: gen_,
            last: gen_,
        }
    }

    pub fn file_name(&self) -> String {
        format!("{:016x}-{:016x}{TSM_SUFFIX}", self.first, self.last)
    }

    pub fn parse(name: &str) -> Option<Self> {
        let stem = name.strip_suffix(TSM_SUFFIX)?;
        let (a, b) = stem.split_once('-')?;
        if a.len() != 16 || b.len() != 16 {
            return None;
        }
        let first = u64::from_str_radix(a, 16).ok()?;
        let last = u64::from_str_radix(b, 16).ok()?;
        (first <= last).then_some(Self { first, last })
    }

    /// True when `other` is a different file whose generations lie within
    /// this one's (so this file replaced it).
    pub fn covers(&self, other: &FileGens) -> bool {
        self != other && self.first <= other.first && other.last <= self.last
    }
}

/// Parses a partition folder name (decimal start nanoseconds).
pub(crate) fn parse_partition_dir(name: &str) -> Option<i64> {
    let start: i64 = name.parse().ok()?;
    (start.to_string() == name).then_some(start)
}

/// `path` with [`TMP_SUFFIX`] appended.
pub(crate) fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(TMP_SUFFIX);
    path.with_file_name(name)
}

/// Deletes leftovers of interrupted operations under the partitions folder
/// (`*.tmp` files, `*.dropped` folders) and the root; returns how many.
pub(crate) fn remove_leftovers(layout: &Layout) -> Result<usize> {
    let mut removed = 0;
    removed += remove_tmp_in(layout, layout.root())?;
    let parts = layout.partitions_dir();
    for entry in fs::read_dir(&parts).at(&parts)? {
        let path = entry.at(&parts)?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if name.ends_with(DROPPED_SUFFIX) || name.ends_with(TMP_SUFFIX) {
            if path.is_dir() {
                fs::remove_dir_all(&path).at(&path)?;
            } else {
                fs::remove_file(&path).at(&path)?;
            }
            removed += 1;
        } else if path.is_dir() {
            removed += remove_tmp_in(layout, &path)?;
        }
    }
    if removed > 0 {
        layout.fsync_dir(&parts)?;
    }
    Ok(removed)
}

fn remove_tmp_in(layout: &Layout, dir: &Path) -> Result<usize> {
    let mut removed = 0;
    for entry in fs::read_dir(dir).at(dir)? {
        let path = entry.at(dir)?.path();
        let is_tmp = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(TMP_SUFFIX));
        if is_tmp && path.is_file() {
            fs::remove_file(&path).at(&path)?;
            removed += 1;
        }
    }
    if removed > 0 {
        layout.fsync_dir(dir)?;
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_round_trip_and_order() {
        let g = FileGens { first: 3, last: 9 };
        assert_eq!(FileGens::parse(&g.file_name()), Some(g));
        assert!(
            g.covers(&FileGens::single(3)) && !g.covers(&g) && !g.covers(&FileGens::single(10))
        );
        assert_eq!(
            FileGens::parse("0000000000000009-0000000000000003.tsm"),
            None
        );
        assert_eq!(FileGens::parse("x.tsm"), None);
        assert_eq!(FileGens::parse(&format!("{}.tmp", g.file_name())), None);
    }

    #[test]
    fn partition_dirs_are_canonical_decimal() {
        assert_eq!(parse_partition_dir("-3600"), Some(-3600));
        assert_eq!(parse_partition_dir("007"), None);
        assert_eq!(parse_partition_dir("5.dropped"), None);
    }

    #[test]
    fn leftovers_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        layout.create().unwrap();
        let part = layout.partition_dir(0);
        fs::create_dir_all(&part).unwrap();
        fs::write(part.join("a.tsm.tmp"), b"x").unwrap();
        fs::write(part.join(FileGens::single(1).file_name()), b"x").unwrap();
        fs::create_dir_all(layout.partitions_dir().join("7.dropped")).unwrap();
        fs::write(dir.path().join("CHECKPOINT.tmp"), b"x").unwrap();
        assert_eq!(remove_leftovers(&layout).unwrap(), 3);
        assert!(part.join(FileGens::single(1).file_name()).exists());
        assert_eq!(remove_leftovers(&layout).unwrap(), 0);
    }

    #[test]
    fn atomic_writes_and_partition_removal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let layout = Layout::new(dir.path());
        layout.write_atomic(&path, b"one").unwrap();
        layout.write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert!(!tmp_path(&path).exists());
        let part = dir.path().join("5");
        fs::create_dir(&part).unwrap();
        fs::write(part.join("x"), b"x").unwrap();
        layout.remove_partition_dir(&part).unwrap();
        assert!(!part.exists());
        assert!(!dir.path().join("5.dropped").exists());
    }
}
