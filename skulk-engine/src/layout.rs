//! The data directory: where the WAL, partitions and TSM files live, and the
//! durable file operations on them, all through the storage seam. Paths are
//! relative to the directory (the storage's root). See `FORMAT.md`, "Data
//! directory".

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use skulk_format::storage::{EntryKind, Storage, TMP_SUFFIX, parent_of, write_atomic};

use crate::Result;
use crate::error::EngineError;

/// Suffix of partition folders being dropped by earlier versions; leftovers
/// are deleted on open.
pub(crate) const DROPPED_SUFFIX: &str = ".dropped";
const TSM_SUFFIX: &str = ".tsm";

/// The folder of the write-ahead log.
pub(crate) const WAL_DIR: &str = "wal";
/// The folder of the time partitions of version-1 directories (files that
/// came from one stay there until a compaction replaces them).
pub(crate) const PARTITIONS_DIR: &str = "partitions";
/// The folder of TSM files.
pub(crate) const TSM_DIR: &str = "tsm";
/// The lock file an open engine holds.
pub(crate) const LOCK_FILE: &str = "LOCK";

/// Paths inside one data directory, and the storage it lives in.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    storage: Arc<dyn Storage>,
}

impl Layout {
    /// The data directory at the root of `storage`.
    pub fn new(storage: Arc<dyn Storage>) -> Self {
        Self { storage }
    }

    /// Where every file is read and written.
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    /// The data directory as messages show it.
    pub fn root(&self) -> &Path {
        self.storage.root()
    }

    /// `path` (relative) as messages show it.
    pub fn shown(&self, path: &Path) -> PathBuf {
        self.storage.display(path)
    }

    /// Maps an I/O error on `path` to [`EngineError::Io`].
    pub fn io(&self, path: &Path) -> impl FnOnce(io::Error) -> EngineError + use<> {
        let shown = self.shown(path);
        move |source| EngineError::Io {
            path: shown,
            source,
        }
    }

    pub fn partitions_dir(&self) -> &'static Path {
        Path::new(PARTITIONS_DIR)
    }

    pub fn checkpoint_path(&self) -> &'static Path {
        Path::new(crate::checkpoint::CHECKPOINT_FILE_NAME)
    }

    /// Creates `wal/` and `tsm/` if missing, then fsyncs the root, `wal/`
    /// and `tsm/`: always, so that entries created by a run that crashed
    /// before syncing them become durable now.
    pub fn create(&self) -> Result<()> {
        for dir in [WAL_DIR, TSM_DIR] {
            let dir = Path::new(dir);
            self.storage.create_dir(dir).map_err(self.io(dir))?;
        }
        for dir in ["", WAL_DIR, TSM_DIR] {
            self.fsync_dir(Path::new(dir))?;
        }
        Ok(())
    }

    /// Where the TSM file of generation `gen` is written.
    pub fn tsm_path(&self, gen_: u64) -> PathBuf {
        Path::new(TSM_DIR).join(FileGens::single(gen_).file_name())
    }

    /// True when `path` exists.
    pub fn exists(&self, path: &Path) -> Result<bool> {
        skulk_format::storage::exists(self.storage.as_ref(), path).map_err(self.io(path))
    }

    /// Fsyncs a folder so that names created, renamed or removed in it are
    /// durable.
    pub fn fsync_dir(&self, dir: &Path) -> Result<()> {
        self.storage.sync_dir(dir).map_err(self.io(dir))
    }

    /// Writes `bytes` to `path` atomically and durably: `path.tmp`, fsync,
    /// rename, fsync of the folder.
    pub fn write_atomic(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        write_atomic(self.storage.as_ref(), path, bytes)
            .map_err(|(path, source)| EngineError::Io { path, source })
    }

    /// Removes a file durably (unlink, fsync of the folder).
    pub fn remove_file(&self, path: &Path) -> Result<()> {
        self.storage.remove_file(path).map_err(self.io(path))?;
        self.fsync_dir(parent_of(path))
    }

    /// Removes files durably: unlinks each, then fsyncs each folder once.
    /// Missing files are fine (a removal that was done before a crash).
    pub fn remove_files(&self, paths: &[PathBuf]) -> Result<()> {
        let mut folders: Vec<&Path> = Vec::new();
        for path in paths {
            match self.storage.remove_file(path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(self.io(path)(e)),
                _ => {}
            }
            let folder = parent_of(path);
            if !folders.contains(&folder) {
                folders.push(folder);
            }
        }
        for folder in &folders {
            self.fsync_dir(folder)?;
        }
        for folder in folders {
            if folder.parent() == Some(Path::new(PARTITIONS_DIR)) {
                self.remove_empty_dir(folder)?;
            }
        }
        Ok(())
    }

    /// Removes `dir` if it is empty, then fsyncs its parent. A folder that
    /// is not empty, or that still holds files open elsewhere (FUSE, NFS),
    /// is left for later.
    pub fn remove_empty_dir(&self, dir: &Path) -> Result<()> {
        match self.storage.remove_dir(dir) {
            Ok(()) => self.fsync_dir(parent_of(dir)),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::DirectoryNotEmpty | io::ErrorKind::NotFound
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(self.io(dir)(e)),
        }
    }

    /// The names in folder `dir` with their kinds.
    pub fn list(&self, dir: &Path) -> Result<Vec<(String, EntryKind)>> {
        let entries = self.storage.list(dir).map_err(self.io(dir))?;
        Ok(entries.into_iter().map(|e| (e.name, e.kind)).collect())
    }

    /// Removes a folder and everything in it (files, then sub-folders, then
    /// the folder), syncing each folder after its files are gone and the
    /// parent at the end. Missing is fine. A crash part way leaves a
    /// folder that lacks some files: only call this for a folder whose
    /// removal is already recorded (a logged drop, a leftover).
    pub fn remove_dir_all(&self, dir: &Path) -> Result<()> {
        let entries = match self.storage.list(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(self.io(dir)(e)),
        };
        let mut removed_files = false;
        for entry in entries {
            let path = dir.join(&entry.name);
            match entry.kind {
                EntryKind::Dir => self.remove_dir_all(&path)?,
                EntryKind::File => {
                    self.storage.remove_file(&path).map_err(self.io(&path))?;
                    removed_files = true;
                }
            }
        }
        if removed_files {
            self.fsync_dir(dir)?;
        }
        self.storage.remove_dir(dir).map_err(self.io(dir))?;
        self.fsync_dir(parent_of(dir))
    }
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

/// Deletes leftovers of interrupted operations: `*.tmp` files in the root,
/// `tsm/` and the partition folders of version-1 directories, and their
/// `*.dropped` folders; returns how many.
pub(crate) fn remove_leftovers(layout: &Layout) -> Result<usize> {
    let mut removed = remove_tmp_in(layout, Path::new(""))?;
    removed += remove_tmp_in(layout, Path::new(TSM_DIR))?;
    let parts = layout.partitions_dir();
    if !layout.exists(parts)? {
        return Ok(removed);
    }
    let mut removed_here = 0;
    for (name, kind) in layout.list(parts)? {
        let path = parts.join(&name);
        let leftover = name.ends_with(DROPPED_SUFFIX) || name.ends_with(TMP_SUFFIX);
        match (leftover, kind) {
            (true, EntryKind::Dir) => {
                layout.remove_dir_all(&path)?;
                removed += 1;
            }
            (true, EntryKind::File) => {
                layout
                    .storage()
                    .remove_file(&path)
                    .map_err(layout.io(&path))?;
                removed_here += 1;
            }
            (false, EntryKind::Dir) => removed += remove_tmp_in(layout, &path)?,
            (false, EntryKind::File) => {}
        }
    }
    if removed_here > 0 {
        layout.fsync_dir(parts)?;
    }
    Ok(removed + removed_here)
}

fn remove_tmp_in(layout: &Layout, dir: &Path) -> Result<usize> {
    let mut removed = 0;
    for (name, kind) in layout.list(dir)? {
        if kind == EntryKind::File && name.ends_with(TMP_SUFFIX) {
            let path = dir.join(name);
            layout
                .storage()
                .remove_file(&path)
                .map_err(layout.io(&path))?;
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
    use skulk_format::storage::{FsStorage, tmp_path};

    use super::*;

    fn layout(dir: &Path) -> Layout {
        Layout::new(Arc::new(FsStorage::new(dir)))
    }

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
        let layout = layout(dir.path());
        layout.create().unwrap();
        std::fs::create_dir(dir.path().join(PARTITIONS_DIR)).unwrap();
        let part = dir.path().join("partitions/0");
        std::fs::create_dir_all(&part).unwrap();
        std::fs::write(part.join("a.tsm.tmp"), b"x").unwrap();
        std::fs::write(part.join(FileGens::single(1).file_name()), b"x").unwrap();
        std::fs::create_dir_all(dir.path().join("partitions/7.dropped/sub")).unwrap();
        std::fs::write(dir.path().join("partitions/7.dropped/sub/f"), b"x").unwrap();
        std::fs::write(dir.path().join("CHECKPOINT.tmp"), b"x").unwrap();
        assert_eq!(remove_leftovers(&layout).unwrap(), 3);
        assert!(part.join(FileGens::single(1).file_name()).exists());
        assert!(!dir.path().join("partitions/7.dropped").exists());
        assert_eq!(remove_leftovers(&layout).unwrap(), 0);
    }

    #[test]
    fn atomic_writes_and_folder_removal() {
        let dir = tempfile::tempdir().unwrap();
        let layout = layout(dir.path());
        let path = Path::new("f");
        layout.write_atomic(path, b"one").unwrap();
        layout.write_atomic(path, b"two").unwrap();
        assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"two");
        assert!(!dir.path().join(tmp_path(path)).exists());
        std::fs::create_dir_all(dir.path().join("5/inner")).unwrap();
        std::fs::write(dir.path().join("5/x"), b"x").unwrap();
        std::fs::write(dir.path().join("5/inner/y"), b"y").unwrap();
        layout.remove_dir_all(Path::new("5")).unwrap();
        assert!(!dir.path().join("5").exists());
        layout.remove_dir_all(Path::new("5")).unwrap();
    }
}
