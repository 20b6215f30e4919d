//! The log's folder inside a [`Storage`]: files addressed by plain names.
//!
//! All I/O of the log goes through skulk-format's storage seam, so a test
//! can put a simulated disk underneath (one that keeps written bytes apart
//! from synced ones, loses power, or fails a sync on purpose).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use skulk_format::storage::{EntryKind, Storage, StorageLock, WritableFile};

/// Name of the lock file an open log holds in its folder.
pub const LOCK_FILE: &str = "LOCK";

/// The folder `dir` of `storage`.
#[derive(Debug, Clone)]
pub(crate) struct LogDir {
    storage: Arc<dyn Storage>,
    dir: PathBuf,
}

impl LogDir {
    pub fn new(storage: Arc<dyn Storage>, dir: impl Into<PathBuf>) -> Self {
        Self {
            storage,
            dir: dir.into(),
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Where the folder is, for messages.
    pub fn path(&self) -> PathBuf {
        self.storage.display(&self.dir)
    }

    /// The names of the files in the folder (not sorted).
    pub fn list(&self) -> io::Result<Vec<String>> {
        let entries = self.storage.list(&self.dir)?;
        let files = entries.into_iter().filter(|e| e.kind == EntryKind::File);
        Ok(files.map(|e| e.name).collect())
    }

    pub fn read(&self, name: &str) -> io::Result<Vec<u8>> {
        self.storage.read(&self.file(name))
    }

    pub fn create(&self, name: &str) -> io::Result<Box<dyn WritableFile>> {
        self.storage.create(&self.file(name))
    }

    pub fn open_append(&self, name: &str) -> io::Result<Box<dyn WritableFile>> {
        self.storage.open_append(&self.file(name))
    }

    pub fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        self.storage.rename(&self.file(from), &self.file(to))
    }

    pub fn remove(&self, name: &str) -> io::Result<()> {
        self.storage.remove_file(&self.file(name))
    }

    pub fn sync_dir(&self) -> io::Result<()> {
        self.storage.sync_dir(&self.dir)
    }

    /// The exclusive lock on the folder's [`LOCK_FILE`].
    pub fn lock(&self) -> io::Result<StorageLock> {
        self.storage.lock(&self.file(LOCK_FILE))
    }

    /// True when the folder exists.
    pub fn exists(&self) -> io::Result<bool> {
        skulk_format::storage::exists(self.storage.as_ref(), &self.dir)
    }

    /// The folder, created when missing (its parent must exist), with the
    /// parent fsynced so that the name is durable.
    pub fn create_dir(&self) -> io::Result<()> {
        if self.dir.as_os_str().is_empty() {
            return Ok(());
        }
        self.storage.create_dir(&self.dir)?;
        self.storage.sync_dir(parent(&self.dir))
    }
}

fn parent(path: &Path) -> &Path {
    skulk_format::storage::parent_of(path)
}

/// The error for a log folder that does not exist.
pub(crate) fn missing_dir() -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, "WAL directory not found")
}

impl LogDir {
    /// Replaces file `name` with `bytes` atomically: a temporary file,
    /// fsynced, renamed over it, the folder fsynced.
    pub fn write_atomic(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        skulk_format::storage::write_atomic(self.storage.as_ref(), &self.file(name), bytes)
            .map_err(|(_, e)| e)
    }
}
