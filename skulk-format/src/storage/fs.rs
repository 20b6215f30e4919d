//! `FsStorage`: the real file system.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::lock::{self, LOCK_WAIT};
use super::{DirEntry, EntryKind, FileBytes, Metadata, Storage, StorageLock, WritableFile};

/// [`Storage`] on the real file system under a root folder: `std::fs` for
/// everything, `memmap2` for [`Storage::map`], `File::try_lock` for
/// [`Storage::lock`].
///
/// ```
/// use std::path::Path;
/// use skulk_format::storage::{FsStorage, Storage, write_atomic};
///
/// let dir = tempfile::tempdir()?;
/// let storage = FsStorage::create(dir.path().join("data"))?;
/// storage.create_dir(Path::new("part"))?;
/// write_atomic(&storage, Path::new("part/MANIFEST"), b"v1").map_err(|(_, e)| e)?;
/// assert_eq!(storage.read(Path::new("part/MANIFEST"))?, b"v1");
/// assert_eq!(storage.list(Path::new("part"))?.len(), 1);
/// assert!(storage.display(Path::new("part")).ends_with("data/part"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct FsStorage {
    root: PathBuf,
    lock_wait: Duration,
}

impl FsStorage {
    /// The folder `root` (which need not exist yet). `FsStorage::new("")`
    /// takes every path as given: relative to the working directory, or
    /// absolute.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            lock_wait: LOCK_WAIT,
        }
    }

    /// The folder `root`, created with its parents when missing; its parent
    /// is then fsynced, always, so that an entry created by an earlier run
    /// that crashed before syncing it becomes durable now.
    pub fn create(root: impl Into<PathBuf>) -> io::Result<Self> {
        let storage = Self::new(root);
        if !storage.root.as_os_str().is_empty() {
            fs::create_dir_all(&storage.root)?;
            if let Some(parent) = storage.root.parent() {
                let parent = if parent.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    parent
                };
                File::open(parent)?.sync_all()?;
            }
        }
        Ok(storage)
    }

    /// How long [`Storage::lock`] retries a held lock (default
    /// [`LOCK_WAIT`]; zero: one attempt).
    pub fn with_lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// The real path of `path`.
    fn full(&self, path: &Path) -> PathBuf {
        let joined = self.root.join(path);
        if joined.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            joined
        }
    }
}

#[derive(Debug)]
struct FsFile(File);

impl WritableFile for FsFile {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.write_all(bytes)
    }

    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        #[cfg(unix)]
        {
            // One positioned write: the log writes every commit this way.
            // `append` then continues at the end, as the file was opened.
            use std::os::unix::fs::FileExt;
            self.0.write_all_at(bytes, offset)?;
            self.0.seek(SeekFrom::End(0)).map(drop)
        }
        #[cfg(not(unix))]
        {
            self.0.seek(SeekFrom::Start(offset))?;
            self.0.write_all(bytes)?;
            self.0.seek(SeekFrom::End(0)).map(drop)
        }
    }

    fn sync(&mut self, data_only: bool) -> io::Result<()> {
        if data_only {
            self.0.sync_data()
        } else {
            self.0.sync_all()
        }
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.0.set_len(len)?;
        self.0.seek(SeekFrom::End(0)).map(drop)
    }
}

fn kind_of(file_type: fs::FileType) -> Option<EntryKind> {
    if file_type.is_file() {
        Some(EntryKind::File)
    } else if file_type.is_dir() {
        Some(EntryKind::Dir)
    } else {
        None
    }
}

impl Storage for FsStorage {
    fn root(&self) -> &Path {
        &self.root
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<DirEntry>> {
        let mut entries = Vec::new();
        for entry in fs::read_dir(self.full(dir))? {
            let entry = entry?;
            let Some(kind) = kind_of(entry.file_type()?) else {
                continue;
            };
            if let Ok(name) = entry.file_name().into_string() {
                entries.push(DirEntry { name, kind });
            }
        }
        Ok(entries)
    }

    fn metadata(&self, path: &Path) -> io::Result<Metadata> {
        let meta = fs::metadata(self.full(path))?;
        let kind = kind_of(meta.file_type()).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "neither a file nor a folder")
        })?;
        let len = if kind == EntryKind::File {
            meta.len()
        } else {
            0
        };
        Ok(Metadata { kind, len })
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        fs::read(self.full(path))
    }

    fn map(&self, path: &Path) -> io::Result<FileBytes> {
        let file = File::open(self.full(path))?;
        Ok(FileBytes::new(super::mmap::map(&file)?))
    }

    fn create(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(self.full(path))?;
        Ok(Box::new(FsFile(file)))
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let mut file = OpenOptions::new().write(true).open(self.full(path))?;
        file.seek(SeekFrom::End(0))?;
        Ok(Box::new(FsFile(file)))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(self.full(from), self.full(to))
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(self.full(path))
    }

    fn create_dir(&self, dir: &Path) -> io::Result<()> {
        let full = self.full(dir);
        match fs::create_dir(&full) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && full.is_dir() => Ok(()),
            other => other,
        }
    }

    fn remove_dir(&self, dir: &Path) -> io::Result<()> {
        fs::remove_dir(self.full(dir))
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        File::open(self.full(dir))?.sync_all()
    }

    fn lock(&self, path: &Path) -> io::Result<StorageLock> {
        lock::acquire(&self.full(path), self.lock_wait).map(StorageLock::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{exists, tmp_path, write_atomic};

    #[test]
    fn files_folders_and_listing() {
        let tmp = tempfile::tempdir().unwrap();
        let s = FsStorage::create(tmp.path().join("root")).unwrap();
        s.create_dir(Path::new("d")).unwrap();
        s.create_dir(Path::new("d")).unwrap();
        let mut f = s.create(Path::new("d/a")).unwrap();
        f.append(b"hello").unwrap();
        f.write_at(0, b"J").unwrap();
        f.append(b"!").unwrap();
        f.sync(true).unwrap();
        drop(f);
        let mut f = s.open_append(Path::new("d/a")).unwrap();
        f.append(b"?").unwrap();
        f.set_len(4).unwrap();
        f.append(b"x").unwrap();
        drop(f);
        assert_eq!(s.read(Path::new("d/a")).unwrap(), b"Jellx");
        assert_eq!(s.map(Path::new("d/a")).unwrap().bytes(), b"Jellx");
        let meta = s.metadata(Path::new("d/a")).unwrap();
        assert_eq!((meta.kind, meta.len), (EntryKind::File, 5));
        let list = s.list(Path::new("")).unwrap();
        assert_eq!(
            list,
            [DirEntry {
                name: "d".into(),
                kind: EntryKind::Dir
            }]
        );
        s.rename(Path::new("d/a"), Path::new("d/b")).unwrap();
        assert!(!exists(&s, Path::new("d/a")).unwrap());
        s.sync_dir(Path::new("d")).unwrap();
        assert!(s.remove_dir(Path::new("d")).is_err());
        s.remove_file(Path::new("d/b")).unwrap();
        s.remove_dir(Path::new("d")).unwrap();
        assert!(!exists(&s, Path::new("d")).unwrap());
        assert_eq!(s.display(Path::new("x")), tmp.path().join("root/x"));
    }

    #[test]
    fn atomic_writes_leave_no_tmp_file() {
        let tmp = tempfile::tempdir().unwrap();
        let s = FsStorage::new(tmp.path());
        write_atomic(&s, Path::new("f"), b"one").unwrap();
        write_atomic(&s, Path::new("f"), b"two").unwrap();
        assert_eq!(s.read(Path::new("f")).unwrap(), b"two");
        assert!(!exists(&s, &tmp_path(Path::new("f"))).unwrap());
    }

    #[test]
    fn an_empty_file_maps_to_no_bytes() {
        let tmp = tempfile::tempdir().unwrap();
        let s = FsStorage::new(tmp.path());
        drop(s.create(Path::new("e")).unwrap());
        assert!(s.map(Path::new("e")).unwrap().bytes().is_empty());
        assert!(s.map(Path::new("missing")).is_err());
    }

    #[test]
    fn a_held_lock_refuses_a_second_one() {
        let tmp = tempfile::tempdir().unwrap();
        let s = FsStorage::new(tmp.path()).with_lock_wait(Duration::ZERO);
        let held = s.lock(Path::new("LOCK")).unwrap();
        let err = s.lock(Path::new("LOCK")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        drop(held);
        s.lock(Path::new("LOCK")).unwrap();
    }
}
