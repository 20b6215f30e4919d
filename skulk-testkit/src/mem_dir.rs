//! `MemDir`: a WAL directory in memory.
//!
//! Implements `skulk_wal::storage::LogDir` over a map of file names to
//! bytes, so fuzzers and sweeps can recover thousands of damaged logs a
//! second without touching the disk. Everything written is immediately
//! "durable": this is not a power-loss model.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use skulk_wal::storage::{LogDir, LogFile};

/// One file's bytes, shared by its directory entry and its open handles
/// (so a handle follows its file through a rename, like an inode).
type Inode = Arc<Mutex<Vec<u8>>>;
type Files = Arc<Mutex<BTreeMap<String, Inode>>>;

/// An in-memory [`LogDir`].
#[derive(Debug, Clone, Default)]
pub struct MemDir {
    path: PathBuf,
    files: Files,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn not_found(name: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("no file {name}"))
}

impl MemDir {
    /// An empty directory; `path` only appears in messages.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            files: Files::default(),
        }
    }

    /// Creates or replaces file `name`.
    pub fn insert(&self, name: impl Into<String>, bytes: Vec<u8>) {
        lock(&self.files).insert(name.into(), Arc::new(Mutex::new(bytes)));
    }

    /// The content of file `name`.
    pub fn get(&self, name: &str) -> Option<Vec<u8>> {
        lock(&self.files).get(name).map(|inode| lock(inode).clone())
    }

    /// Every file and its content, by name.
    pub fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        lock(&self.files)
            .iter()
            .map(|(name, inode)| (name.clone(), lock(inode).clone()))
            .collect()
    }
}

struct MemFile(Inode);

impl LogFile for MemFile {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        lock(&self.0).extend_from_slice(bytes);
        Ok(())
    }

    fn sync(&mut self, _data_only: bool) -> io::Result<()> {
        Ok(())
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        let len = usize::try_from(len).map_err(|_| io::Error::other("length beyond memory"))?;
        lock(&self.0).resize(len, 0);
        Ok(())
    }
}

impl LogDir for MemDir {
    fn path(&self) -> &Path {
        &self.path
    }

    fn list(&self) -> io::Result<Vec<String>> {
        Ok(lock(&self.files).keys().cloned().collect())
    }

    fn read(&self, name: &str) -> io::Result<Vec<u8>> {
        self.get(name).ok_or_else(|| not_found(name))
    }

    fn create(&self, name: &str) -> io::Result<Box<dyn LogFile>> {
        let inode = Inode::default();
        lock(&self.files).insert(name.to_string(), Arc::clone(&inode));
        Ok(Box::new(MemFile(inode)))
    }

    fn open_append(&self, name: &str) -> io::Result<Box<dyn LogFile>> {
        let inode = lock(&self.files)
            .get(name)
            .cloned()
            .ok_or_else(|| not_found(name))?;
        Ok(Box::new(MemFile(inode)))
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        let mut files = lock(&self.files);
        let inode = files.remove(from).ok_or_else(|| not_found(from))?;
        files.insert(to.to_string(), inode);
        Ok(())
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        lock(&self.files)
            .remove(name)
            .map(drop)
            .ok_or_else(|| not_found(name))
    }

    fn sync_dir(&self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skulk_format::DataPoint;
    use skulk_wal::{Wal, WalConfig};

    #[test]
    fn a_wal_written_in_memory_recovers() {
        let dir = MemDir::new("mem");
        let (wal, _) = Wal::open_in(Arc::new(dir.clone()), WalConfig::default()).unwrap();
        let point = DataPoint::new("m", vec![], 5, -0.0);
        let lsn = wal.append_points(std::slice::from_ref(&point)).unwrap();
        drop(wal);
        let recovery = Wal::recover_in(&dir).unwrap();
        let points = recovery.data_points().unwrap();
        assert_eq!(points.len(), 1);
        assert_eq!(points[0].0, lsn);
        assert!(points[0].1[0].bit_eq(&point));
        assert!(!dir.snapshot().is_empty());
    }
}
