//! Simulated power loss of the WAL: a `LogDir` that keeps what was written
//! apart from what was synced, and on "power loss" keeps only synced bytes
//! (plus a random prefix of the unsynced tail) and the names as of the last
//! directory sync. TSM files and `CHECKPOINT` are on the real disk and are
//! published with fsync, so they are kept. With `Fsync` every acknowledged
//! write must survive; with `None` what survives is a prefix of the writes,
//! never less than what a completed flush covered.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use skulk_engine::{DataPoint, Engine, EngineConfig, SyncMode, SystemClock, WalConfig};
use skulk_wal::storage::{LogDir, LogFile};

use crate::common::{Contents, apply, contents, pt, quiet_config};

#[derive(Debug, Default)]
struct Inode {
    data: Vec<u8>,
    synced: usize,
}

type Shared = Arc<Mutex<Inode>>;

#[derive(Debug, Default)]
struct Names {
    current: BTreeMap<String, Shared>,
    durable: BTreeMap<String, Shared>,
}

#[derive(Debug, Clone)]
struct PowerDir {
    path: PathBuf,
    names: Arc<Mutex<Names>>,
}

struct PowerFile(Shared);

impl LogFile for PowerFile {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.lock().unwrap().data.extend_from_slice(bytes);
        Ok(())
    }
    fn sync(&mut self, _data_only: bool) -> io::Result<()> {
        let mut inode = self.0.lock().unwrap();
        inode.synced = inode.data.len();
        Ok(())
    }
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        let mut inode = self.0.lock().unwrap();
        inode.data.resize(len as usize, 0);
        inode.synced = inode.synced.min(len as usize);
        Ok(())
    }
}

fn missing(name: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("no file {name}"))
}

impl LogDir for PowerDir {
    fn path(&self) -> &Path {
        &self.path
    }
    fn list(&self) -> io::Result<Vec<String>> {
        Ok(self.names.lock().unwrap().current.keys().cloned().collect())
    }
    fn read(&self, name: &str) -> io::Result<Vec<u8>> {
        let names = self.names.lock().unwrap();
        let inode = names.current.get(name).ok_or_else(|| missing(name))?;
        Ok(inode.lock().unwrap().data.clone())
    }
    fn create(&self, name: &str) -> io::Result<Box<dyn LogFile>> {
        let inode = Shared::default();
        self.names
            .lock()
            .unwrap()
            .current
            .insert(name.to_string(), Arc::clone(&inode));
        Ok(Box::new(PowerFile(inode)))
    }
    fn open_append(&self, name: &str) -> io::Result<Box<dyn LogFile>> {
        let names = self.names.lock().unwrap();
        let inode = names.current.get(name).ok_or_else(|| missing(name))?;
        Ok(Box::new(PowerFile(Arc::clone(inode))))
    }
    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        let mut names = self.names.lock().unwrap();
        let inode = names.current.remove(from).ok_or_else(|| missing(from))?;
        names.current.insert(to.to_string(), inode);
        Ok(())
    }
    fn remove(&self, name: &str) -> io::Result<()> {
        self.names
            .lock()
            .unwrap()
            .current
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| missing(name))
    }
    fn sync_dir(&self) -> io::Result<()> {
        let mut names = self.names.lock().unwrap();
        names.durable = names.current.clone();
        Ok(())
    }
}

impl PowerDir {
    fn new(path: PathBuf) -> Self {
        Self {
            path,
            names: Arc::default(),
        }
    }

    /// Power loss: names as of the last directory sync; each file keeps its
    /// synced bytes and `keep(unsynced)` more.
    fn lose_power(&self, mut keep: impl FnMut(usize) -> usize) {
        let mut names = self.names.lock().unwrap();
        let mut after = BTreeMap::new();
        for (name, inode) in &names.durable {
            let inode = inode.lock().unwrap();
            let extra = keep(inode.data.len() - inode.synced);
            let data = inode.data[..inode.synced + extra].to_vec();
            let synced = data.len();
            after.insert(name.clone(), Arc::new(Mutex::new(Inode { data, synced })));
        }
        names.current = after.clone();
        names.durable = after;
    }
}

fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

fn config(sync_mode: SyncMode) -> EngineConfig {
    EngineConfig {
        wal: WalConfig {
            sync_mode,
            segment_size: 2048,
            ..WalConfig::default()
        },
        partition_duration: Duration::from_nanos(1000),
        ..quiet_config()
    }
}

/// The state after applying `batches` in order.
fn model(batches: &[Vec<DataPoint>]) -> Contents {
    let mut m = Contents::new();
    for b in batches {
        apply(&mut m, b);
    }
    m
}

fn run(sync_mode: SyncMode, mut seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let wal = PowerDir::new(dir.path().join("wal"));
    let open = || {
        Engine::open_with_wal_storage(
            dir.path(),
            config(sync_mode),
            Arc::new(SystemClock),
            Arc::new(wal.clone()),
        )
        .unwrap()
    };
    let mut engine = open();
    let mut batches: Vec<Vec<DataPoint>> = Vec::new();
    let mut flushed = 0; // batches covered by the last completed flush
    for step in 0..60 {
        match next(&mut seed) % 10 {
            0 => {
                engine.flush().unwrap();
                flushed = batches.len();
            }
            1 => {
                engine.compact().unwrap();
            }
            2 => {
                drop(engine);
                wal.lose_power(|unsynced| (next(&mut seed) as usize) % (unsynced + 1));
                engine = open();
                let got = contents(&engine);
                let survived = (flushed..=batches.len())
                    .rev()
                    .find(|&k| model(&batches[..k]) == got);
                let Some(k) = survived else {
                    panic!(
                        "step {step}: recovered state is no prefix of the writes at or after the last flush ({flushed})"
                    );
                };
                if sync_mode != SyncMode::None {
                    assert_eq!(k, batches.len(), "step {step}: acknowledged writes lost");
                }
                batches.truncate(k);
            }
            _ => {
                let n = 1 + next(&mut seed) % 30;
                let batch: Vec<DataPoint> = (0..n)
                    .map(|_| {
                        let r = next(&mut seed);
                        pt(
                            "p",
                            &format!("s{}", r % 3),
                            ((r >> 8) % 4000) as i64,
                            (r >> 20) as f64,
                        )
                    })
                    .collect();
                engine.write_batch(&batch).unwrap();
                batches.push(batch);
            }
        }
    }
    assert_eq!(contents(&engine), model(&batches));
}

#[test]
fn power_loss_with_fsync_keeps_every_acknowledged_write() {
    for seed in 1..=6u64 {
        run(SyncMode::Fsync, seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    }
}

#[test]
fn power_loss_without_sync_keeps_a_prefix() {
    for seed in 1..=6u64 {
        run(SyncMode::None, seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    }
}
