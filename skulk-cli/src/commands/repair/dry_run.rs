//! A log directory that reads the real one and keeps every change in
//! memory, so that `repair --dry-run` runs the same WAL repair and reports
//! exactly what it would do, without changing a byte on disk.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use skulk_wal::storage::{FsDir, LogDir, LogFile};

/// What happened to one file name, in memory only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    /// The file was removed.
    Removed,
    /// The real file, cut (or extended with zeros) to this length.
    Resized(u64),
    /// A new file of this length; its bytes are not kept.
    Created(u64),
}

type Changes = Arc<Mutex<BTreeMap<String, Change>>>;

fn changes(map: &Changes) -> MutexGuard<'_, BTreeMap<String, Change>> {
    map.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The real directory underneath, and the changes made "on top" of it.
///
/// Files created here (the repair's backup copies) keep only their length:
/// reading one back is an error, which the WAL repair never does.
#[derive(Debug)]
pub struct DryRunDir {
    real: FsDir,
    changes: Changes,
}

impl DryRunDir {
    /// The existing log directory at `path`, read-only.
    pub fn open(path: &Path) -> io::Result<Self> {
        Ok(Self {
            real: FsDir::open(path)?,
            changes: Changes::default(),
        })
    }

    fn change(&self, name: &str) -> Option<Change> {
        changes(&self.changes).get(name).copied()
    }

    fn file(&self, name: &str, len: u64) -> Box<dyn LogFile> {
        Box::new(DryRunFile {
            name: name.to_owned(),
            len,
            changes: Arc::clone(&self.changes),
        })
    }
}

/// An open file of a [`DryRunDir`]: appends and truncations change only
/// its recorded length.
struct DryRunFile {
    name: String,
    len: u64,
    changes: Changes,
}

impl DryRunFile {
    fn record(&self) {
        let mut map = changes(&self.changes);
        let change = match map.get(&self.name) {
            Some(Change::Created(_)) => Change::Created(self.len),
            _ => Change::Resized(self.len),
        };
        map.insert(self.name.clone(), change);
    }
}

impl LogFile for DryRunFile {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.len += bytes.len() as u64;
        self.record();
        Ok(())
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

fn not_found(name: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("{name}: no such file"))
}

impl LogDir for DryRunDir {
    fn path(&self) -> &Path {
        self.real.path()
    }

    fn list(&self) -> io::Result<Vec<String>> {
        let mut names = self.real.list()?;
        let map = changes(&self.changes);
        names.retain(|n| map.get(n) != Some(&Change::Removed));
        for (name, change) in map.iter() {
            if matches!(change, Change::Created(_)) && !names.contains(name) {
                names.push(name.clone());
            }
        }
        Ok(names)
    }

    fn read(&self, name: &str) -> io::Result<Vec<u8>> {
        match self.change(name) {
            None => self.real.read(name),
            Some(Change::Removed) => Err(not_found(name)),
            Some(Change::Resized(len)) => {
                let mut bytes = self.real.read(name)?;
                bytes.resize(usize::try_from(len).map_err(io::Error::other)?, 0);
                Ok(bytes)
            }
            Some(Change::Created(_)) => Err(io::Error::other(format!(
                "{name}: a dry run keeps no copy of the files it would create"
            ))),
        }
    }

    fn create(&self, name: &str) -> io::Result<Box<dyn LogFile>> {
        changes(&self.changes).insert(name.to_owned(), Change::Created(0));
        Ok(self.file(name, 0))
    }

    fn open_append(&self, name: &str) -> io::Result<Box<dyn LogFile>> {
        let len = match self.change(name) {
            None => std::fs::metadata(self.real.path().join(name))?.len(),
            Some(Change::Removed) => return Err(not_found(name)),
            Some(Change::Resized(len) | Change::Created(len)) => len,
        };
        Ok(self.file(name, len))
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        Err(io::Error::other(format!(
            "a dry run cannot rename {from} to {to}"
        )))
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        if self.change(name) == Some(Change::Removed) {
            return Err(not_found(name));
        }
        changes(&self.changes).insert(name.to_owned(), Change::Removed);
        Ok(())
    }

    fn sync_dir(&self) -> io::Result<()> {
        Ok(())
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
        dir.open_append("a").unwrap().set_len(2).unwrap();
        assert_eq!(dir.read("a").unwrap(), b"ab");
        dir.remove("b").unwrap();
        assert!(dir.read("b").is_err() && dir.remove("b").is_err());
        dir.create("c").unwrap().append(b"1234").unwrap();
        let mut names = dir.list().unwrap();
        names.sort();
        assert_eq!(names, ["a", "c"]);
        assert!(dir.read("c").is_err());
        assert!(dir.rename("a", "d").is_err());
        // Nothing on disk changed.
        assert_eq!(std::fs::read(tmp.path().join("a")).unwrap(), b"abcdef");
        assert_eq!(std::fs::read(tmp.path().join("b")).unwrap(), b"xyz");
        assert!(!tmp.path().join("c").exists());
    }
}
