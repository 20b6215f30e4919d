//! Segment roll-over and truncation: whole old segments go, the active one
//! stays, series definitions survive, LSNs continue.

use std::sync::Arc;

use skulk_format::DataPoint;
use skulk_wal::{SyncMode, Wal, WalEntry};

use crate::common;
use crate::sim::SimDir;

fn fill(wal: &Wal, n: usize) -> Vec<u64> {
    (0..n)
        .map(|i| {
            let host = format!("h{}", i % 5);
            let p = DataPoint::new(
                "cpu",
                common::labels(&[("host", &host)]),
                i as i64,
                i as f64,
            );
            wal.append_points(&[p]).unwrap()
        })
        .collect()
}

#[test]
fn segments_roll_at_segment_size_and_are_named_by_first_lsn() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open(dir.path(), common::small_segments(SyncMode::None, 1024)).unwrap();
    fill(&wal, 200);
    let segments = wal.segments();
    assert!(segments.len() > 5, "{} segments", segments.len());
    drop(wal);
    let recovery = Wal::recover(dir.path()).unwrap();
    for (info, (first, name)) in recovery.segments().iter().zip(&segments) {
        assert_eq!(info.first_lsn, *first);
        assert_eq!(&info.name, name);
        assert_eq!(name, &format!("{first:016x}.wal"));
        let len = std::fs::metadata(dir.path().join(name)).unwrap().len();
        assert!(len <= 1024, "{name} is {len} bytes");
        assert_eq!(info.len, len);
    }
    assert_eq!(recovery.data_points().unwrap().len(), 200);
}

#[test]
fn truncation_keeps_every_series_defined() {
    let sim = SimDir::new();
    let config = common::small_segments(SyncMode::Fsync, 600);
    let (wal, _) = Wal::open_in(Arc::new(sim.clone()), config.clone()).unwrap();
    let lsns = fill(&wal, 120);
    let before = wal.segments();
    let safe = lsns[60];
    let removed = wal.truncate_through(safe).unwrap();
    let after = wal.segments();
    assert!(removed > 0);
    assert_eq!(after.len() + removed, before.len());
    // Every removed segment held only LSNs <= safe; the first kept one does not.
    assert!(after[0].0 <= safe + 1);
    assert!(after.get(1).is_none_or(|next| next.0 - 1 > safe));
    drop(wal);

    let (wal, recovery) = Wal::open_in(Arc::new(sim.clone()), config.clone()).unwrap();
    assert_eq!(recovery.records()[0].0, after[0].0);
    // Series defined long before the cut still resolve.
    let points = recovery.data_points().unwrap();
    assert!(points.iter().all(|(lsn, _)| *lsn >= after[0].0));
    assert!(points.iter().any(|(lsn, _)| *lsn == *lsns.last().unwrap()));
    let first_records = &recovery.records()[..5];
    assert!(
        first_records
            .iter()
            .all(|(_, e)| matches!(e, WalEntry::SeriesDef { .. }))
    );

    // The active segment always stays; LSNs continue after a reopen.
    let next = recovery.next_lsn();
    wal.truncate_through(u64::MAX).unwrap();
    assert_eq!(wal.segments().len(), 1);
    assert_eq!(
        wal.append(&WalEntry::Checkpoint { safe_lsn: 1 }).unwrap(),
        next
    );
    drop(wal);
    let recovery = Wal::recover_in(&sim).unwrap();
    assert_eq!(recovery.last_lsn(), Some(next));
    recovery.data_points().unwrap();
}

#[test]
fn truncating_nothing_and_an_empty_log() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open(dir.path(), common::small_segments(SyncMode::None, 512)).unwrap();
    assert_eq!(wal.truncate_through(u64::MAX).unwrap(), 0);
    let lsns = fill(&wal, 40);
    assert_eq!(wal.truncate_through(0).unwrap(), 0);
    assert_eq!(
        wal.truncate_through(lsns[0]).unwrap(),
        0,
        "segment 1 holds more than LSN 1-2"
    );
    drop(wal);
    let recovery = Wal::recover(dir.path()).unwrap();
    assert_eq!(recovery.records()[0].0, 1);
}

#[test]
fn a_tail_cut_into_the_leading_definitions_is_healed_on_open() {
    let sim = SimDir::new();
    let config = common::small_segments(SyncMode::Fsync, 600);
    let (wal, _) = Wal::open_in(Arc::new(sim.clone()), config.clone()).unwrap();
    fill(&wal, 60);
    drop(wal);
    // Cut the active segment inside its leading series definitions, as a
    // torn write of the roll-over batch would.
    let files = sim.files();
    let (name, bytes) = files.last().unwrap();
    let mut damaged = files.clone();
    damaged.last_mut().unwrap().1 = bytes[..skulk_wal::SEGMENT_HEADER_LEN + 30].to_vec();
    let disk = SimDir::with_files(&damaged);
    let (wal, recovery) = Wal::open_in(Arc::new(disk.clone()), config.clone()).unwrap();
    assert!(recovery.torn_bytes() > 0, "{name} was cut");
    // Old series keep being used, then everything before the active segment goes.
    fill(&wal, 3);
    wal.truncate_through(u64::MAX).unwrap();
    drop(wal);
    let recovery = Wal::recover_in(&disk).unwrap();
    assert_eq!(recovery.segments().len(), 1);
    assert_eq!(recovery.data_points().unwrap().len(), 3);
}
