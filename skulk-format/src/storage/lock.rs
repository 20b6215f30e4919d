//! Exclusive locks on a data directory's `LOCK` files.

use std::any::Any;
use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

/// A lock taken with [`super::Storage::lock`], released when dropped.
pub struct StorageLock {
    _held: Box<dyn Any + Send + Sync>,
}

impl StorageLock {
    /// A guard holding `held` (a locked file, or a simulated disk's token
    /// that releases the lock when dropped).
    pub fn new(held: impl Any + Send + Sync) -> Self {
        Self {
            _held: Box::new(held),
        }
    }
}

impl fmt::Debug for StorageLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StorageLock")
    }
}

/// How long a lock on the real file system keeps retrying a held lock.
///
/// A process that spawns a child shares every open file description with it
/// between `fork` and `exec` (close-on-exec only acts at `exec`), and the
/// lock belongs to the description. So a lock that its owner has just
/// dropped can stay held for that window, a few milliseconds on a busy
/// machine. Retrying this long tells that apart from a real second owner.
pub const LOCK_WAIT: Duration = Duration::from_secs(1);

/// Locks the file at `path` (created when missing) exclusively, retrying for
/// up to `wait` (zero: one attempt).
pub(super) fn acquire(path: &Path, wait: Duration) -> io::Result<File> {
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
            Ok(()) => return Ok(file),
            Err(TryLockError::Error(e)) => return Err(e),
            Err(TryLockError::WouldBlock) => {
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
