//! A failed WAL sync makes the engine read-only until it is reopened.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use skulk_engine::{Engine, EngineConfig, EngineError, SyncMode, SystemClock, WalConfig};
use skulk_wal::storage::{FsDir, LogDir, LogFile};

use crate::common::{Contents, apply, contents, pt, quiet_config};

/// The real WAL directory, whose syncs fail once `failing` is set.
struct FaultyDir {
    inner: FsDir,
    failing: Arc<AtomicBool>,
}

struct FaultyFile {
    inner: Box<dyn LogFile>,
    failing: Arc<AtomicBool>,
}

impl LogFile for FaultyFile {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.inner.append(bytes)
    }
    fn sync(&mut self, data_only: bool) -> io::Result<()> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(io::Error::other("injected sync failure"));
        }
        self.inner.sync(data_only)
    }
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.inner.set_len(len)
    }
}

impl LogDir for FaultyDir {
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
        let inner = self.inner.create(name)?;
        Ok(Box::new(FaultyFile {
            inner,
            failing: Arc::clone(&self.failing),
        }))
    }
    fn open_append(&self, name: &str) -> io::Result<Box<dyn LogFile>> {
        let inner = self.inner.open_append(name)?;
        Ok(Box::new(FaultyFile {
            inner,
            failing: Arc::clone(&self.failing),
        }))
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
}

fn fsync_config() -> EngineConfig {
    EngineConfig {
        wal: WalConfig {
            sync_mode: SyncMode::Fsync,
            ..WalConfig::default()
        },
        ..quiet_config()
    }
}

#[test]
fn a_failed_sync_fails_the_engine_until_reopened() {
    let dir = tempfile::tempdir().unwrap();
    let failing = Arc::new(AtomicBool::new(false));
    let wal_dir = FaultyDir {
        inner: FsDir::create(dir.path().join("wal")).unwrap(),
        failing: Arc::clone(&failing),
    };
    let engine = Engine::open_with_wal_storage(
        dir.path(),
        fsync_config(),
        Arc::new(SystemClock),
        Arc::new(wal_dir),
    )
    .unwrap();
    let mut acked = Contents::new();
    let good = [pt("m", "a", 1, 1.0), pt("m", "a", 2, 2.0)];
    engine.write_batch(&good).unwrap();
    apply(&mut acked, &good);

    failing.store(true, Ordering::SeqCst);
    let lost = [pt("m", "a", 3, 3.0)];
    assert!(matches!(
        engine.write_batch(&lost),
        Err(EngineError::Wal(_))
    ));
    assert!(engine.stats().failed);
    failing.store(false, Ordering::SeqCst);
    // Still refused: a retried sync could pass over lost data.
    assert!(matches!(
        engine.write(&pt("m", "a", 4, 4.0)),
        Err(EngineError::Failed(_))
    ));
    assert!(matches!(engine.flush(), Err(EngineError::Failed(_))));
    assert!(matches!(engine.compact(), Err(EngineError::Failed(_))));
    // Reads go on: the unacknowledged point was never applied.
    assert_eq!(contents(&engine), acked);
    engine.close().unwrap();

    let engine = Engine::open(dir.path(), fsync_config()).unwrap();
    let recovered = contents(&engine);
    // acknowledged ⊆ recovered ⊆ written
    for (k, v) in &acked {
        assert_eq!(recovered.get(k), Some(v));
    }
    let mut written = acked.clone();
    apply(&mut written, &lost);
    assert!(recovered.iter().all(|(k, v)| written.get(k) == Some(v)));
    engine.write(&pt("m", "a", 5, 5.0)).unwrap();
}
