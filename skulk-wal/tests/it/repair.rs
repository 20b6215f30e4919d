//! Opening refuses corruption and changes nothing; `repair` copies the
//! originals aside, keeps every record that checks out, puts a Lost record
//! in place of what the damage swallowed and reports it.

use std::fs;

use std::sync::Arc;

use skulk_format::storage::FsStorage;
use skulk_wal::{Repair, RepairReport, SyncMode, Wal, WalEntry, WalError, repair};

use crate::common::{self, Rng, assert_prefix};

fn build(dir: &std::path::Path) -> Vec<(u64, WalEntry)> {
    let (wal, _) = Wal::open(dir, common::small_segments(SyncMode::None, 600)).unwrap();
    let mut rng = Rng::new(3);
    for _ in 0..30 {
        wal.append_points(&common::sample_points(&mut rng, 2, 3))
            .unwrap();
    }
    drop(wal);
    Wal::recover(dir).unwrap().into_records()
}

fn segment_files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".wal"))
        .collect();
    names.sort();
    names
}

#[test]
fn corruption_fails_open_untouched_and_repair_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let records = build(dir.path());
    let names = segment_files(dir.path());
    assert!(names.len() >= 4);
    let victim = &names[1];
    let path = dir.path().join(victim);
    let original = fs::read(&path).unwrap();
    let mut bytes = original.clone();
    bytes[60] ^= 0x20;
    fs::write(&path, &bytes).unwrap();

    let err = Wal::open(dir.path(), common::config(SyncMode::Fsync))
        .err()
        .unwrap();
    let WalError::Corrupt {
        segment, offset, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(segment.ends_with(victim));
    assert!(*offset <= 60);
    assert!(err.to_string().contains(victim.as_str()), "{err}");
    assert_eq!(
        fs::read(&path).unwrap(),
        bytes,
        "a failed open changes nothing"
    );
    assert_eq!(segment_files(dir.path()), names);

    let report = repair(dir.path()).unwrap();
    assert_eq!(report.damage.len(), 1, "{report:?}");
    let damage = &report.damage[0];
    assert!(damage.segment.ends_with(victim));
    assert_eq!(damage.offset, *offset);
    assert!(!damage.covered);
    assert_eq!(report.lost_lsns().len(), 1);
    assert_eq!(report.rewritten_segments, vec![victim.clone()]);
    assert!(report.removed_segments.is_empty());
    assert_eq!(report.backups.len(), 1);
    // The backup holds the (damaged) original, byte for byte.
    let backup = dir.path().join(&report.backups[0]);
    assert_eq!(fs::read(backup).unwrap(), bytes);

    let (wal, recovery) = Wal::open(dir.path(), common::config(SyncMode::Fsync)).unwrap();
    assert_repaired(&records, recovery.records(), &report);
    assert_eq!(recovery.next_lsn(), report.next_lsn);
    assert_eq!(recovery.next_lsn(), records.last().unwrap().0 + 1);
    recovery.data_points().unwrap();
    let lsn = wal.append(&WalEntry::Checkpoint { safe_lsn: 0 }).unwrap();
    assert_eq!(lsn, report.next_lsn);
    drop(wal);
    wal_truncated_resolves(dir.path());
}

#[test]
fn every_single_byte_flip_is_repaired_without_losing_other_records() {
    let dir = tempfile::tempdir().unwrap();
    let records = build(dir.path());
    let names = segment_files(dir.path());
    let victim = dir.path().join(&names[1]);
    let original = fs::read(&victim).unwrap();
    let mut rng = Rng::new(11);
    for _ in 0..40 {
        let at = rng.below(original.len() as u64) as usize;
        let mut bytes = original.clone();
        bytes[at] ^= 1 << rng.below(8);
        fs::write(&victim, &bytes).unwrap();
        let report = repair(dir.path()).unwrap();
        let recovery = Wal::recover(dir.path()).unwrap();
        assert_repaired(&records, recovery.records(), &report);
        recovery.data_points().unwrap();
        for backup in &report.backups {
            fs::remove_file(dir.path().join(backup)).unwrap();
        }
    }
    fs::write(&victim, &original).unwrap();
    assert!(repair(dir.path()).unwrap().is_clean());
}

#[test]
fn a_lost_segment_becomes_a_lost_record() {
    let dir = tempfile::tempdir().unwrap();
    let records = build(dir.path());
    let names = segment_files(dir.path());
    fs::remove_file(dir.path().join(&names[2])).unwrap();
    assert!(matches!(
        Wal::recover(dir.path()),
        Err(WalError::Corrupt { .. })
    ));
    let report = repair(dir.path()).unwrap();
    let first = u64::from_str_radix(&names[2][..16], 16).unwrap();
    let next = u64::from_str_radix(&names[3][..16], 16).unwrap();
    assert_eq!(report.lost_lsns(), vec![(first, next - 1)]);
    assert_eq!(report.rewritten_segments, vec![names[1].clone()]);
    let recovery = Wal::recover(dir.path()).unwrap();
    assert_repaired(&records, recovery.records(), &report);
    recovery.data_points().unwrap();
}

#[test]
fn a_bad_header_is_rewritten_and_its_records_kept() {
    let dir = tempfile::tempdir().unwrap();
    let records = build(dir.path());
    let names = segment_files(dir.path());
    let path = dir.path().join(&names[2]);
    let mut bytes = fs::read(&path).unwrap();
    bytes[0] = b'X';
    fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        Wal::recover(dir.path()),
        Err(WalError::Corrupt { offset: 0, .. })
    ));
    let report = repair(dir.path()).unwrap();
    assert!(report.lost_lsns().is_empty(), "{report:?}");
    assert!(!report.lost_data());
    assert_eq!(report.damage.len(), 1);
    assert_eq!(segment_files(dir.path()), names);
    let recovery = Wal::recover(dir.path()).unwrap();
    assert_eq!(recovery.records().len(), records.len());
    assert_prefix(recovery.records(), &records);
}

#[test]
fn covered_damage_is_skipped_by_open_and_reported_as_covered_by_repair() {
    let dir = tempfile::tempdir().unwrap();
    let records = build(dir.path());
    let names = segment_files(dir.path());
    let covered = u64::from_str_radix(&names[2][..16], 16).unwrap() - 1;
    let path = dir.path().join(&names[1]);
    let mut bytes = fs::read(&path).unwrap();
    bytes[60] ^= 0x20;
    fs::write(&path, &bytes).unwrap();

    let storage = Arc::new(FsStorage::new(dir.path()));
    let recovery = Wal::recover_covered(storage.clone(), "", covered).unwrap();
    let skipped = recovery.skipped();
    assert_eq!(skipped.len(), 1);
    assert!(skipped[0].segment.ends_with(&names[1]));
    assert!(skipped[0].last_lsn <= covered);
    // The control: one LSN less covered, and the damage is refused.
    let less = skipped[0].last_lsn - 1;
    assert!(matches!(
        Wal::recover_covered(storage.clone(), "", less),
        Err(WalError::Corrupt { .. })
    ));
    // Every record outside the skipped bytes is there.
    let kept: Vec<_> = records
        .iter()
        .filter(|(lsn, _)| *lsn < skipped[0].first_lsn || *lsn > skipped[0].last_lsn)
        .cloned()
        .collect();
    assert_eq!(recovery.records().len(), kept.len());
    assert_eq!(recovery.next_lsn(), records.last().unwrap().0 + 1);

    let report = Repair::new(storage, "").covered(covered).run().unwrap();
    assert_eq!(report.damage.len(), 1);
    assert!(report.damage[0].covered);
    assert!(!report.lost_data());
    assert!(report.lost_lsns().is_empty());
}

#[test]
fn repair_refuses_a_log_that_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open(dir.path(), common::config(SyncMode::Fsync)).unwrap();
    assert!(matches!(repair(dir.path()), Err(WalError::Io { .. })));
    drop(wal);
    assert!(repair(dir.path()).unwrap().is_clean());
}

/// Checks a repaired log against what was written: every record outside
/// the lost ranges is there, bit for bit, but for the points the report
/// says were dropped; each lost range is one Lost record.
fn assert_repaired(written: &[(u64, WalEntry)], got: &[(u64, WalEntry)], report: &RepairReport) {
    let lost = report.lost_lsns();
    let in_lost = |lsn: u64| lost.iter().any(|&(a, b)| (a..=b).contains(&lsn));
    let got: std::collections::HashMap<u64, &WalEntry> = got.iter().map(|(l, e)| (*l, e)).collect();
    for &(first, last) in &lost {
        assert_eq!(got.get(&first), Some(&&WalEntry::Lost { last_lsn: last }));
    }
    for (lsn, entry) in written.iter().filter(|(lsn, _)| !in_lost(*lsn)) {
        let found = got
            .get(lsn)
            .unwrap_or_else(|| panic!("record {lsn} missing"));
        let dropped: Vec<_> = report
            .dropped_points
            .iter()
            .filter(|d| d.lsn == *lsn)
            .collect();
        match (entry, found) {
            (WalEntry::Points(want), WalEntry::Points(have)) => {
                let kept: Vec<_> = want
                    .iter()
                    .filter(|p| dropped.iter().all(|d| d.series != p.series_id))
                    .collect();
                assert_eq!(kept.len(), have.len(), "record {lsn}");
                assert!(kept.iter().zip(have.iter()).all(|(a, b)| a.bit_eq(b)));
                let gone: u64 = dropped.iter().map(|d| d.points).sum();
                assert_eq!(gone as usize, want.len() - have.len());
            }
            (WalEntry::Points(want), WalEntry::Lost { last_lsn }) => {
                assert_eq!(last_lsn, lsn);
                let gone: u64 = dropped.iter().map(|d| d.points).sum();
                assert_eq!(gone as usize, want.len(), "record {lsn}");
            }
            _ => assert_eq!(entry, *found, "record {lsn}"),
        }
    }
    assert_eq!(
        got.len(),
        written.len() - lost.iter().map(|(a, b)| b - a).sum::<u64>() as usize
    );
}

/// After dropping every segment but the active one, points still resolve.
fn wal_truncated_resolves(dir: &std::path::Path) {
    let (wal, _) = Wal::open(dir, common::config(SyncMode::Fsync)).unwrap();
    let mut rng = Rng::new(4);
    wal.append_points(&common::sample_points(&mut rng, 2, 3))
        .unwrap();
    wal.truncate_through(u64::MAX).unwrap();
    drop(wal);
    Wal::recover(dir).unwrap().data_points().unwrap();
}

#[test]
fn a_newer_format_version_is_refused_not_repaired() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let names = segment_files(dir.path());
    let path = dir.path().join(&names[0]);
    let mut bytes = fs::read(&path).unwrap();
    bytes[4] = 4;
    let crc = crc32_ieee(&bytes[..16]);
    bytes[16..20].copy_from_slice(&crc.to_le_bytes());
    fs::write(&path, &bytes).unwrap();
    let err = Wal::recover(dir.path()).unwrap_err();
    assert!(
        matches!(&err, WalError::UnsupportedVersion { found: 4, supported: 3, segment } if segment.ends_with(&names[0])),
        "{err:?}"
    );
    assert!(matches!(
        repair(dir.path()),
        Err(WalError::UnsupportedVersion { .. })
    ));
    assert_eq!(fs::read(&path).unwrap(), bytes);
}

/// CRC-32 (IEEE), bit by bit: independent of the crate's implementation.
fn crc32_ieee(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
