//! The storage seam: every file-system operation of a Skulk data directory.
//!
//! The TSM writer and reader, the write-ahead log, the engine's checkpoint,
//! manifest and partition folders all go through [`Storage`], so one
//! implementation can stand under the whole stack: [`FsStorage`] (the real
//! file system, `std::fs` and `memmap2`), or a simulated disk in tests that
//! keeps written bytes apart from synced ones and can lose power or fail any
//! operation on purpose (`skulk-testkit`'s `SimFs`).
//!
//! Paths are relative to the storage's root ([`Storage::root`]), which is
//! `""` itself; `/`-separated components, no `..`. Errors are plain
//! [`std::io::Error`]s: callers name the file with [`Storage::display`].
//!
//! What the seam promises is what a disk promises (`DURABILITY.md`): bytes
//! are durable after [`WritableFile::sync`] returns Ok; a created, renamed or
//! removed name is durable after [`Storage::sync_dir`] of its folder; a
//! rename within a folder is atomic. Nothing else.

mod bytes;
mod fs;
mod hooked;
mod lock;
mod mmap;

use std::fmt::Debug;
use std::io;
use std::path::{Path, PathBuf};

pub use bytes::FileBytes;
pub use fs::FsStorage;
pub use hooked::{HookedStorage, SyncHook};
pub use lock::{LOCK_WAIT, StorageLock};

/// What a name in a folder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A folder.
    Dir,
}

/// One name in a folder, as [`Storage::list`] returns it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DirEntry {
    /// The name (one path component, valid UTF-8; other names are skipped).
    pub name: String,
    /// File or folder.
    pub kind: EntryKind,
}

/// What [`Storage::metadata`] tells about a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metadata {
    /// File or folder.
    pub kind: EntryKind,
    /// Size in bytes (0 for a folder).
    pub len: u64,
}

/// A file open for writing.
pub trait WritableFile: Send + Debug {
    /// Writes all of `bytes` at the end of the file.
    fn append(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Writes `bytes` at `offset`, over what was written there; a write
    /// that runs past the end extends the file (a gap before `offset`
    /// reads as zeros).
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()>;
    /// Makes everything written so far durable: `fdatasync` when
    /// `data_only`, `fsync` otherwise.
    fn sync(&mut self, data_only: bool) -> io::Result<()>;
    /// Truncates (or extends with zeros) the file to `len` bytes.
    fn set_len(&mut self, len: u64) -> io::Result<()>;
}

/// A tree of folders and files under one root.
///
/// Implementations must be `Send + Sync`; every method may be called from
/// any thread. See the module documentation for the durability contract.
///
/// ```
/// use std::path::Path;
/// use std::sync::Arc;
/// use skulk_format::storage::{FsStorage, Storage, exists};
///
/// let dir = tempfile::tempdir()?;
/// let storage: Arc<dyn Storage> = Arc::new(FsStorage::new(dir.path()));
/// let mut file = storage.create(Path::new("log.tmp"))?;
/// file.append(b"hello")?;
/// file.sync(true)?; // the bytes are durable
/// drop(file);
/// storage.rename(Path::new("log.tmp"), Path::new("log"))?;
/// storage.sync_dir(Path::new(""))?; // and so is the name
/// assert!(!exists(storage.as_ref(), Path::new("log.tmp"))?);
/// assert_eq!(storage.metadata(Path::new("log"))?.len, 5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Storage: Send + Sync + Debug {
    /// Where the root is, for messages (a real path, or a made-up one for a
    /// simulated disk).
    fn root(&self) -> &Path;

    /// The names in folder `dir`, in no particular order. Names that are not
    /// valid UTF-8, and entries that are neither files nor folders, are
    /// skipped.
    fn list(&self, dir: &Path) -> io::Result<Vec<DirEntry>>;

    /// What `path` is; [`io::ErrorKind::NotFound`] when nothing is there.
    fn metadata(&self, path: &Path) -> io::Result<Metadata>;

    /// The whole content of file `path`.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;

    /// The content of file `path`, memory-mapped where the storage can.
    ///
    /// Only for files nobody writes or truncates while the returned bytes
    /// live: sealed TSM files, which are published once and then only ever
    /// unlinked (an unlinked file's bytes stay readable while mapped).
    fn map(&self, path: &Path) -> io::Result<FileBytes>;

    /// Creates file `path` empty for writing, replacing any file there.
    fn create(&self, path: &Path) -> io::Result<Box<dyn WritableFile>>;

    /// Opens existing file `path` for appending.
    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WritableFile>>;

    /// Renames file `from` to `to` atomically, replacing any file at `to`.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;

    /// Removes file `path`.
    fn remove_file(&self, path: &Path) -> io::Result<()>;

    /// Creates folder `dir`; its parent must exist. Succeeds when the
    /// folder already exists.
    fn create_dir(&self, dir: &Path) -> io::Result<()>;

    /// Removes folder `dir`, which must be empty.
    fn remove_dir(&self, dir: &Path) -> io::Result<()>;

    /// Makes the names in folder `dir` (created, renamed, removed) durable.
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;

    /// Takes an exclusive lock on file `path` (created when missing), held
    /// until the returned guard is dropped. Fails with
    /// [`io::ErrorKind::WouldBlock`] when another guard, of this or another
    /// process, holds it.
    fn lock(&self, path: &Path) -> io::Result<StorageLock>;

    /// `path` as a message should show it: the root joined with `path`.
    fn display(&self, path: &Path) -> PathBuf {
        self.root().join(path)
    }
}

/// The folder `path` lies in (`""`, the root, for a bare name).
pub fn parent_of(path: &Path) -> &Path {
    path.parent().unwrap_or(Path::new(""))
}

/// True when `path` exists (file or folder); errors other than "not found"
/// are returned.
pub fn exists(storage: &dyn Storage, path: &Path) -> io::Result<bool> {
    match storage.metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Writes `bytes` to `path` atomically and durably: `<path>.tmp`, write,
/// fsync, rename over `path`, fsync of the folder (`DURABILITY.md`, rule 5).
/// An error names the file it happened on.
pub fn write_atomic(
    storage: &dyn Storage,
    path: &Path,
    bytes: &[u8],
) -> Result<(), (PathBuf, io::Error)> {
    let tmp = tmp_path(path);
    let on = |p: &Path| {
        let shown = storage.display(p);
        move |e| (shown, e)
    };
    {
        let mut file = storage.create(&tmp).map_err(on(&tmp))?;
        file.append(bytes).map_err(on(&tmp))?;
        file.sync(false).map_err(on(&tmp))?;
    }
    storage.rename(&tmp, path).map_err(on(path))?;
    let dir = parent_of(path);
    storage.sync_dir(dir).map_err(on(dir))
}

/// Suffix of a file being written before its atomic rename.
pub const TMP_SUFFIX: &str = ".tmp";

/// `path` with [`TMP_SUFFIX`] appended to its file name.
pub fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(TMP_SUFFIX);
    path.with_file_name(name)
}
