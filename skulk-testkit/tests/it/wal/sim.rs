//! The WAL tests' view of the simulated disk: the log lives in the root
//! folder of a [`SimFs`] (the testkit's one simulated file system).

use std::path::Path;
use std::sync::Arc;

use skulk_format::storage::Storage;
use skulk_testkit::sim_fs::{EIO, Fault, FaultError, OpSet, PowerLoss, SimFs};
use skulk_wal::LOCK_FILE;

use super::common::Rng;

/// How syncs fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncFault {
    /// The sync with this 0-based index fails; later ones succeed.
    Once(u64),
    /// Every sync from this index on fails.
    From(u64),
}

/// A log folder on a simulated disk.
#[derive(Debug, Clone)]
pub struct SimDir(SimFs);

impl SimDir {
    pub fn new() -> Self {
        Self(SimFs::new())
    }

    /// The disk, for `Wal::open_in(sim.storage(), "", ..)`.
    pub fn storage(&self) -> Arc<dyn Storage> {
        Arc::new(self.0.clone())
    }

    pub fn set_sync_fault(&self, fault: SyncFault) {
        let error = FaultError::Os(EIO);
        self.0.arm(match fault {
            SyncFault::Once(n) => Fault::once(OpSet::Syncs, n, error),
            SyncFault::From(n) => Fault::from(OpSet::Syncs, n, error),
        });
    }

    /// The machine dies at the `n`-th mutating operation from now: that
    /// operation and every later one fail (an append lands half).
    pub fn die_after(&self, n: u64) {
        self.0.cut_power_at(OpSet::Mutations, n);
    }

    /// The disk as the OS sees it (everything written), alive.
    pub fn written_view(&self) -> SimDir {
        SimDir(self.0.fork())
    }

    /// Only what was synced (files and directory), alive.
    pub fn synced_view(&self) -> SimDir {
        SimDir(self.0.after(PowerLoss::DropUnsynced))
    }

    /// The disk after a power loss: synced bytes stay, unsynced ones land
    /// sector by sector at random, and the directory keeps its synced names
    /// or all of them.
    pub fn crash(&self, rng: &mut Rng) -> SimDir {
        let seed = rng.next_u64();
        SimDir(self.0.after(PowerLoss::Torn { seed, sector: 512 }))
    }

    /// Stores file `name` with `bytes`, written and synced.
    pub fn put(&self, name: &str, bytes: &[u8]) {
        self.0.put(name, bytes);
    }

    /// Syncs (file and directory) so far.
    pub fn sync_count(&self) -> u64 {
        self.0.count(OpSet::Syncs)
    }

    /// The length of file `name`.
    pub fn read_len(&self, name: &str) -> usize {
        self.0.read(Path::new(name)).unwrap().len()
    }

    /// A copy of every file (the lock file aside), by name.
    pub fn files(&self) -> Vec<(String, Vec<u8>)> {
        self.0
            .files()
            .into_iter()
            .map(|(path, bytes)| (path.to_string_lossy().into_owned(), bytes))
            .filter(|(name, _)| name != LOCK_FILE)
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
