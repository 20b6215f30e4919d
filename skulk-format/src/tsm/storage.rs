//! The file-system operations of [`crate::TsmWriter`], behind a small trait
//! so tests can inject faults at every write and sync.

use std::fmt::Debug;
use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::Path;

/// A file being written: sequential writes, plus one overwrite of the
/// header at the end.
pub trait TsmOutput: Write + Send + Debug {
    /// Overwrites `bytes` at file offset `offset` (within what was written).
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()>;
    /// Makes everything written durable (`fsync`).
    fn sync(&mut self) -> io::Result<()>;
}

/// Where a [`crate::TsmWriter`] creates, publishes and removes files.
/// [`StdStorage`] is the real file system.
pub trait TsmStorage: Send + Sync + Debug {
    /// Creates (or truncates) `path` for writing.
    fn create(&self, path: &Path) -> io::Result<Box<dyn TsmOutput>>;
    /// Atomically renames `from` to `to`, replacing `to`.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Makes the directory entries of `dir` durable (`fsync` of the
    /// directory).
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
    /// Removes `path`.
    fn remove(&self, path: &Path) -> io::Result<()>;
}

/// The real file system.
#[derive(Debug, Clone, Copy, Default)]
pub struct StdStorage;

impl TsmOutput for File {
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        self.seek(SeekFrom::Start(offset))?;
        self.write_all(bytes)?;
        self.seek(SeekFrom::End(0)).map(drop)
    }

    fn sync(&mut self) -> io::Result<()> {
        self.sync_all()
    }
}

impl TsmStorage for StdStorage {
    fn create(&self, path: &Path) -> io::Result<Box<dyn TsmOutput>> {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        Ok(Box::new(file))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        File::open(dir)?.sync_all()
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }
}
