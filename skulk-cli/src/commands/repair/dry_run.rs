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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    /// The file was removed.
    Removed,
    /// The real file, cut (or extended with zeros) to this length.
    Resized(u64),
    /// A new file of this length; its bytes are not kept.
    Created(u64),
}

type Changes = Arc<Mutex<BTreeMap<PathBuf, Change>>>;

fn changes(map: &Changes) -> MutexGuard<'_, BTreeMap<PathBuf, Change>> {
    map.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The real directory underneath, and the changes made "on top" of it.
///
/// Files created here (the repair's backup copies) keep only their length:
/// reading one back is an error, which the WAL repair never does. Folders
/// cannot be created or removed.
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
        changes(&self.changes).get(path).copied()
    }

    fn file(&self, path: &Path, len: u64) -> Box<dyn WritableFile> {
        Box::new(DryRunFile {
            path: path.to_owned(),
            len,
            changes: Arc::clone(&self.changes),
        })
    }
}

/// An open file of a [`DryRunDir`]: appends and truncations change only
/// its recorded length.
#[derive(Debug)]
struct DryRunFile {
    path: PathBuf,
    len: u64,
    changes: Changes,
}

impl DryRunFile {
    fn record(&self) {
        let mut map = changes(&self.changes);
        let change = match map.get(&self.path) {
            Some(Change::Created(_)) => Change::Created(self.len),
            _ => Change::Resized(self.len),
        };
        map.insert(self.path.clone(), change);
    }
}

impl WritableFile for DryRunFile {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.len += bytes.len() as u64;
        self.record();
        Ok(())
    }

    fn write_at(&mut self, _offset: u64, _bytes: &[u8]) -> io::Result<()> {
        Err(io::Error::other("a dry run cannot overwrite bytes"))
    }

    fn sync(&mut self, _data_only: bool) -> io::Result<()> {
        Ok(())
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.len = len;
        self.record();
        Ok(())
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
                && matches!(change, Change::Created(_))
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
            Some(Change::Resized(len) | Change::Created(len)) => Ok(Metadata {
                kind: EntryKind::File,
                len,
            }),
        }
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        match self.change(path) {
            None => self.real.read(path),
            Some(Change::Removed) => Err(not_found(path)),
            Some(Change::Resized(len)) => {
                let mut bytes = self.real.read(path)?;
                bytes.resize(usize::try_from(len).map_err(io::Error::other)?, 0);
                Ok(bytes)
            }
            Some(Change::Created(_)) => Err(io::Error::other(format!(
                "{}: a dry run keeps no copy of the files it would create",
                path.display()
            ))),
        }
    }

    fn map(&self, path: &Path) -> io::Result<FileBytes> {
        self.read(path).map(FileBytes::from)
    }

    fn create(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        changes(&self.changes).insert(path.to_owned(), Change::Created(0));
        Ok(self.file(path, 0))
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let len = self.metadata(path)?.len;
        Ok(self.file(path, len))
    }

    fn rename(&self, from: &Path, _to: &Path) -> io::Result<()> {
        Err(refused("rename", from))
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
        assert!(dir.read(p("c")).is_err());
        assert!(dir.rename(p("a"), p("d")).is_err());
        // Nothing on disk changed.
        assert_eq!(std::fs::read(tmp.path().join("a")).unwrap(), b"abcdef");
        assert_eq!(std::fs::read(tmp.path().join("b")).unwrap(), b"xyz");
        assert!(!tmp.path().join("c").exists());
    }
}
