//! Segment roll-over and truncation: whole old segments go, the active one
//! stays, series definitions survive, LSNs continue.

use skulk_format::DataPoint;
use skulk_wal::{SyncMode, Wal, WalEntry};

use super::common;
use super::sim::SimDir;

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
        assert_eq!(info.len + skulk_wal::END_MARK_LEN as u64, len);
    }
    assert_eq!(recovery.data_points().unwrap().len(), 200);
}

#[test]
fn truncation_keeps_every_series_defined() {
    let sim = SimDir::new();
    let config = common::small_segments(SyncMode::Fsync, 600);
    let (wal, _) = Wal::open_in(sim.storage(), "", config.clone()).unwrap();
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

    let (wal, recovery) = Wal::open_in(sim.storage(), "", config.clone()).unwrap();
    assert_eq!(recovery.records()[0].0, after[0].0);
    // Series defined long before the cut still resolve.
    let points = recovery.data_points().unwrap();
    assert!(points.iter().all(|(lsn, _)| *lsn >= after[0].0));
    assert!(points.iter().any(|(lsn, _)| *lsn == *lsns.last().unwrap()));
    assert!(matches!(
        recovery.records()[0].1,
        WalEntry::SeriesDef { .. }
    ));

    // The active segment always stays; LSNs continue after a reopen.
    let next = recovery.next_lsn();
    wal.truncate_through(u64::MAX).unwrap();
    assert_eq!(wal.segments().len(), 1);
    assert_eq!(
        wal.append(&WalEntry::Checkpoint { safe_lsn: 1 }).unwrap(),
        next
    );
    drop(wal);
    let recovery = Wal::recover_in(sim.storage(), "").unwrap();
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
    let (wal, _) = Wal::open_in(sim.storage(), "", config.clone()).unwrap();
    fill(&wal, 60);
    drop(wal);
    // Cut the active segment inside its leading series definitions, as a
    // torn write of the roll-over batch would.
    let files = sim.files();
    let (name, bytes) = files.last().unwrap();
    let mut damaged = files.clone();
    damaged.last_mut().unwrap().1 = bytes[..skulk_wal::SEGMENT_HEADER_LEN + 30].to_vec();
    let disk = SimDir::with_files(&damaged);
    let (wal, recovery) = Wal::open_in(disk.storage(), "", config.clone()).unwrap();
    assert!(recovery.torn_bytes() > 0, "{name} was cut");
    // Old series keep being used, then everything before the active segment goes.
    fill(&wal, 3);
    wal.truncate_through(u64::MAX).unwrap();
    drop(wal);
    let recovery = Wal::recover_in(disk.storage(), "").unwrap();
    assert_eq!(recovery.segments().len(), 1);
    assert_eq!(recovery.data_points().unwrap().len(), 3);
}

/// Resolves every Points record with only the definitions of its own
/// segment: each segment must stand alone once the ones before it go.
fn assert_segments_self_contained(recovery: &skulk_wal::Recovery) {
    let firsts: Vec<u64> = recovery.segments().iter().map(|s| s.first_lsn).collect();
    let mut defined = std::collections::HashSet::new();
    let mut segment = 0;
    for (lsn, entry) in recovery.records() {
        while firsts.get(segment + 1).is_some_and(|next| lsn >= next) {
            segment += 1;
            defined.clear();
        }
        match entry {
            WalEntry::SeriesDef { id, .. } => {
                defined.insert(*id);
            }
            WalEntry::Points(points) => {
                for p in points {
                    assert!(defined.contains(&p.series_id), "record {lsn}: {p:?}");
                }
            }
            _ => {}
        }
    }
}

#[test]
fn a_roll_defines_only_the_series_the_new_segment_uses() {
    let sim = SimDir::new();
    let config = common::small_segments(SyncMode::None, 1024);
    let (wal, _) = Wal::open_in(sim.storage(), "", config.clone()).unwrap();
    // 300 series written once, then one series written many times.
    for i in 0..300 {
        let host = format!("host-{i:04}");
        let p = DataPoint::new("cpu", common::labels(&[("host", &host)]), i, i as f64);
        wal.append_points(&[p]).unwrap();
    }
    fill(&wal, 400);
    drop(wal);
    let recovery = Wal::recover_in(sim.storage(), "").unwrap();
    let defs = recovery
        .records()
        .iter()
        .filter(|(_, e)| matches!(e, WalEntry::SeriesDef { .. }))
        .count();
    let segments = recovery.segments().len();
    // 300 + 5 first definitions, then at most the 5 `fill` series again
    // per segment; re-logging every known series would need 305 a roll.
    assert!(
        defs <= 305 + 5 * segments,
        "{defs} definitions in {segments} segments"
    );
    assert_segments_self_contained(&recovery);
    assert_eq!(recovery.data_points().unwrap().len(), 700);
}

#[test]
fn segments_stay_self_contained_across_reopens_and_truncation() {
    let sim = SimDir::new();
    let config = common::small_segments(SyncMode::Fsync, 700);
    let mut last = 0;
    for round in 0..3 {
        let (wal, _) = Wal::open_in(sim.storage(), "", config.clone()).unwrap();
        let lsns = fill(&wal, 50 + round * 10);
        wal.truncate_through(lsns[20]).unwrap();
        last = *lsns.last().unwrap();
    }
    let recovery = Wal::recover_in(sim.storage(), "").unwrap();
    assert_segments_self_contained(&recovery);
    assert!(
        recovery
            .data_points()
            .unwrap()
            .iter()
            .any(|(lsn, _)| *lsn == last)
    );
}

/// Series churn: a log that keeps running holds only the series its live
/// segments define, so its memory follows what it can replay, not every
/// series it ever saw. A forgotten series is new again to `check_new`
/// (the caller's own collision check) and is defined again.
#[test]
fn series_of_truncated_segments_are_forgotten() {
    let sim = SimDir::new();
    let config = common::small_segments(SyncMode::None, 4096);
    let (wal, _) = Wal::open_in(sim.storage(), "", config.clone()).unwrap();
    let point = |round: usize, host: usize| {
        let host = format!("r{round}-h{host}");
        DataPoint::new("cpu", common::labels(&[("host", &host)]), 0, 1.0)
    };
    let mut last = 0;
    for round in 0..20 {
        for host in 0..50 {
            last = wal.append_points(&[point(round, host)]).unwrap();
        }
        assert!(
            wal.series_count() <= 100,
            "round {round}: {}",
            wal.series_count()
        );
        // Everything is covered: roll over and truncate, as a flush does.
        wal.roll_if_covered(last).unwrap();
        wal.truncate_through(last).unwrap();
        assert_eq!(wal.series_count(), 0, "round {round}");
    }
    // The first round's series are new to the log again.
    let mut seen = Vec::new();
    wal.append_points_checked(
        &[point(0, 1), point(19, 2)],
        |new| {
            seen.extend(new.iter().map(|(id, _)| *id));
            Ok(())
        },
        |_| {},
    )
    .unwrap();
    assert_eq!(seen, [point(0, 1).series_id, point(19, 2).series_id]);
    assert_eq!(wal.series_count(), 2);
    // ... and defined again, so the live segments replay on their own.
    drop(wal);
    let (wal, recovery) = Wal::open_in(sim.storage(), "", config).unwrap();
    let points = recovery.data_points().unwrap();
    assert_eq!(points.len(), 1);
    assert_eq!(wal.series_count(), 2);
}

/// A collision check that refuses a batch logs nothing of it.
#[test]
fn a_refused_check_logs_nothing() {
    let sim = SimDir::new();
    let config = common::small_segments(SyncMode::Fsync, 4096);
    let (wal, _) = Wal::open_in(sim.storage(), "", config.clone()).unwrap();
    let p = DataPoint::new("cpu", common::labels(&[("host", "a")]), 0, 1.0);
    let next = wal.next_lsn();
    let refused = wal.append_points_checked(
        std::slice::from_ref(&p),
        |_| Err(skulk_wal::WalError::InvalidArgument("refused".into())),
        |_| panic!("no LSN is assigned to a refused batch"),
    );
    assert!(refused.is_err());
    assert_eq!((wal.next_lsn(), wal.series_count()), (next, 0));
    wal.append_points(&[p]).unwrap();
    drop(wal);
    let recovery = Wal::recover_in(sim.storage(), "").unwrap();
    assert_eq!(recovery.data_points().unwrap().len(), 1);
}
