//! Which operations the simulated disk counts, fails or dies at.

use std::io;

/// One kind of operation on the simulated disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    /// `Storage::create`.
    Create,
    /// Appending to a file or overwriting part of it.
    Write,
    /// A file sync (`fsync`/`fdatasync`).
    Sync,
    /// Truncating or extending a file.
    SetLen,
    /// `Storage::rename`.
    Rename,
    /// `Storage::remove_file`.
    RemoveFile,
    /// `Storage::create_dir`.
    CreateDir,
    /// `Storage::remove_dir`.
    RemoveDir,
    /// A directory sync.
    SyncDir,
    /// Reading or mapping a file, listing a folder, metadata.
    Read,
    /// `Storage::lock`.
    Lock,
}

/// A set of operations a fault or a power cut counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpSet {
    /// One kind.
    Only(Op),
    /// File and directory syncs: the points where durability changes.
    Syncs,
    /// Everything that changes the disk (all but reads and locks).
    Mutations,
    /// Every operation.
    Any,
}

impl OpSet {
    /// True when `op` belongs to the set.
    pub fn contains(self, op: Op) -> bool {
        match self {
            OpSet::Only(only) => only == op,
            OpSet::Syncs => matches!(op, Op::Sync | Op::SyncDir),
            OpSet::Mutations => !matches!(op, Op::Read | Op::Lock),
            OpSet::Any => true,
        }
    }
}

/// `errno` of "no space left on device".
pub const ENOSPC: i32 = 28;
/// `errno` of an I/O error.
pub const EIO: i32 = 5;

/// The error a fault returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultError {
    /// An error of this kind.
    Kind(io::ErrorKind),
    /// An OS error with this `errno` (e.g. [`ENOSPC`], [`EIO`]), as the
    /// real file system reports it.
    Os(i32),
}

impl FaultError {
    pub(super) fn to_io(self) -> io::Error {
        match self {
            FaultError::Kind(kind) => io::Error::new(kind, "injected fault"),
            FaultError::Os(code) => io::Error::from_raw_os_error(code),
        }
    }
}

/// Fails operations: the `nth` (0-based) operation in `ops` counted from
/// when the fault was armed, and, when `persistent`, every later one in
/// `ops` too. A failed operation changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// The operations counted.
    pub ops: OpSet,
    /// Which of them fails first.
    pub nth: u64,
    /// What the failed operations return.
    pub error: FaultError,
    /// Whether every later operation in `ops` fails too.
    pub persistent: bool,
}

impl Fault {
    /// The `nth` operation in `ops` fails once with `error`.
    pub fn once(ops: OpSet, nth: u64, error: FaultError) -> Self {
        Self {
            ops,
            nth,
            error,
            persistent: false,
        }
    }

    /// The `nth` operation in `ops` and every later one fail with `error`.
    pub fn from(ops: OpSet, nth: u64, error: FaultError) -> Self {
        Self {
            ops,
            nth,
            error,
            persistent: true,
        }
    }
}

/// A fault (or a power cut) and how many of its operations it has seen.
#[derive(Debug, Clone)]
pub(super) struct Armed<T> {
    pub what: T,
    pub ops: OpSet,
    pub nth: u64,
    pub seen: u64,
}

impl<T> Armed<T> {
    pub fn new(what: T, ops: OpSet, nth: u64) -> Self {
        Self {
            what,
            ops,
            nth,
            seen: 0,
        }
    }

    /// Counts `op`; true when it is the one this arming is for (or later).
    pub fn hits(&mut self, op: Op) -> Option<u64> {
        if !self.ops.contains(op) {
            return None;
        }
        let index = self.seen;
        self.seen += 1;
        Some(index)
    }
}
