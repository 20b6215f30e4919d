//! The I/O seam: a log directory and its append-only files.
//!
//! The log does all its I/O through these two traits, so a test can put a
//! model of a disk underneath (one that keeps "written" apart from "synced"
//! bytes and forgets some of the former on a simulated power loss, or that
//! fails a sync on purpose). [`FsDir`] is the real thing.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One open, append-only log file.
pub trait LogFile: Send {
    /// Writes all of `bytes` at the end of the file.
    fn append(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Makes everything written so far durable: `fdatasync` when
    /// `data_only`, `fsync` otherwise.
    fn sync(&mut self, data_only: bool) -> io::Result<()>;
    /// Truncates (or extends with zeros) the file to `len` bytes.
    fn set_len(&mut self, len: u64) -> io::Result<()>;
}

/// A directory of log files, addressed by plain file names.
pub trait LogDir: Send + Sync {
    /// Where the directory is, for messages.
    fn path(&self) -> &Path;
    /// The names of the files in the directory (not sorted).
    fn list(&self) -> io::Result<Vec<String>>;
    /// The whole content of file `name`.
    fn read(&self, name: &str) -> io::Result<Vec<u8>>;
    /// Creates file `name`, empty, replacing any file of that name.
    fn create(&self, name: &str) -> io::Result<Box<dyn LogFile>>;
    /// Opens existing file `name` for appending.
    fn open_append(&self, name: &str) -> io::Result<Box<dyn LogFile>>;
    /// Renames `from` to `to` atomically, replacing `to`.
    fn rename(&self, from: &str, to: &str) -> io::Result<()>;
    /// Removes file `name`.
    fn remove(&self, name: &str) -> io::Result<()>;
    /// Makes the directory's entries (creations, renames, removals)
    /// durable.
    fn sync_dir(&self) -> io::Result<()>;
    /// Takes an exclusive lock that keeps other processes from opening the
    /// log while the returned guard lives. Fails with
    /// [`io::ErrorKind::WouldBlock`] when another handle holds it. The
    /// default takes none (a simulated directory belongs to one process).
    fn lock(&self) -> io::Result<Option<DirLock>> {
        Ok(None)
    }
}

/// Name of the lock file [`FsDir::lock`] takes.
pub const LOCK_FILE: &str = "LOCK";

/// An exclusive lock on a directory's [`LOCK_FILE`], released on drop.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

/// How long [`DirLock::acquire`] keeps retrying a held lock.
///
/// A process that spawns a child shares every open file description with it
/// between `fork` and `exec` (close-on-exec only acts at `exec`), and the
/// lock belongs to the description. So a lock that its owner has just
/// dropped can stay held for that window, a few milliseconds on a busy
/// machine. Retrying this long tells that apart from a real second owner.
pub const LOCK_WAIT: Duration = Duration::from_secs(1);

impl DirLock {
    /// Locks `path` (created when missing) exclusively, retrying for up to
    /// [`LOCK_WAIT`]. Fails with [`io::ErrorKind::WouldBlock`] when another
    /// open file (of this or another process) still holds the lock then.
    pub fn acquire(path: &Path) -> io::Result<Self> {
        Self::acquire_within(path, LOCK_WAIT)
    }

    /// [`DirLock::acquire`] retrying for up to `wait` (zero: one attempt).
    pub fn acquire_within(path: &Path, wait: Duration) -> io::Result<Self> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let deadline = Instant::now() + wait;
        let mut pause = Duration::from_millis(1);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Self { _file: file }),
                Err(fs::TryLockError::Error(e)) => return Err(e),
                Err(fs::TryLockError::WouldBlock) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(io::Error::new(
                            io::ErrorKind::WouldBlock,
                            "directory in use by another process",
                        ));
                    }
                    std::thread::sleep(pause.min(deadline - now));
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
            }
        }
    }
}

/// A [`LogDir`] on the real file system.
#[derive(Debug, Clone)]
pub struct FsDir {
    path: PathBuf,
}

impl FsDir {
    /// The directory at `path`, created (with its parents) when missing;
    /// its parent is then fsynced so that the new entry is durable.
    pub fn create(path: impl Into<PathBuf>) -> io::Result<Self> {
        let path = path.into();
        if !path.is_dir() {
            fs::create_dir_all(&path)?;
        }
        // Unconditionally: a crash between an earlier mkdir and its fsync
        // would otherwise leave the entry undurable forever.
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            File::open(parent)?.sync_all()?;
        }
        Ok(Self { path })
    }

    /// The existing directory at `path`.
    pub fn open(path: impl Into<PathBuf>) -> io::Result<Self> {
        let path = path.into();
        if !path.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "WAL directory not found",
            ));
        }
        Ok(Self { path })
    }
}

struct FsFile(File);

impl LogFile for FsFile {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.write_all(bytes)
    }

    fn sync(&mut self, data_only: bool) -> io::Result<()> {
        if data_only {
            self.0.sync_data()
        } else {
            self.0.sync_all()
        }
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.0.set_len(len)
    }
}

impl LogDir for FsDir {
    fn path(&self) -> &Path {
        &self.path
    }

    fn list(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(&self.path)? {
            let entry = entry?;
            if entry.file_type()?.is_file()
                && let Ok(name) = entry.file_name().into_string()
            {
                names.push(name);
            }
        }
        Ok(names)
    }

    fn read(&self, name: &str) -> io::Result<Vec<u8>> {
        fs::read(self.path.join(name))
    }

    fn create(&self, name: &str) -> io::Result<Box<dyn LogFile>> {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(self.path.join(name))?;
        Ok(Box::new(FsFile(file)))
    }

    fn open_append(&self, name: &str) -> io::Result<Box<dyn LogFile>> {
        let file = OpenOptions::new().append(true).open(self.path.join(name))?;
        Ok(Box::new(FsFile(file)))
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        fs::rename(self.path.join(from), self.path.join(to))
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        fs::remove_file(self.path.join(name))
    }

    fn sync_dir(&self) -> io::Result<()> {
        File::open(&self.path)?.sync_all()
    }

    fn lock(&self) -> io::Result<Option<DirLock>> {
        DirLock::acquire(&self.path.join(LOCK_FILE)).map(Some)
    }
}

/// Runs around every file sync of a [`HookedDir`]: it receives the real sync
/// and returns what the caller should see, so it can time it, count it, or
/// fail it instead.
pub type SyncHook = dyn Fn(&mut dyn FnMut() -> io::Result<()>) -> io::Result<()> + Send + Sync;

/// A [`LogDir`] that passes everything to `inner` but routes each file sync
/// through a [`SyncHook`]: the seam for fault injection and sync
/// measurements. Directory syncs and the directory lock pass straight to
/// `inner`.
pub struct HookedDir<D> {
    inner: D,
    hook: Arc<SyncHook>,
}

impl<D: LogDir> HookedDir<D> {
    /// Wraps `inner`, calling `hook` around each file sync.
    pub fn new(inner: D, hook: Arc<SyncHook>) -> Self {
        Self { inner, hook }
    }

    fn hooked(&self, inner: Box<dyn LogFile>) -> Box<dyn LogFile> {
        Box::new(HookedFile {
            inner,
            hook: Arc::clone(&self.hook),
        })
    }
}

struct HookedFile {
    inner: Box<dyn LogFile>,
    hook: Arc<SyncHook>,
}

impl LogFile for HookedFile {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.inner.append(bytes)
    }

    fn sync(&mut self, data_only: bool) -> io::Result<()> {
        let inner = &mut self.inner;
        (self.hook)(&mut || inner.sync(data_only))
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.inner.set_len(len)
    }
}

impl<D: LogDir> LogDir for HookedDir<D> {
    fn path(&self) -> &Path {
        self.inner.path()
    }
    fn list(&self) -> io::Result<Vec<String>> {
        self.inner.list()
    }
    fn read(&self, name: &str) -> io::Result<Vec<u8>> {
        self.inner.read(name)
    }
    fn create(&self, name: &str) -> io::Result<Box<dyn LogFile>> {
        Ok(self.hooked(self.inner.create(name)?))
    }
    fn open_append(&self, name: &str) -> io::Result<Box<dyn LogFile>> {
        Ok(self.hooked(self.inner.open_append(name)?))
    }
    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        self.inner.rename(from, to)
    }
    fn remove(&self, name: &str) -> io::Result<()> {
        self.inner.remove(name)
    }
    fn sync_dir(&self) -> io::Result<()> {
        self.inner.sync_dir()
    }
    fn lock(&self) -> io::Result<Option<DirLock>> {
        self.inner.lock()
    }
}
