//! A failed WAL sync makes the engine read-only until it is reopened.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use skulk_engine::{Engine, EngineConfig, EngineError, SyncMode, SystemClock, WalConfig};
use skulk_wal::storage::{FsDir, HookedDir, SyncHook};

use crate::common::{Contents, apply, contents, pt, quiet_config};

/// The real WAL directory, whose file syncs fail while `failing` is set.
fn faulty_wal_dir(path: &Path, failing: Arc<AtomicBool>) -> HookedDir<FsDir> {
    let hook: Arc<SyncHook> = Arc::new(move |sync: &mut dyn FnMut() -> io::Result<()>| {
        if failing.load(Ordering::SeqCst) {
            return Err(io::Error::other("injected sync failure"));
        }
        sync()
    });
    HookedDir::new(FsDir::create(path).unwrap(), hook)
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
    let wal_dir = faulty_wal_dir(&dir.path().join("wal"), Arc::clone(&failing));
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
