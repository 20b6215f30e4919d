//! A simulated disk under the log's `LogDir` seam: it keeps what was
//! written apart from what was synced, can "lose power" (keeping a random,
//! sector-torn part of the unsynced bytes), can stop working at the N-th
//! mutating operation (the machine dies mid-write), and can fail syncs.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use skulk_wal::storage::{LogDir, LogFile};

use crate::common::Rng;

const SECTOR: usize = 512;

#[derive(Debug, Clone, Default)]
struct Inode {
    written: Vec<u8>,
    synced: Vec<u8>,
}

/// How syncs fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncFault {
    /// Never.
    None,
    /// The sync with this 0-based index fails; later ones succeed.
    Once(usize),
    /// Every sync from this index on fails.
    From(usize),
}

#[derive(Debug)]
struct Disk {
    inodes: Vec<Inode>,
    names: BTreeMap<String, usize>,
    synced_names: BTreeMap<String, usize>,
    sync_fault: SyncFault,
    syncs: usize,
    /// Mutating operations left before the machine dies.
    ops_left: Option<usize>,
}

/// A directory on the simulated disk.
#[derive(Clone)]
pub struct SimDir {
    disk: Arc<Mutex<Disk>>,
    path: PathBuf,
}

fn dead() -> io::Error {
    io::Error::other("simulated machine is down")
}

impl SimDir {
    pub fn new() -> Self {
        Self::from_disk(Disk {
            inodes: Vec::new(),
            names: BTreeMap::new(),
            synced_names: BTreeMap::new(),
            sync_fault: SyncFault::None,
            syncs: 0,
            ops_left: None,
        })
    }

    fn from_disk(disk: Disk) -> Self {
        Self {
            disk: Arc::new(Mutex::new(disk)),
            path: PathBuf::from("sim"),
        }
    }

    pub fn set_sync_fault(&self, fault: SyncFault) {
        let mut disk = self.disk.lock().unwrap();
        disk.sync_fault = fault;
        disk.syncs = 0;
    }

    /// The machine dies at the `n`-th mutating operation from now: that
    /// operation and every later one fail (an append may land partly).
    pub fn die_after(&self, n: usize) {
        self.disk.lock().unwrap().ops_left = Some(n);
    }

    /// The disk as the OS sees it (everything written), alive.
    pub fn written_view(&self) -> SimDir {
        let disk = self.disk.lock().unwrap();
        let mut inodes = disk.inodes.clone();
        for inode in &mut inodes {
            inode.synced = inode.written.clone();
        }
        Self::from_disk(Disk {
            inodes,
            names: disk.names.clone(),
            synced_names: disk.names.clone(),
            sync_fault: SyncFault::None,
            syncs: 0,
            ops_left: None,
        })
    }

    /// Only what was synced (files and directory), alive.
    pub fn synced_view(&self) -> SimDir {
        let disk = self.disk.lock().unwrap();
        let inodes = disk
            .inodes
            .iter()
            .map(|i| Inode {
                written: i.synced.clone(),
                synced: i.synced.clone(),
            })
            .collect();
        Self::from_disk(Disk {
            inodes,
            names: disk.synced_names.clone(),
            synced_names: disk.synced_names.clone(),
            sync_fault: SyncFault::None,
            syncs: 0,
            ops_left: None,
        })
    }

    /// The disk after a power loss: synced bytes stay; of the unsynced
    /// appended bytes a random prefix is considered, each 512-byte sector
    /// of it kept or zeroed at random; directory changes since the last
    /// directory sync are kept or lost as a whole.
    pub fn crash(&self, rng: &mut Rng) -> SimDir {
        let disk = self.disk.lock().unwrap();
        let names = if rng.chance(50) {
            disk.names.clone()
        } else {
            disk.synced_names.clone()
        };
        let inodes = disk
            .inodes
            .iter()
            .map(|inode| crash_inode(inode, rng))
            .collect();
        Self::from_disk(Disk {
            inodes,
            synced_names: names.clone(),
            names,
            sync_fault: SyncFault::None,
            syncs: 0,
            ops_left: None,
        })
    }

    /// The file names, sorted.
    pub fn names(&self) -> Vec<String> {
        self.disk.lock().unwrap().names.keys().cloned().collect()
    }

    /// Stores file `name` with `bytes`, written and synced.
    pub fn put(&self, name: &str, bytes: &[u8]) {
        let mut disk = self.disk.lock().unwrap();
        disk.inodes.push(Inode {
            written: bytes.to_vec(),
            synced: bytes.to_vec(),
        });
        let inode = disk.inodes.len() - 1;
        disk.names.insert(name.to_owned(), inode);
        disk.synced_names = disk.names.clone();
    }

    /// Syncs (file and directory) so far.
    pub fn sync_count(&self) -> usize {
        self.disk.lock().unwrap().syncs
    }

    /// The length of file `name`.
    pub fn read_len(&self, name: &str) -> usize {
        self.read(name).unwrap().len()
    }

    /// A copy of every file.
    pub fn files(&self) -> Vec<(String, Vec<u8>)> {
        self.names()
            .into_iter()
            .map(|n| (n.clone(), self.read(&n).unwrap()))
            .collect()
    }

    /// A new disk holding copies of `files`.
    pub fn with_files(files: &[(String, Vec<u8>)]) -> SimDir {
        let sim = SimDir::new();
        for (name, bytes) in files {
            sim.put(name, bytes);
        }
        sim
    }
}

fn crash_inode(inode: &Inode, rng: &mut Rng) -> Inode {
    let synced = &inode.synced;
    let appended = inode.written.len() > synced.len() && inode.written.starts_with(synced);
    if !appended {
        let keep = if rng.chance(50) {
            &inode.written
        } else {
            synced
        };
        return Inode {
            written: keep.clone(),
            synced: keep.clone(),
        };
    }
    let len = synced.len() + rng.below((inode.written.len() - synced.len()) as u64 + 1) as usize;
    let mut content = inode.written[..len].to_vec();
    let mut sector_start = synced.len();
    while sector_start < len {
        let sector_end = ((sector_start / SECTOR) + 1) * SECTOR;
        let end = sector_end.min(len);
        if rng.chance(40) {
            content[sector_start..end].fill(0);
        }
        sector_start = end;
    }
    Inode {
        written: content.clone(),
        synced: content,
    }
}

struct SimFile {
    disk: Arc<Mutex<Disk>>,
    inode: usize,
}

impl Disk {
    fn tick(&mut self) -> io::Result<()> {
        match self.ops_left {
            Some(0) => Err(dead()),
            Some(n) => {
                self.ops_left = Some(n - 1);
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn sync_allowed(&mut self) -> io::Result<()> {
        self.tick()?;
        let index = self.syncs;
        self.syncs += 1;
        let fail = match self.sync_fault {
            SyncFault::None => false,
            SyncFault::Once(n) => index == n,
            SyncFault::From(n) => index >= n,
        };
        if fail {
            Err(io::Error::other("simulated EIO on sync"))
        } else {
            Ok(())
        }
    }
}

impl LogFile for SimFile {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut disk = self.disk.lock().unwrap();
        if disk.ops_left == Some(0) {
            return Err(dead());
        }
        if disk.ops_left == Some(1) {
            // The machine dies during this write: part of it lands.
            let part = bytes.len() / 2;
            disk.inodes[self.inode]
                .written
                .extend_from_slice(&bytes[..part]);
            disk.ops_left = Some(0);
            return Err(dead());
        }
        disk.tick()?;
        disk.inodes[self.inode].written.extend_from_slice(bytes);
        Ok(())
    }

    fn sync(&mut self, _data_only: bool) -> io::Result<()> {
        let mut disk = self.disk.lock().unwrap();
        disk.sync_allowed()?;
        let inode = &mut disk.inodes[self.inode];
        inode.synced = inode.written.clone();
        Ok(())
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        let mut disk = self.disk.lock().unwrap();
        disk.tick()?;
        disk.inodes[self.inode].written.resize(len as usize, 0);
        Ok(())
    }
}

impl LogDir for SimDir {
    fn path(&self) -> &Path {
        &self.path
    }

    fn list(&self) -> io::Result<Vec<String>> {
        Ok(self.names())
    }

    fn read(&self, name: &str) -> io::Result<Vec<u8>> {
        let disk = self.disk.lock().unwrap();
        let inode = disk
            .names
            .get(name)
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
        Ok(disk.inodes[*inode].written.clone())
    }

    fn create(&self, name: &str) -> io::Result<Box<dyn LogFile>> {
        let mut disk = self.disk.lock().unwrap();
        disk.tick()?;
        disk.inodes.push(Inode::default());
        let inode = disk.inodes.len() - 1;
        disk.names.insert(name.to_owned(), inode);
        Ok(Box::new(SimFile {
            disk: Arc::clone(&self.disk),
            inode,
        }))
    }

    fn open_append(&self, name: &str) -> io::Result<Box<dyn LogFile>> {
        let disk = self.disk.lock().unwrap();
        let inode = *disk
            .names
            .get(name)
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
        Ok(Box::new(SimFile {
            disk: Arc::clone(&self.disk),
            inode,
        }))
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        let mut disk = self.disk.lock().unwrap();
        disk.tick()?;
        let inode = disk
            .names
            .remove(from)
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
        disk.names.insert(to.to_owned(), inode);
        Ok(())
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        let mut disk = self.disk.lock().unwrap();
        disk.tick()?;
        disk.names
            .remove(name)
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
        Ok(())
    }

    fn sync_dir(&self) -> io::Result<()> {
        let mut disk = self.disk.lock().unwrap();
        disk.sync_allowed()?;
        disk.synced_names = disk.names.clone();
        Ok(())
    }
}
