//! A failed sync or write poisons the log: every writer waiting on the
//! batch fails, every later append fails, nothing acknowledged is lost.

use std::thread;

use skulk_format::DataPoint;
use skulk_wal::{SyncMode, Wal, WalConfig, WalError};

use super::common;
use super::sim::{SimDir, SyncFault};

fn config() -> WalConfig {
    WalConfig {
        sync_mode: SyncMode::Fsync,
        segment_size: 2048,
        ..Default::default()
    }
}

/// Appends from 6 threads until each has failed; returns per-thread
/// results in order.
fn hammer(wal: &Wal) -> Vec<Vec<Result<u64, WalError>>> {
    thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|t| {
                s.spawn(move || {
                    let mut results = Vec::new();
                    for i in 0..60 {
                        let p =
                            DataPoint::new("p", common::labels(&[("t", &t.to_string())]), i, 1.0);
                        results.push(wal.append_points(&[p]));
                    }
                    results
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn check_poisoned(wal: &Wal, results: &[Vec<Result<u64, WalError>>]) -> Vec<u64> {
    let mut acked = Vec::new();
    let mut io_errors = 0;
    let kind = results
        .iter()
        .flatten()
        .find_map(|r| match r {
            Err(WalError::Io { source, .. }) => Some(source.kind()),
            _ => None,
        })
        .expect("one writer sees the I/O error");
    for thread in results {
        let first_err = thread
            .iter()
            .position(|r| r.is_err())
            .expect("every thread fails");
        assert!(
            thread[first_err..].iter().all(|r| r.is_err()),
            "no acknowledgement after a failure"
        );
        io_errors += thread
            .iter()
            .filter(|r| matches!(r, Err(WalError::Io { .. })))
            .count();
        acked.extend(thread[..first_err].iter().map(|r| *r.as_ref().unwrap()));
    }
    assert_eq!(
        io_errors, 1,
        "the committing writer sees the I/O error, the others Poisoned"
    );
    // Every later error keeps the kind of the first one.
    for r in results.iter().flatten() {
        if let Err(e) = r {
            assert_eq!(e.io_kind(), Some(kind), "{e}");
        }
    }
    assert!(wal.is_poisoned());
    let p = DataPoint::new("p", vec![], 0, 0.0);
    let later = [
        wal.append_points(&[p]).map(|_| ()),
        wal.truncate_through(u64::MAX).map(|_| ()),
        wal.sync(),
    ];
    for result in later {
        let e = result.unwrap_err();
        assert!(matches!(e, WalError::Poisoned { .. }), "{e:?}");
        assert_eq!(e.io_kind(), Some(kind), "{e}");
    }
    acked
}

fn check_reopen(sim: &SimDir, acked: &[u64]) {
    let (wal, recovery) = Wal::open_in(sim.storage(), "", config()).unwrap();
    let last = recovery.last_lsn().unwrap_or(0);
    assert!(
        acked.iter().all(|&lsn| lsn <= last),
        "acknowledged records survive"
    );
    recovery.data_points().unwrap();
    assert!(
        wal.append_points(&[DataPoint::new("after", vec![], 1, 2.0)])
            .is_ok()
    );
}

#[test]
fn a_sync_failing_once_poisons_until_reopen() {
    for at in [0, 1, 5, 17] {
        let sim = SimDir::new();
        let (wal, _) = Wal::open_in(sim.storage(), "", config()).unwrap();
        sim.set_sync_fault(SyncFault::Once(at));
        let results = hammer(&wal);
        let acked = check_poisoned(&wal, &results);
        drop(wal);
        // The disk works again: the retried sync would succeed, but only a
        // reopen, which replays what is on disk, makes the log writable.
        check_reopen(&sim.written_view(), &acked);
    }
}

#[test]
fn a_persistently_failing_sync_or_a_dead_disk_poisons() {
    let sim = SimDir::new();
    let (wal, _) = Wal::open_in(sim.storage(), "", config()).unwrap();
    sim.set_sync_fault(SyncFault::From(3));
    let acked = check_poisoned(&wal, &hammer(&wal));
    drop(wal);
    check_reopen(&sim.written_view(), &acked);

    let sim = SimDir::new();
    let (wal, _) = Wal::open_in(sim.storage(), "", config()).unwrap();
    sim.die_after(25);
    let acked = check_poisoned(&wal, &hammer(&wal));
    drop(wal);
    check_reopen(&sim.written_view(), &acked);
}
