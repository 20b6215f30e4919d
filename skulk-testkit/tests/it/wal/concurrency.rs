//! Many threads appending under a syncing mode: every acknowledged record
//! is recovered, with its own LSN.

use std::collections::BTreeMap;
use std::thread;

use skulk_format::DataPoint;
use skulk_wal::{SyncMode, Wal, WalConfig, WalEntry};

use super::common;
use super::sim::SimDir;

const THREADS: usize = 8;
const PER_THREAD: usize = 40;

fn point(thread: usize, i: usize) -> DataPoint {
    let t = thread.to_string();
    DataPoint::new(
        "load",
        common::labels(&[("thread", &t)]),
        i as i64,
        (thread * 1000 + i) as f64,
    )
}

fn run(wal: &Wal) -> BTreeMap<u64, DataPoint> {
    let acked = thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                s.spawn(move || {
                    (0..PER_THREAD)
                        .map(|i| {
                            let p = point(t, i);
                            (wal.append_points(std::slice::from_ref(&p)).unwrap(), p)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    let map: BTreeMap<u64, DataPoint> = acked.into_iter().collect();
    assert_eq!(
        map.len(),
        THREADS * PER_THREAD,
        "every append got its own LSN"
    );
    map
}

fn check(recovery: &skulk_wal::Recovery, acked: &BTreeMap<u64, DataPoint>) {
    let points: BTreeMap<u64, Vec<DataPoint>> =
        recovery.data_points().unwrap().into_iter().collect();
    for (lsn, want) in acked {
        let got = points
            .get(lsn)
            .unwrap_or_else(|| panic!("acknowledged LSN {lsn} lost"));
        assert_eq!(got.len(), 1);
        assert!(got[0].bit_eq(want), "LSN {lsn}: {:?} != {want:?}", got[0]);
    }
    let lsns: Vec<u64> = recovery.records().iter().map(|(l, _)| *l).collect();
    assert!(
        lsns.windows(2).all(|w| w[1] == w[0] + 1),
        "LSNs are dense and ordered"
    );
}

#[test]
fn threads_appending_under_fsync_lose_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let config = WalConfig {
        sync_mode: SyncMode::Fsync,
        segment_size: 4096,
        ..Default::default()
    };
    let (wal, _) = Wal::open(dir.path(), config).unwrap();
    let acked = run(&wal);
    assert!(
        wal.segments().len() > 1,
        "segments rolled under concurrent appends"
    );
    drop(wal);
    check(&Wal::recover(dir.path()).unwrap(), &acked);
}

#[test]
fn group_commit_with_a_batch_timeout_shares_syncs() {
    let sim = SimDir::new();
    let config = WalConfig {
        sync_mode: SyncMode::Fdatasync,
        batch_size: 4,
        batch_timeout: std::time::Duration::from_millis(2),
        segment_size: 1 << 20,
    };
    let (wal, _) = Wal::open_in(sim.storage(), "", config).unwrap();
    let before = sim.sync_count();
    let acked = run(&wal);
    let syncs = sim.sync_count() - before;
    assert!(
        syncs < (THREADS * PER_THREAD) as u64,
        "{syncs} syncs for {} appends",
        THREADS * PER_THREAD
    );
    drop(wal);
    check(&Wal::recover_in(sim.storage(), "").unwrap(), &acked);
    let defs = Wal::recover_in(sim.storage(), "")
        .unwrap()
        .records()
        .iter()
        .filter(|(_, e)| matches!(e, WalEntry::SeriesDef { .. }))
        .count();
    assert_eq!(defs, THREADS);
}

#[test]
fn an_append_returns_only_once_its_record_is_synced() {
    for mode in [SyncMode::Fsync, SyncMode::Fdatasync, SyncMode::None] {
        let sim = SimDir::new();
        let config = WalConfig {
            sync_mode: mode,
            segment_size: 1024,
            ..Default::default()
        };
        let (wal, _) = Wal::open_in(sim.storage(), "", config).unwrap();
        thread::scope(|s| {
            for t in 0..4 {
                let (wal, sim) = (&wal, &sim);
                s.spawn(move || {
                    for i in 0..25 {
                        let lsn = wal.append_points(&[point(t, i)]).unwrap();
                        // Synced under a syncing mode; at least written under None.
                        let view = if mode == SyncMode::None {
                            sim.written_view()
                        } else {
                            sim.synced_view()
                        };
                        let recovery = Wal::recover_in(view.storage(), "").unwrap();
                        assert!(
                            recovery.last_lsn().unwrap() >= lsn,
                            "{mode:?}: {lsn} not durable"
                        );
                    }
                });
            }
        });
    }
}
