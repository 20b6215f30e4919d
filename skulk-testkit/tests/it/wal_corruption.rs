//! Corruption sweep of WAL segments: every truncation and every single-byte
//! flip, recovered with `skulk_wal::Wal::recover_in`.
//!
//! In the last segment, damage to the last record may be cut off as a torn
//! tail (the records before it must come back exactly); anywhere else it
//! must be a typed error. Never a panic, never a record that was not
//! written, never a silently skipped record.

use std::sync::Arc;
use std::time::Duration;

use skulk_format::{DataPoint, TimePartition};
use skulk_testkit::corruption::{ErrorText, Mutation, SweepConfig, Verdict, sweep};
use skulk_testkit::fuzz::records_bit_eq;
use skulk_testkit::sim_fs::SimFs;
use skulk_wal::{Lsn, MIN_SEGMENT_SIZE, SyncMode, Wal, WalConfig, WalEntry};

type Records = Vec<(Lsn, WalEntry)>;

fn config(segment_size: u64) -> WalConfig {
    WalConfig {
        segment_size,
        sync_mode: SyncMode::None,
        ..WalConfig::default()
    }
}

/// A log with series definitions, points with special values, a retention
/// drop and a checkpoint.
fn write_log(segment_size: u64) -> SimFs {
    let dir = SimFs::labelled("sweep-wal");
    let (wal, _) = Wal::open_in(Arc::new(dir.clone()), "", config(segment_size)).unwrap();
    let host = |h: &str| vec![("host".to_string(), h.to_string())];
    let batches = [
        vec![
            DataPoint::new("cpu", host("a"), 1_000, 0.5),
            DataPoint::new("cpu", host("b"), 1_000, f64::NAN),
        ],
        vec![DataPoint::new("cpu", host("a"), i64::MAX, -0.0)],
        vec![DataPoint::new(
            "mem",
            vec![],
            i64::MIN,
            f64::from_bits(0x7ff4_0000_0000_0001),
        )],
    ];
    let mut last = 0;
    for batch in &batches {
        last = wal.append_points(batch).unwrap();
    }
    let partition = TimePartition::new(0, Duration::from_secs(3600)).unwrap();
    wal.append(&WalEntry::DropPartition(partition)).unwrap();
    wal.append(&WalEntry::Checkpoint { safe_lsn: last })
        .unwrap();
    wal.append_points(&[DataPoint::new("cpu", host("a"), 2_000, 1.5)])
        .unwrap();
    drop(wal);
    dir
}

fn segments(dir: &SimFs) -> Vec<(String, Vec<u8>)> {
    dir.files()
        .into_iter()
        .map(|(path, bytes)| (path.display().to_string(), bytes))
        .filter(|(name, _)| name.ends_with(".wal"))
        .collect()
}

/// Recovers the log made of `segments` with `name` replaced by `bytes`.
fn recover_with(
    segments: &[(String, Vec<u8>)],
    name: &str,
    bytes: &[u8],
) -> Result<Records, ErrorText> {
    let dir = SimFs::labelled("sweep-wal");
    for (n, b) in segments {
        dir.put(n, if n == name { bytes } else { b });
    }
    let recovery = Wal::recover_in(Arc::new(dir.clone()), "").map_err(ErrorText::of)?;
    recovery.data_points().map_err(ErrorText::of)?;
    Ok(recovery.into_records())
}

/// The offset where the last record of `bytes` starts: the shortest
/// truncation that recovers all but the last record.
fn last_record_start(
    segments: &[(String, Vec<u8>)],
    name: &str,
    bytes: &[u8],
    full: usize,
) -> usize {
    (0..bytes.len())
        .find(|&len| recover_with(segments, name, &bytes[..len]).is_ok_and(|r| r.len() + 1 == full))
        .unwrap_or(0)
}

fn judge(
    full: &Records,
    torn_allowed_from: Option<usize>,
) -> impl Fn(&Mutation, &Records) -> Verdict + '_ {
    move |mutation, got| {
        if records_bit_eq(got, full) {
            return Verdict::Identical;
        }
        let prefix = got.len() < full.len() && records_bit_eq(got, &full[..got.len()]);
        let torn = match (*mutation, torn_allowed_from) {
            (Mutation::Truncate { .. }, Some(_)) => true,
            (Mutation::Flip { offset, .. }, Some(from)) => {
                offset >= from && got.len() + 1 == full.len()
            }
            (_, None) => false,
        };
        if prefix && torn {
            Verdict::Acceptable
        } else {
            Verdict::Wrong
        }
    }
}

#[test]
fn every_truncation_and_byte_flip_of_a_single_segment_is_an_error_or_a_clean_cut() {
    let dir = write_log(64 << 20);
    let segs = segments(&dir);
    assert_eq!(segs.len(), 1);
    let (name, bytes) = segs[0].clone();
    let full = recover_with(&segs, &name, &bytes).unwrap();
    assert_eq!(
        full.len(),
        9,
        "3 series definitions, 4 point batches, a drop, a checkpoint"
    );
    let tail_start = last_record_start(&segs, &name, &bytes, full.len());
    let report = sweep(
        &bytes,
        &SweepConfig::default(),
        |b| recover_with(&segs, &name, b),
        judge(&full, Some(tail_start)),
    );
    println!(
        "WAL segment of {} bytes, last record at {tail_start}: {report}",
        bytes.len()
    );
    report.assert_clean();
    assert_eq!(report.cases as usize, bytes.len() * 4);
    assert!(
        report.accepted >= (bytes.len() - tail_start) as u64,
        "torn tails must be cut"
    );
}

#[test]
fn damage_to_an_earlier_segment_is_always_an_error() {
    let dir = write_log(MIN_SEGMENT_SIZE);
    // More batches after a reopen, so that the log spans several segments.
    let (wal, _) = Wal::open_in(Arc::new(dir.clone()), "", config(MIN_SEGMENT_SIZE)).unwrap();
    for i in 0..8 {
        let labels = vec![("batch".to_string(), (i % 3).to_string())];
        wal.append_points(&[DataPoint::new("more", labels, i, f64::from(i as u8))])
            .unwrap();
    }
    drop(wal);
    let segs = segments(&dir);
    assert!(
        segs.len() >= 3,
        "expected several segments, got {}",
        segs.len()
    );
    let full = recover_with(&segs, "", &[]).unwrap();
    let mut total = skulk_testkit::corruption::CorruptionReport::default();
    for (name, bytes) in &segs[..segs.len() - 1] {
        let report = sweep(
            &bytes.clone(),
            &SweepConfig::quick(),
            |b| recover_with(&segs, name, b),
            judge(&full, None),
        );
        total.merge(report);
    }
    println!("{} earlier WAL segments: {total}", segs.len() - 1);
    total.assert_clean();
    assert_eq!(total.accepted, 0);
}
