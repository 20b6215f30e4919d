//! `SimFs`: one simulated disk under the whole stack.
//!
//! An in-memory [`Storage`] (skulk-format's storage seam) that every layer
//! can run on at once: TSM files, the WAL, the checkpoint and the engine's
//! folders. It models what a disk promises and nothing more
//! (`DURABILITY.md`):
//!
//! - **Power loss** ([`SimFs::power_cycle`]): each folder keeps the names of
//!   its last directory sync, each file its synced bytes plus, depending on
//!   [`PowerLoss`], none, all or a sector-torn part of what was written
//!   since.
//! - **Dying at an operation** ([`SimFs::cut_power_at`]): the machine stops
//!   at the N-th operation of a set (for example every sync point in turn):
//!   that operation and every later one fail until the power comes back.
//! - **Faults** ([`SimFs::arm`]): the N-th operation of a set fails, once or
//!   from then on, with a chosen error kind or `errno` (ENOSPC, EIO, ...).
//! - **FUSE and NFS semantics** ([`SimFs::set_fuse_mode`]): removing a file
//!   that is still open or mapped leaves a `.fuse_hidden*` name in its
//!   folder until the last handle closes, so removing the folder fails with
//!   "directory not empty", as it does on those file systems.
//!
//! A process crash (kill -9) loses nothing the OS accepted: drop the handles
//! and reopen on the same `SimFs`. Everything is deterministic.
//!
//! ```
//! use std::path::Path;
//! use skulk_format::Storage;
//! use skulk_testkit::sim_fs::{PowerLoss, SimFs};
//!
//! let fs = SimFs::new();
//! let mut f = fs.create(Path::new("a")).unwrap();
//! f.append(b"synced").unwrap();
//! f.sync(false).unwrap();
//! f.append(b" and not").unwrap();
//! drop(f);
//! fs.sync_dir(Path::new("")).unwrap();
//! fs.power_cycle(PowerLoss::DropUnsynced);
//! assert_eq!(fs.read(Path::new("a")).unwrap(), b"synced");
//! ```

mod faults;
mod handles;
mod power;
mod tree;

use std::collections::{BTreeMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use skulk_format::storage::{
    DirEntry, EntryKind, FileBytes, Metadata, Storage, StorageLock, WritableFile,
};

pub use faults::{EIO, ENOSPC, Fault, FaultError, Op, OpSet};
pub use power::PowerLoss;

use faults::Armed;
use handles::{LockToken, MappedBytes, SimFile};
use tree::{Node, Tree, components, not_found};

/// The whole simulated machine: the disk and its failure plan.
#[derive(Debug, Default)]
pub(crate) struct Disk {
    tree: Tree,
    faults: Vec<Armed<Fault>>,
    cut: Option<Armed<()>>,
    down: bool,
    fuse: bool,
    locks: HashSet<Vec<String>>,
    /// Operations attempted, by kind.
    counts: BTreeMap<Op, u64>,
    /// Bumped by every power cycle: older handles are dead.
    epoch: u64,
    /// Set by the operation a power cut struck (a write then lands half).
    struck_now: bool,
    hidden_seq: u64,
}

/// A simulated disk. Clones share the disk.
///
/// The write-ahead log on it, losing power: under [`skulk_wal::SyncMode::None`]
/// what was only written is gone, what was synced stays.
///
/// ```
/// use std::sync::Arc;
/// use skulk_format::DataPoint;
/// use skulk_testkit::sim_fs::{PowerLoss, SimFs};
/// use skulk_wal::{SyncMode, Wal, WalConfig};
///
/// let fs = SimFs::new();
/// let config = WalConfig { sync_mode: SyncMode::None, ..WalConfig::default() };
/// let (wal, _) = Wal::open_in(Arc::new(fs.clone()), "wal", config)?;
/// wal.append_points(&[DataPoint::new("cpu", vec![], 1, 1.0)])?;
/// wal.sync()?;
/// wal.append_points(&[DataPoint::new("cpu", vec![], 2, 2.0)])?; // written, not synced
/// drop(wal);
///
/// fs.power_cycle(PowerLoss::DropUnsynced);
/// let recovery = Wal::recover_in(Arc::new(fs), "wal")?;
/// assert_eq!(recovery.data_points()?.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct SimFs {
    disk: Arc<Mutex<Disk>>,
    root: PathBuf,
}

impl Default for SimFs {
    fn default() -> Self {
        Self::new()
    }
}

fn lock(disk: &Mutex<Disk>) -> MutexGuard<'_, Disk> {
    disk.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn down() -> io::Error {
    io::Error::other("simulated machine is down")
}

impl Disk {
    /// Counts `op`, then fails it if the machine is down, a power cut
    /// strikes, or a fault matches.
    fn check(&mut self, op: Op) -> io::Result<()> {
        *self.counts.entry(op).or_default() += 1;
        self.struck_now = false;
        if self.down {
            return Err(down());
        }
        if let Some(cut) = &mut self.cut
            && cut.hits(op).is_some_and(|i| i >= cut.nth)
        {
            self.down = true;
            self.struck_now = true;
            return Err(down());
        }
        let mut failure = None;
        for armed in &mut self.faults {
            if let Some(index) = armed.hits(op) {
                let fault = armed.what;
                let strikes = index == armed.nth || (fault.persistent && index > armed.nth);
                if strikes && failure.is_none() {
                    failure = Some(fault.error.to_io());
                }
            }
        }
        failure.map_or(Ok(()), Err)
    }
}

impl SimFs {
    /// An empty disk whose root is shown as `sim` in messages.
    pub fn new() -> Self {
        Self::labelled("sim")
    }

    /// An empty disk whose root is shown as `root` in messages.
    pub fn labelled(root: impl Into<PathBuf>) -> Self {
        Self {
            disk: Arc::default(),
            root: root.into(),
        }
    }

    fn disk(&self) -> MutexGuard<'_, Disk> {
        lock(&self.disk)
    }

    /// Runs `f` on the tree after counting and checking `op`.
    fn op<T>(&self, op: Op, f: impl FnOnce(&mut Disk) -> io::Result<T>) -> io::Result<T> {
        let mut disk = self.disk();
        disk.check(op)?;
        f(&mut disk)
    }

    /// Turns FUSE/NFS semantics for removing open files on or off.
    pub fn set_fuse_mode(&self, on: bool) {
        self.disk().fuse = on;
    }

    /// Arms `fault` (counting from now).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use skulk_format::DataPoint;
    /// use skulk_testkit::sim_fs::{EIO, Fault, FaultError, Op, OpSet, SimFs};
    /// use skulk_wal::{Wal, WalConfig};
    ///
    /// let fs = SimFs::new();
    /// let (wal, _) = Wal::open_in(Arc::new(fs.clone()), "wal", WalConfig::default())?;
    /// let syncs = fs.count(OpSet::Only(Op::Sync));
    /// // The next fsync fails with EIO: the append is not acknowledged...
    /// fs.arm(Fault::once(OpSet::Only(Op::Sync), 0, FaultError::Os(EIO)));
    /// assert!(wal.append_points(&[DataPoint::new("cpu", vec![], 1, 1.0)]).is_err());
    /// // ...and the log refuses every later one until it is reopened.
    /// assert!(wal.is_poisoned());
    /// assert!(wal.append_points(&[DataPoint::new("cpu", vec![], 2, 2.0)]).is_err());
    /// assert_eq!(fs.count(OpSet::Only(Op::Sync)), syncs + 1); // no sync tried since
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn arm(&self, fault: Fault) {
        self.disk()
            .faults
            .push(Armed::new(fault, fault.ops, fault.nth));
    }

    /// Disarms every fault.
    pub fn clear_faults(&self) {
        self.disk().faults.clear();
    }

    /// The machine dies at the `nth` (0-based, counting from now) operation
    /// in `ops`: it and every later operation fail until
    /// [`SimFs::power_cycle`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use skulk_format::DataPoint;
    /// use skulk_testkit::sim_fs::{OpSet, PowerLoss, SimFs};
    /// use skulk_wal::{Wal, WalConfig};
    ///
    /// let fs = SimFs::new();
    /// let (wal, _) = Wal::open_in(Arc::new(fs.clone()), "wal", WalConfig::default())?;
    /// wal.append_points(&[DataPoint::new("cpu", vec![], 1, 1.0)])?; // acknowledged: synced
    /// fs.cut_power_at(OpSet::Syncs, 0); // the machine dies at the next sync
    /// assert!(wal.append_points(&[DataPoint::new("cpu", vec![], 2, 2.0)]).is_err());
    /// assert!(fs.is_down());
    /// drop(wal);
    ///
    /// fs.power_cycle(PowerLoss::DropUnsynced);
    /// let recovery = Wal::recover_in(Arc::new(fs), "wal")?;
    /// assert_eq!(recovery.data_points()?.len(), 1); // every acknowledged point
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cut_power_at(&self, ops: OpSet, nth: u64) {
        self.disk().cut = Some(Armed::new((), ops, nth));
    }

    /// True once a power cut struck.
    pub fn is_down(&self) -> bool {
        self.disk().down
    }

    /// Operations in `ops` attempted so far (failed ones included).
    pub fn count(&self, ops: OpSet) -> u64 {
        let disk = self.disk();
        disk.counts
            .iter()
            .filter(|(op, _)| ops.contains(**op))
            .map(|(_, n)| n)
            .sum()
    }

    /// The disk as it would be after a power loss now, as an independent
    /// copy (this disk is left alone): e.g. `snapshot(PowerLoss::DropUnsynced)`
    /// is what is durable for sure.
    pub fn after(&self, loss: PowerLoss) -> SimFs {
        let copy = self.fork();
        copy.power_cycle(loss);
        copy
    }

    /// The power goes out and comes back: the disk keeps what `loss` says,
    /// every handle and lock of before is dead, faults and cuts are
    /// disarmed, and the machine is up again.
    pub fn power_cycle(&self, loss: PowerLoss) {
        let mut disk = self.disk();
        disk.tree = power::after_power_loss(&disk.tree, loss);
        disk.faults.clear();
        disk.cut = None;
        disk.down = false;
        disk.locks.clear();
        disk.epoch += 1;
    }

    /// An independent copy of the disk as it is now (failure plan and
    /// handles not included), e.g. to try several power losses from one
    /// crash.
    pub fn fork(&self) -> SimFs {
        let disk = self.disk();
        let copy = Disk {
            tree: disk.tree.clone(),
            fuse: disk.fuse,
            ..Disk::default()
        };
        SimFs {
            disk: Arc::new(Mutex::new(copy)),
            root: self.root.clone(),
        }
    }

    /// Puts a file on the disk as if written, synced and published long
    /// ago (folders created as needed), bypassing faults.
    pub fn put(&self, path: impl AsRef<Path>, bytes: &[u8]) {
        let path = path.as_ref();
        let mut disk = self.disk();
        let tree = &mut disk.tree;
        let mut dir = tree::ROOT;
        let names = components(path).unwrap_or_default();
        let Some((last, folders)) = names.split_last() else {
            return;
        };
        for name in folders {
            dir = match tree.dir(dir).current.get(*name) {
                Some(Node::Dir(d)) => *d,
                _ => {
                    let d = tree.new_dir();
                    let node = Node::Dir(d);
                    tree.dir_mut(dir).current.insert((*name).into(), node);
                    tree.dir_mut(dir).durable.insert((*name).into(), node);
                    d
                }
            };
        }
        let inode = tree.new_inode();
        tree.inode_mut(inode).written = bytes.to_vec();
        tree.inode_mut(inode).synced = bytes.to_vec();
        let node = Node::File(inode);
        tree.dir_mut(dir).current.insert((*last).into(), node);
        tree.dir_mut(dir).durable.insert((*last).into(), node);
    }

    /// A file's bytes as the OS sees them (bypassing faults), `None` when
    /// there is no such file.
    pub fn get(&self, path: impl AsRef<Path>) -> Option<Vec<u8>> {
        let disk = self.disk();
        let inode = disk.tree.file(path.as_ref()).ok()?;
        Some(disk.tree.inode(inode).written.clone())
    }

    /// Changes a file's bytes on the disk (written and synced alike), as
    /// damage would, bypassing faults. False when there is no such file.
    pub fn tamper(&self, path: impl AsRef<Path>, damage: impl FnOnce(&mut Vec<u8>)) -> bool {
        let mut disk = self.disk();
        let Ok(inode) = disk.tree.file(path.as_ref()) else {
            return false;
        };
        let node = disk.tree.inode_mut(inode);
        damage(&mut node.written);
        node.synced = node.written.clone();
        true
    }

    /// Deletes a file for good (its name now and after a power loss), as
    /// an operator or a broken disk might. False when there is none.
    pub fn delete(&self, path: impl AsRef<Path>) -> bool {
        let mut disk = self.disk();
        let Ok((dir, name)) = disk.tree.parent(path.as_ref()) else {
            return false;
        };
        let dir = disk.tree.dir_mut(dir);
        let found = dir.current.remove(name).is_some();
        dir.durable.remove(name);
        found
    }

    /// Every file (as the OS sees it now, hidden ones included), by path.
    pub fn files(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let disk = self.disk();
        let mut out = BTreeMap::new();
        let mut stack = vec![(tree::ROOT, PathBuf::new())];
        while let Some((dir, path)) = stack.pop() {
            for (name, node) in &disk.tree.dir(dir).current {
                match node {
                    Node::Dir(d) => stack.push((*d, path.join(name))),
                    Node::File(i) => {
                        out.insert(path.join(name), disk.tree.inode(*i).written.clone());
                    }
                }
            }
        }
        out
    }
}

impl Storage for SimFs {
    fn root(&self) -> &Path {
        &self.root
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<DirEntry>> {
        self.op(Op::Read, |disk| match disk.tree.lookup(dir)? {
            Node::Dir(d) => Ok(disk
                .tree
                .dir(d)
                .current
                .iter()
                .map(|(name, node)| DirEntry {
                    name: name.clone(),
                    kind: match node {
                        Node::File(_) => EntryKind::File,
                        Node::Dir(_) => EntryKind::Dir,
                    },
                })
                .collect()),
            Node::File(_) => Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("{}: not a folder", dir.display()),
            )),
        })
    }

    fn metadata(&self, path: &Path) -> io::Result<Metadata> {
        self.op(Op::Read, |disk| {
            Ok(match disk.tree.lookup(path)? {
                Node::File(i) => Metadata {
                    kind: EntryKind::File,
                    len: disk.tree.inode(i).written.len() as u64,
                },
                Node::Dir(_) => Metadata {
                    kind: EntryKind::Dir,
                    len: 0,
                },
            })
        })
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.op(Op::Read, |disk| {
            let inode = disk.tree.file(path)?;
            Ok(disk.tree.inode(inode).written.clone())
        })
    }

    fn map(&self, path: &Path) -> io::Result<FileBytes> {
        let (inode, bytes, epoch) = self.op(Op::Read, |disk| {
            let inode = disk.tree.file(path)?;
            let node = disk.tree.inode_mut(inode);
            node.open += 1;
            let bytes: Arc<[u8]> = node.written.clone().into();
            Ok((inode, bytes, disk.epoch))
        })?;
        Ok(FileBytes::new(MappedBytes::new(
            Arc::clone(&self.disk),
            inode,
            epoch,
            bytes,
        )))
    }

    fn create(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let (inode, epoch) = self.op(Op::Create, |disk| {
            let (dir, name) = disk.tree.parent(path)?;
            let inode = match disk.tree.dir(dir).current.get(name) {
                Some(Node::File(inode)) => *inode,
                Some(Node::Dir(_)) => {
                    return Err(io::Error::new(
                        io::ErrorKind::IsADirectory,
                        format!("{}: is a folder", path.display()),
                    ));
                }
                None => {
                    let inode = disk.tree.new_inode();
                    let name = name.to_owned();
                    disk.tree
                        .dir_mut(dir)
                        .current
                        .insert(name, Node::File(inode));
                    inode
                }
            };
            let node = disk.tree.inode_mut(inode);
            node.written.clear();
            node.open += 1;
            Ok((inode, disk.epoch))
        })?;
        Ok(Box::new(SimFile::new(
            Arc::clone(&self.disk),
            inode,
            epoch,
            path,
        )))
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let (inode, epoch) = self.op(Op::Read, |disk| {
            let inode = disk.tree.file(path)?;
            disk.tree.inode_mut(inode).open += 1;
            Ok((inode, disk.epoch))
        })?;
        Ok(Box::new(SimFile::new(
            Arc::clone(&self.disk),
            inode,
            epoch,
            path,
        )))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.op(Op::Rename, |disk| {
            let (from_dir, from_name) = disk.tree.parent(from)?;
            let (to_dir, to_name) = disk.tree.parent(to)?;
            let node = *disk
                .tree
                .dir(from_dir)
                .current
                .get(from_name)
                .ok_or_else(|| not_found(from))?;
            if matches!(
                disk.tree.dir(to_dir).current.get(to_name),
                Some(Node::Dir(_))
            ) {
                return Err(io::Error::new(
                    io::ErrorKind::IsADirectory,
                    format!("{}: is a folder", to.display()),
                ));
            }
            disk.tree.dir_mut(from_dir).current.remove(from_name);
            disk.tree
                .dir_mut(to_dir)
                .current
                .insert(to_name.to_owned(), node);
            Ok(())
        })
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.op(Op::RemoveFile, |disk| {
            let (dir, name) = disk.tree.parent(path)?;
            let inode = disk.tree.file(path)?;
            disk.tree.dir_mut(dir).current.remove(name);
            if disk.fuse && disk.tree.inode(inode).open > 0 {
                disk.hidden_seq += 1;
                let hidden = format!(".fuse_hidden{:016x}", disk.hidden_seq);
                disk.tree
                    .dir_mut(dir)
                    .current
                    .insert(hidden.clone(), Node::File(inode));
                disk.tree.inode_mut(inode).hidden = Some((dir, hidden));
            }
            Ok(())
        })
    }

    fn create_dir(&self, path: &Path) -> io::Result<()> {
        self.op(Op::CreateDir, |disk| {
            let (dir, name) = disk.tree.parent(path)?;
            match disk.tree.dir(dir).current.get(name) {
                Some(Node::Dir(_)) => Ok(()),
                Some(Node::File(_)) => Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{}: a file has that name", path.display()),
                )),
                None => {
                    let id = disk.tree.new_dir();
                    let name = name.to_owned();
                    disk.tree.dir_mut(dir).current.insert(name, Node::Dir(id));
                    Ok(())
                }
            }
        })
    }

    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        self.op(Op::RemoveDir, |disk| {
            let (parent, name) = disk.tree.parent(path)?;
            let Node::Dir(dir) = disk.tree.lookup(path)? else {
                return Err(io::Error::new(
                    io::ErrorKind::NotADirectory,
                    format!("{}: not a folder", path.display()),
                ));
            };
            if !disk.tree.dir(dir).current.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::DirectoryNotEmpty,
                    format!("{}: directory not empty", path.display()),
                ));
            }
            disk.tree.dir_mut(parent).current.remove(name);
            Ok(())
        })
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        self.op(Op::SyncDir, |disk| match disk.tree.lookup(path)? {
            Node::Dir(dir) => {
                let dir = disk.tree.dir_mut(dir);
                dir.durable = dir.current.clone();
                Ok(())
            }
            Node::File(_) => Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("{}: not a folder", path.display()),
            )),
        })
    }

    fn lock(&self, path: &Path) -> io::Result<StorageLock> {
        let key = self.op(Op::Lock, |disk| {
            let (dir, name) = disk.tree.parent(path)?;
            if !disk.tree.dir(dir).current.contains_key(name) {
                let inode = disk.tree.new_inode();
                disk.tree
                    .dir_mut(dir)
                    .current
                    .insert(name.to_owned(), Node::File(inode));
            }
            let key: Vec<String> = components(path)?.into_iter().map(String::from).collect();
            if !disk.locks.insert(key.clone()) {
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    "directory in use by another process",
                ));
            }
            Ok((key, disk.epoch))
        })?;
        Ok(StorageLock::new(LockToken::new(
            Arc::clone(&self.disk),
            key.0,
            key.1,
        )))
    }
}

#[cfg(test)]
mod tests;
