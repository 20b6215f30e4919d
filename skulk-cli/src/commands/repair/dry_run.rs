//! A data directory that reads the real one and keeps every change in
//! memory, so that `repair --dry-run` runs the same WAL repair, checks the
//! directory as the repair would leave it, and reports exactly what it
//! would do, without changing a byte on disk.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use skulk_format::storage::{
    DirEntry, EntryKind, FileBytes, FsStorage, Metadata, Storage, StorageLock, WritableFile,
};

/// What happened to one file, in memory only.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Change {
    /// The file was removed.
    Removed,
    /// The file's whole content now (a new file, or a real one changed).
    Written(Vec<u8>),
}

type Changes = Arc<Mutex<BTreeMap<PathBuf, Change>>>;

fn changes(map: &Changes) -> MutexGuard<'_, BTreeMap<PathBuf, Change>> {
    map.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The real directory underneath, and the changes made "on top" of it:
/// every file written, renamed or cut is kept whole in memory (a WAL and
/// its backups: small). Folders cannot be created or removed.
#[derive(Debug)]
pub struct DryRunDir {
    real: FsStorage,
    changes: Changes,
}

impl DryRunDir {
    /// The existing directory at `path`, read-only.
    pub fn open(path: &Path) -> io::Result<Self> {
        let real = FsStorage::new(path);
        if real.metadata(Path::new(""))?.kind != EntryKind::Dir {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                "not a directory",
            ));
        }
        Ok(Self {
            real,
            changes: Changes::default(),
        })
    }

    fn change(&self, path: &Path) -> Option<Change> {
        changes(&self.changes).get(path).cloned()
    }

    /// Sets the content of `path` and returns it open for writing.
    fn file(&self, path: &Path, bytes: Vec<u8>) -> Box<dyn WritableFile> {
        changes(&self.changes).insert(path.to_owned(), Change::Written(bytes));
        Box::new(DryRunFile {
            path: path.to_owned(),
            changes: Arc::clone(&self.changes),
        })
    }
}

/// An open file of a [`DryRunDir`]: every write changes its bytes in
/// memory.
#[derive(Debug)]
struct DryRunFile {
    path: PathBuf,
    changes: Changes,
}

impl DryRunFile {
    fn edit<T>(&self, f: impl FnOnce(&mut Vec<u8>) -> io::Result<T>) -> io::Result<T> {
        let mut map = changes(&self.changes);
        match map.get_mut(&self.path) {
            Some(Change::Written(bytes)) => f(bytes),
            _ => Err(not_found(&self.path)),
        }
    }
}

impl WritableFile for DryRunFile {
    fn append(&mut self, more: &[u8]) -> io::Result<()> {
        self.edit(|bytes| {
            bytes.extend_from_slice(more);
            Ok(())
        })
    }

    fn write_at(&mut self, offset: u64, new: &[u8]) -> io::Result<()> {
        self.edit(|bytes| {
            let at = usize::try_from(offset).map_err(io::Error::other)?;
            let end = at.saturating_add(new.len());
            if bytes.len() < end {
                bytes.resize(end, 0);
            }
            if let Some(range) = bytes.get_mut(at..end) {
                range.copy_from_slice(new);
            }
            Ok(())
        })
    }

    fn sync(&mut self, _data_only: bool) -> io::Result<()> {
        Ok(())
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.edit(|bytes| {
            bytes.resize(usize::try_from(len).map_err(io::Error::other)?, 0);
            Ok(())
        })
    }
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{}: no such file", path.display()),
    )
}

fn refused(what: &str, path: &Path) -> io::Error {
    io::Error::other(format!("a dry run cannot {what} {}", path.display()))
}

impl Storage for DryRunDir {
    fn root(&self) -> &Path {
        self.real.root()
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<DirEntry>> {
        let mut entries = self.real.list(dir)?;
        let map = changes(&self.changes);
        entries.retain(|e| map.get(&dir.join(&e.name)) != Some(&Change::Removed));
        for (path, change) in map.iter() {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let here = path.parent() == Some(dir);
            if here
                && matches!(change, Change::Written(_))
                && !entries.iter().any(|e| e.name == name)
            {
                entries.push(DirEntry {
                    name: name.to_owned(),
                    kind: EntryKind::File,
                });
            }
        }
        Ok(entries)
    }

    fn metadata(&self, path: &Path) -> io::Result<Metadata> {
        match self.change(path) {
            None => self.real.metadata(path),
            Some(Change::Removed) => Err(not_found(path)),
            Some(Change::Written(bytes)) => Ok(Metadata {
                kind: EntryKind::File,
                len: bytes.len() as u64,
            }),
        }
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        match self.change(path) {
            None => self.real.read(path),
            Some(Change::Removed) => Err(not_found(path)),
            Some(Change::Written(bytes)) => Ok(bytes),
        }
    }

    fn map(&self, path: &Path) -> io::Result<FileBytes> {
        self.read(path).map(FileBytes::from)
    }

    fn create(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        Ok(self.file(path, Vec::new()))
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let bytes = self.read(path)?;
        Ok(self.file(path, bytes))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let bytes = self.read(from)?;
        let mut map = changes(&self.changes);
        map.insert(from.to_owned(), Change::Removed);
        map.insert(to.to_owned(), Change::Written(bytes));
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.metadata(path)?;
        changes(&self.changes).insert(path.to_owned(), Change::Removed);
        Ok(())
    }

    fn create_dir(&self, dir: &Path) -> io::Result<()> {
        match self.real.metadata(dir) {
            Ok(meta) if meta.kind == EntryKind::Dir => Ok(()),
            _ => Err(refused("create", dir)),
        }
    }

    fn remove_dir(&self, dir: &Path) -> io::Result<()> {
        Err(refused("remove", dir))
    }

    fn sync_dir(&self, _dir: &Path) -> io::Result<()> {
        Ok(())
    }

    fn lock(&self, _path: &Path) -> io::Result<StorageLock> {
        // `repair` holds the data directory's lock already.
        Ok(StorageLock::new(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_stay_in_memory() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("a"), b"abcdef").unwrap();
        std::fs::write(tmp.path().join("b"), b"xyz").unwrap();
        let dir = DryRunDir::open(tmp.path()).unwrap();
        let p = Path::new;
        dir.open_append(p("a")).unwrap().set_len(2).unwrap();
        assert_eq!(dir.read(p("a")).unwrap(), b"ab");
        dir.remove_file(p("b")).unwrap();
        assert!(dir.read(p("b")).is_err() && dir.remove_file(p("b")).is_err());
        dir.create(p("c")).unwrap().append(b"1234").unwrap();
        let mut names: Vec<String> = dir
            .list(p(""))
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        names.sort();
        assert_eq!(names, ["a", "c"]);
        assert_eq!(dir.read(p("c")).unwrap(), b"1234");
        dir.rename(p("c"), p("d")).unwrap();
        assert!(dir.read(p("c")).is_err());
        assert_eq!(dir.read(p("d")).unwrap(), b"1234");
        let mut a = dir.open_append(p("a")).unwrap();
        a.write_at(1, b"XYZ").unwrap();
        assert_eq!(dir.read(p("a")).unwrap(), b"aXYZ");
        assert!(dir.create_dir(p("new")).is_err());
        // Nothing on disk changed.
        assert_eq!(std::fs::read(tmp.path().join("a")).unwrap(), b"abcdef");
        assert_eq!(std::fs::read(tmp.path().join("b")).unwrap(), b"xyz");
        assert!(!tmp.path().join("c").exists() && !tmp.path().join("d").exists());
    }
}
