//! What the simulated disk hands out: write handles, maps and locks. Each
//! remembers the power cycle it belongs to; after a cycle it is dead.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use skulk_format::storage::WritableFile;

use super::faults::Op;
use super::tree::InodeId;
use super::{Disk, lock};

/// Closes one open reference to `inode`: the last one of a file removed
/// while open (FUSE mode) takes its hidden name away.
fn release(disk: &Mutex<Disk>, inode: InodeId, epoch: u64) {
    let mut disk = lock(disk);
    if disk.epoch != epoch {
        return;
    }
    let node = disk.tree.inode_mut(inode);
    node.open = node.open.saturating_sub(1);
    if node.open == 0
        && let Some((dir, name)) = node.hidden.take()
    {
        let dir = disk.tree.dir_mut(dir);
        dir.current.remove(&name);
        dir.durable.remove(&name);
    }
}

fn stale(path: &Path) -> io::Error {
    io::Error::other(format!(
        "{}: handle from before a power cycle",
        path.display()
    ))
}

/// Writes `bytes` at `offset` of `inode`, extending it (with zeros before
/// `offset`) when the write runs past its end.
fn place(inode: &mut super::tree::Inode, offset: u64, bytes: &[u8]) -> io::Result<()> {
    let start = usize::try_from(offset).ok();
    let end = start.and_then(|s| s.checked_add(bytes.len()));
    let (Some(start), Some(end)) = (start, end) else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "write_at beyond any file size",
        ));
    };
    if inode.written.len() < end {
        inode.written.resize(end, 0);
    }
    if let Some(slot) = inode.written.get_mut(start..end) {
        slot.copy_from_slice(bytes);
    }
    Ok(())
}

/// An open file on the simulated disk.
#[derive(Debug)]
pub(super) struct SimFile {
    disk: Arc<Mutex<Disk>>,
    inode: InodeId,
    epoch: u64,
    path: PathBuf,
}

impl SimFile {
    pub fn new(disk: Arc<Mutex<Disk>>, inode: InodeId, epoch: u64, path: &Path) -> Self {
        Self {
            disk,
            inode,
            epoch,
            path: path.to_path_buf(),
        }
    }

    fn with<T>(&self, op: Op, f: impl FnOnce(&mut super::tree::Inode) -> T) -> io::Result<T> {
        let mut disk = lock(&self.disk);
        if disk.epoch != self.epoch {
            return Err(stale(&self.path));
        }
        disk.check(op)?;
        Ok(f(disk.tree.inode_mut(self.inode)))
    }
}

impl WritableFile for SimFile {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        let result = self.with(Op::Write, |inode| inode.written.extend_from_slice(bytes));
        let mut disk = lock(&self.disk);
        if result.is_err() && std::mem::take(&mut disk.struck_now) && disk.epoch == self.epoch {
            // The machine died during this write: half of it landed.
            let half = bytes.get(..bytes.len() / 2).unwrap_or_default();
            disk.tree
                .inode_mut(self.inode)
                .written
                .extend_from_slice(half);
        }
        result
    }

    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        let result = self.with(Op::Write, |inode| place(inode, offset, bytes));
        let mut disk = lock(&self.disk);
        if result.is_err() && std::mem::take(&mut disk.struck_now) && disk.epoch == self.epoch {
            // The machine died during this write: half of it landed.
            let half = bytes.get(..bytes.len() / 2).unwrap_or_default();
            place(disk.tree.inode_mut(self.inode), offset, half)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", self.path.display())))?;
        }
        result?.map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", self.path.display())))
    }

    fn sync(&mut self, _data_only: bool) -> io::Result<()> {
        self.with(Op::Sync, |inode| inode.synced = inode.written.clone())
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        let len = usize::try_from(len).map_err(|_| io::Error::other("length too large"))?;
        self.with(Op::SetLen, |inode| inode.written.resize(len, 0))
    }
}

impl Drop for SimFile {
    fn drop(&mut self) {
        release(&self.disk, self.inode, self.epoch);
    }
}

/// The bytes of a mapped file; keeps the file open while it lives.
pub(super) struct MappedBytes {
    disk: Arc<Mutex<Disk>>,
    inode: InodeId,
    epoch: u64,
    bytes: Arc<[u8]>,
}

impl MappedBytes {
    pub fn new(disk: Arc<Mutex<Disk>>, inode: InodeId, epoch: u64, bytes: Arc<[u8]>) -> Self {
        Self {
            disk,
            inode,
            epoch,
            bytes,
        }
    }
}

impl AsRef<[u8]> for MappedBytes {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl Drop for MappedBytes {
    fn drop(&mut self) {
        release(&self.disk, self.inode, self.epoch);
    }
}

/// A held lock; releases it when dropped.
pub(super) struct LockToken {
    disk: Arc<Mutex<Disk>>,
    key: Vec<String>,
    epoch: u64,
}

impl LockToken {
    pub fn new(disk: Arc<Mutex<Disk>>, key: Vec<String>, epoch: u64) -> Self {
        Self { disk, key, epoch }
    }
}

impl Drop for LockToken {
    fn drop(&mut self) {
        let mut disk = lock(&self.disk);
        if disk.epoch == self.epoch {
            disk.locks.remove(&self.key);
        }
    }
}
