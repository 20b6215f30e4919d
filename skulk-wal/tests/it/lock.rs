//! One open log per directory: the `LOCK` file.

use skulk_format::DataPoint;
use skulk_wal::{SyncMode, Wal, WalError};

use crate::common;

#[test]
fn a_second_open_fails_until_the_first_log_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open(dir.path(), common::config(SyncMode::None)).unwrap();
    let p = DataPoint::new("cpu", common::labels(&[("host", "a")]), 1, 1.0);
    wal.append_points(&[p]).unwrap();
    match Wal::open(dir.path(), common::config(SyncMode::None)) {
        Err(WalError::DirectoryInUse { path }) => assert_eq!(path, dir.path()),
        other => panic!("expected DirectoryInUse, got {other:?}"),
    }
    drop(wal);
    let (_wal, recovery) = Wal::open(dir.path(), common::config(SyncMode::None)).unwrap();
    assert_eq!(recovery.data_points().unwrap().len(), 1);
}

/// A child process spawned by another thread shares the lock's open file
/// description between fork and exec; reopening right after a drop must
/// still succeed (the lock waits that window out).
#[cfg(unix)]
#[test]
fn reopening_succeeds_while_another_thread_spawns_processes() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let dir = tempfile::tempdir().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let spawner = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let _ = std::process::Command::new("true").status();
            }
        })
    };
    let path = dir.path().join(skulk_wal::storage::LOCK_FILE);
    let mut failures = 0;
    for _ in 0..2000 {
        match skulk_wal::storage::DirLock::acquire(&path) {
            Ok(lock) => drop(lock),
            Err(_) => failures += 1,
        }
    }
    stop.store(true, Ordering::Relaxed);
    spawner.join().unwrap();
    assert_eq!(
        failures, 0,
        "lock attempts refused after the holder dropped it"
    );
}

/// A `HookedDir` over the real directory keeps its lock.
#[test]
fn a_hooked_directory_takes_the_lock_of_the_directory_it_wraps() {
    use std::sync::Arc;

    use skulk_wal::storage::{FsDir, HookedDir, SyncHook};

    let dir = tempfile::tempdir().unwrap();
    let hook: Arc<SyncHook> = Arc::new(|sync| sync());
    let hooked = || -> Arc<dyn skulk_wal::storage::LogDir> {
        Arc::new(HookedDir::new(
            FsDir::create(dir.path()).unwrap(),
            Arc::clone(&hook),
        ))
    };
    let (_wal, _) = Wal::open_in(hooked(), common::config(SyncMode::None)).unwrap();
    match Wal::open_in(hooked(), common::config(SyncMode::None)) {
        Err(WalError::DirectoryInUse { path }) => assert_eq!(path, dir.path()),
        other => panic!("expected DirectoryInUse, got {other:?}"),
    }
}
