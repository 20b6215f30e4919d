//! `HookedStorage`: any storage with a hook around every file sync.

use std::fmt;
use std::io;
use std::path::Path;
use std::sync::Arc;

use super::{DirEntry, FileBytes, Metadata, Storage, StorageLock, WritableFile};

/// Runs around every file sync of a [`HookedStorage`]: it receives the real
/// sync and returns what the caller should see, so it can time it, count
/// it, or fail it instead.
pub type SyncHook = dyn Fn(&mut dyn FnMut() -> io::Result<()>) -> io::Result<()> + Send + Sync;

/// A [`Storage`] that passes everything to `inner` but routes each file
/// sync through a [`SyncHook`]: for sync measurements (the WAL bench counts
/// how many appends share one sync) on the real file system.
pub struct HookedStorage<S> {
    inner: S,
    hook: Arc<SyncHook>,
}

impl<S: Storage> HookedStorage<S> {
    /// Wraps `inner`, calling `hook` around each file sync.
    pub fn new(inner: S, hook: Arc<SyncHook>) -> Self {
        Self { inner, hook }
    }

    fn hooked(&self, inner: Box<dyn WritableFile>) -> Box<dyn WritableFile> {
        Box::new(HookedFile {
            inner,
            hook: Arc::clone(&self.hook),
        })
    }
}

impl<S: fmt::Debug> fmt::Debug for HookedStorage<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookedStorage")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

struct HookedFile {
    inner: Box<dyn WritableFile>,
    hook: Arc<SyncHook>,
}

impl fmt::Debug for HookedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookedFile")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl WritableFile for HookedFile {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.inner.append(bytes)
    }

    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        self.inner.write_at(offset, bytes)
    }

    fn sync(&mut self, data_only: bool) -> io::Result<()> {
        let inner = &mut self.inner;
        (self.hook)(&mut || inner.sync(data_only))
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.inner.set_len(len)
    }
}

impl<S: Storage> Storage for HookedStorage<S> {
    fn root(&self) -> &Path {
        self.inner.root()
    }
    fn list(&self, dir: &Path) -> io::Result<Vec<DirEntry>> {
        self.inner.list(dir)
    }
    fn metadata(&self, path: &Path) -> io::Result<Metadata> {
        self.inner.metadata(path)
    }
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.inner.read(path)
    }
    fn map(&self, path: &Path) -> io::Result<FileBytes> {
        self.inner.map(path)
    }
    fn create(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        Ok(self.hooked(self.inner.create(path)?))
    }
    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        Ok(self.hooked(self.inner.open_append(path)?))
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.inner.rename(from, to)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.inner.remove_file(path)
    }
    fn create_dir(&self, dir: &Path) -> io::Result<()> {
        self.inner.create_dir(dir)
    }
    fn remove_dir(&self, dir: &Path) -> io::Result<()> {
        self.inner.remove_dir(dir)
    }
    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        self.inner.sync_dir(dir)
    }
    fn lock(&self, path: &Path) -> io::Result<StorageLock> {
        self.inner.lock(path)
    }
}
