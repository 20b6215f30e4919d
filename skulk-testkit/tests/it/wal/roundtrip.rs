//! Records come back bit-exactly, in LSN order, across reopens.

use std::sync::Arc;

use proptest::prelude::*;
use skulk_format::{DataPoint, PointLog};
use skulk_wal::{SyncMode, Wal, WalEntry, WalError};

use super::common::{self, Rng, assert_records_eq, every_entry_type};
use super::sim::SimDir;

#[test]
fn every_entry_type_round_trips_across_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let mut want = Vec::new();
    for round in 0..3 {
        let (wal, recovery) = Wal::open(dir.path(), common::config(SyncMode::Fdatasync)).unwrap();
        assert_records_eq(recovery.records(), &want);
        assert_eq!(recovery.torn_bytes(), 0);
        assert_eq!(recovery.next_lsn(), want.len() as u64 + 1, "round {round}");
        for entry in every_entry_type() {
            let lsn = wal.append(&entry).unwrap();
            want.push((lsn, entry));
        }
    }
    let recovery = Wal::recover(dir.path()).unwrap();
    assert_records_eq(recovery.records(), &want);
    assert_eq!(recovery.last_lsn(), Some(want.len() as u64));
    assert_eq!(recovery.last_checkpoint(), Some(u64::MAX));
    let lsns: Vec<u64> = recovery.records().iter().map(|(l, _)| *l).collect();
    assert_eq!(lsns, (1..=want.len() as u64).collect::<Vec<_>>());
}

#[test]
fn points_come_back_complete_with_series_defined_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(7);
    let batches: Vec<Vec<DataPoint>> = (0..20)
        .map(|_| common::sample_points(&mut rng, 9, 4))
        .collect();
    let mut lsns = Vec::new();
    {
        let mut wal = Wal::new(dir.path(), common::config(SyncMode::None)).unwrap();
        for batch in &batches[..10] {
            lsns.push(wal.log_points(batch).unwrap());
        }
        let mut by_ref = &wal;
        for batch in &batches[10..] {
            lsns.push(by_ref.log_points(batch).unwrap());
        }
    }
    let recovery = Wal::recover(dir.path()).unwrap();
    let defs = recovery
        .records()
        .iter()
        .filter(|(_, e)| matches!(e, WalEntry::SeriesDef { .. }))
        .count();
    assert_eq!(defs, 4, "each of the 4 series is defined once");
    let points = recovery.data_points().unwrap();
    assert_eq!(points.len(), batches.len());
    for ((lsn, got), (want_lsn, want)) in points.iter().zip(lsns.iter().zip(&batches)) {
        assert_eq!(lsn, want_lsn);
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert!(g.bit_eq(w), "{g:?} != {w:?}");
        }
    }
}

#[test]
fn bad_appends_are_refused_and_log_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open(dir.path(), common::config(SyncMode::None)).unwrap();
    assert!(matches!(
        wal.append_points(&[]),
        Err(WalError::InvalidArgument(_))
    ));
    assert!(matches!(
        wal.append(&WalEntry::Points(vec![])),
        Err(WalError::InvalidArgument(_))
    ));
    let meta = skulk_format::SeriesMeta::new("m", vec![]);
    let wrong = WalEntry::SeriesDef {
        id: skulk_format::SeriesId(1),
        meta: meta.clone(),
    };
    assert!(matches!(
        wal.append(&wrong),
        Err(WalError::InvalidArgument(_))
    ));
    let mut lying = DataPoint::for_series(Arc::new(meta), 1, 1.0);
    lying.series_id = skulk_format::SeriesId(99);
    assert!(matches!(
        wal.append_points(&[lying]),
        Err(WalError::InvalidArgument(_))
    ));
    assert_eq!(wal.next_lsn(), 1);
    drop(wal);
    assert!(Wal::recover(dir.path()).unwrap().records().is_empty());
}

#[test]
fn config_is_validated_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let config = skulk_wal::WalConfig {
        segment_size: 1,
        ..Default::default()
    };
    assert!(matches!(
        Wal::open(dir.path(), config),
        Err(WalError::OutOfRange {
            key: "segment_size",
            ..
        })
    ));
    assert!(matches!(
        Wal::recover(dir.path().join("missing")),
        Err(WalError::Io { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_batches_round_trip(
        batches in prop::collection::vec(
            prop::collection::vec((0u8..6, any::<i64>(), any::<u64>()), 1..20), 1..12),
        segment_size in 256u64..4096,
    ) {
        let sim = SimDir::new();
        let config = common::small_segments(SyncMode::None, segment_size);
        let (wal, _) = Wal::open_in(sim.storage(), "", config.clone()).unwrap();
        let mut want = Vec::new();
        for batch in &batches {
            let points: Vec<DataPoint> = batch.iter().map(|&(s, ts, bits)| {
                DataPoint::new(format!("m{s}"), common::labels(&[("k", "v")]), ts, f64::from_bits(bits))
            }).collect();
            let lsn = wal.append_points(&points).unwrap();
            want.push((lsn, points));
        }
        drop(wal);
        let (_, recovery) = Wal::open_in(sim.storage(), "", config).unwrap();
        let got = recovery.data_points().unwrap();
        prop_assert_eq!(got.len(), want.len());
        for ((gl, g), (wl, w)) in got.iter().zip(&want) {
            prop_assert_eq!(gl, wl);
            prop_assert!(g.iter().zip(w).all(|(a, b)| a.bit_eq(b)) && g.len() == w.len());
        }
    }
}

#[test]
fn the_log_is_send_and_sync() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Wal>();
    shareable::<skulk_wal::Recovery>();
}
