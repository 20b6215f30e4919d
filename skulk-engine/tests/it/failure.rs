//! What a flush in progress and a failed engine report.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};

use skulk_engine::{Engine, EngineError, OpenOptions};
use skulk_format::storage::{FsStorage, HookedStorage, Storage, SyncHook};

use crate::common::{pt, quiet_config};

fn open_hooked(dir: &std::path::Path, hook: Arc<SyncHook>) -> Engine {
    let storage: Arc<dyn Storage> = Arc::new(HookedStorage::new(FsStorage::new(dir), hook));
    Engine::open_with(OpenOptions::on(storage).config(quiet_config())).unwrap()
}

/// While a flush writes its files, the frozen memtables still hold every
/// point: `memory_bytes` and `points_in_memory` count them.
#[test]
fn memory_is_counted_while_a_flush_writes_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let armed = Arc::new(AtomicBool::new(false));
    let (paused_tx, paused_rx) = mpsc::sync_channel::<()>(0);
    let (resume_tx, resume_rx) = mpsc::sync_channel::<()>(0);
    let resume_rx = std::sync::Mutex::new(resume_rx);
    let hook: Arc<SyncHook> = {
        let armed = Arc::clone(&armed);
        Arc::new(move |sync: &mut dyn FnMut() -> std::io::Result<()>| {
            if armed.swap(false, Ordering::SeqCst) {
                paused_tx.send(()).unwrap();
                resume_rx.lock().unwrap().recv().unwrap();
            }
            sync()
        })
    };
    let engine = open_hooked(dir.path(), hook);
    let points: Vec<_> = (0..50_000).map(|i| pt("m", "a", i, i as f64)).collect();
    engine.write_batch(&points).unwrap();
    let before = engine.stats();
    assert_eq!(before.points_in_memory, 50_000);
    assert!(before.memory_bytes > 0);
    armed.store(true, Ordering::SeqCst);
    std::thread::scope(|s| {
        let flush = s.spawn(|| engine.flush().unwrap());
        paused_rx.recv().unwrap();
        let during = engine.stats();
        resume_tx.send(()).unwrap();
        flush.join().unwrap();
        assert_eq!(during.points_in_memory, 50_000, "{during:?}");
        assert!(during.memory_bytes > 0, "{during:?}");
    });
    let after = engine.stats();
    assert_eq!((after.points_in_memory, after.memory_bytes), (0, 0));
}

/// `close` on an engine that failed returns the failure, with its kind.
#[test]
fn close_returns_the_failure_of_a_failed_engine() {
    let dir = tempfile::tempdir().unwrap();
    let fail_syncs = Arc::new(AtomicBool::new(false));
    let failed = Arc::new(AtomicUsize::new(0));
    let hook: Arc<SyncHook> = {
        let (fail_syncs, failed) = (Arc::clone(&fail_syncs), Arc::clone(&failed));
        Arc::new(move |sync: &mut dyn FnMut() -> std::io::Result<()>| {
            if fail_syncs.load(Ordering::SeqCst) {
                failed.fetch_add(1, Ordering::SeqCst);
                return Err(std::io::Error::from(std::io::ErrorKind::StorageFull));
            }
            sync()
        })
    };
    let engine = open_hooked(dir.path(), hook);
    engine.write_batch(&[pt("m", "a", 1, 1.0)]).unwrap();
    fail_syncs.store(true, Ordering::SeqCst);
    let err = engine.flush().unwrap_err();
    assert!(failed.load(Ordering::SeqCst) > 0);
    assert_eq!(
        err.io_kind(),
        Some(std::io::ErrorKind::StorageFull),
        "{err}"
    );
    fail_syncs.store(false, Ordering::SeqCst);
    let closed = engine.close().unwrap_err();
    assert!(matches!(closed, EngineError::Failed(_)), "{closed:?}");
    assert_eq!(closed.io_kind(), Some(std::io::ErrorKind::StorageFull));

    // The control: closing a healthy engine succeeds.
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    engine.close().unwrap();
}
