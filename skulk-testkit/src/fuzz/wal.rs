//! Targets of the write-ahead log: recovery of arbitrary segments, and
//! written logs damaged in one place.

use std::sync::Arc;

use skulk_format::DataPoint;
use skulk_wal::{Lsn, Wal, WalConfig, WalEntry};

use super::WAL_SEGMENT_NAME;
use super::input::{Input, damage, series_from};
use crate::sim_fs::SimFs;

/// A WAL segment from arbitrary bytes, recovered read-only, then opened for
/// writing (which cuts a torn tail) and recovered again: both recoveries
/// must agree on the records, LSNs must increase, and the second must find
/// no torn tail.
pub fn wal_recovery(data: &[u8]) {
    let dir = SimFs::labelled("fuzz-wal");
    dir.put(WAL_SEGMENT_NAME, data);
    let Ok(first) = Wal::recover_in(Arc::new(dir.clone()), "") else {
        return;
    };
    assert!(
        first.records().windows(2).all(|w| w[0].0 < w[1].0),
        "LSNs must increase"
    );
    assert!(
        first.torn_bytes() <= data.len() as u64,
        "cut more than the file"
    );
    let _ = first.series();
    let _ = first.data_points();
    let _ = first.last_checkpoint();
    let Ok((wal, reopened)) = Wal::open_in(Arc::new(dir.clone()), "", WalConfig::default()) else {
        return;
    };
    drop(wal);
    assert!(
        records_bit_eq(reopened.records(), first.records()),
        "open and recover disagree"
    );
    let again = Wal::recover_in(Arc::new(dir.clone()), "")
        .unwrap_or_else(|e| panic!("recovery after open: {e}"));
    assert!(
        records_bit_eq(again.records(), first.records()),
        "the cut changed the records"
    );
    assert_eq!(again.torn_bytes(), 0, "a torn tail survived opening");
}

/// True when both record lists are equal, values compared by their bits
/// (so NaN equals itself and `-0.0` differs from `0.0`).
pub fn records_bit_eq(a: &[(Lsn, WalEntry)], b: &[(Lsn, WalEntry)]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|((la, ea), (lb, eb))| {
            la == lb
                && match (ea, eb) {
                    (WalEntry::Points(pa), WalEntry::Points(pb)) => {
                        pa.len() == pb.len() && pa.iter().zip(pb).all(|(x, y)| x.bit_eq(y))
                    }
                    (ea, eb) => ea == eb,
                }
        })
}

/// Arbitrary batches logged with `Wal` (in memory), then one byte of the
/// segment flipped or the segment truncated, then recovered: the
/// undamaged log must recover exactly; a damaged one must give a typed
/// error, the exact records, or (damage in the last record only) every
/// record but the last.
///
/// Input: damage (as in [`super::format_tsm_roundtrip`]), then batches of points.
pub fn wal_roundtrip(data: &[u8]) {
    let mut input = Input(data);
    let damage_input = input.bytes::<4>();
    let dir = SimFs::labelled("fuzz-wal");
    let Ok((wal, _)) = Wal::open_in(Arc::new(dir.clone()), "", WalConfig::default()) else {
        panic!("opening an empty log failed");
    };
    let mut last_start = 0;
    while !input.is_empty() {
        let batch: Vec<DataPoint> = series_from(&mut input)
            .into_iter()
            .flat_map(|s| {
                let meta = Arc::new(s.meta);
                let points: Vec<DataPoint> = s
                    .timestamps
                    .iter()
                    .zip(&s.value_bits)
                    .map(|(t, v)| DataPoint::for_series(Arc::clone(&meta), *t, f64::from_bits(*v)))
                    .collect();
                points
            })
            .collect();
        if batch.is_empty() {
            continue;
        }
        // The last append's records go over the end mark of the one before.
        let len = dir.get(WAL_SEGMENT_NAME).map_or(0, |b| b.len());
        last_start = len.saturating_sub(skulk_wal::END_MARK_LEN);
        wal.append_points(&batch)
            .unwrap_or_else(|e| panic!("append: {e}"));
    }
    drop(wal);
    let Some(mut bytes) = dir.get(WAL_SEGMENT_NAME) else {
        return;
    };
    let full = Wal::recover_in(Arc::new(dir.clone()), "")
        .unwrap_or_else(|e| panic!("the undamaged log fails: {e}"));
    let full = full.records();
    let Some(done) = damage(&mut Input(&damage_input), &mut bytes) else {
        return;
    };
    dir.put(WAL_SEGMENT_NAME, &bytes);
    if let Ok(got) = Wal::recover_in(Arc::new(dir.clone()), "") {
        let got = got.records();
        let identical = records_bit_eq(got, full);
        // Recovery may cut a torn tail: after a truncation, or when a flip
        // lies in the last append (the exact rule, last record only, is
        // swept in `tests/it/wal_corruption.rs`).
        let tail = done.truncated || done.at >= last_start;
        let cut = tail
            && got.len() < full.len()
            && records_bit_eq(got, full.get(..got.len()).unwrap_or_default());
        assert!(
            identical || cut,
            "{done:?} (last append at {last_start}) gave wrong records"
        );
    }
}
