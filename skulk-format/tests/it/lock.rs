//! The real file system's directory lock under process spawning.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use skulk_format::storage::{FsStorage, Storage};

/// A child process spawned by another thread shares the lock's open file
/// description between fork and exec; taking the lock right after a drop
/// must still succeed (the lock waits that window out).
#[cfg(unix)]
#[test]
fn relocking_succeeds_while_another_thread_spawns_processes() {
    let dir = tempfile::tempdir().unwrap();
    let storage = FsStorage::new(dir.path());
    let stop = Arc::new(AtomicBool::new(false));
    let spawner = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let _ = std::process::Command::new("true").status();
            }
        })
    };
    let mut failures = 0;
    for _ in 0..2000 {
        match storage.lock(Path::new("LOCK")) {
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
