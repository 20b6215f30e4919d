//! Opening refuses corruption and changes nothing; `repair` copies the
//! originals aside, cuts at the corruption and reports what it dropped.

use std::fs;

use skulk_wal::{SyncMode, Wal, WalEntry, WalError, repair};

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
fn corruption_fails_open_untouched_and_repair_cuts_there() {
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
    let cut = report.cut.clone().unwrap();
    assert!(cut.segment.ends_with(victim));
    assert_eq!(cut.offset, *offset);
    assert_eq!(report.removed_segments.len(), names.len() - 2);
    assert!(report.dropped_records > 0 && report.dropped_bytes > 0);
    assert_eq!(report.backups.len(), names.len() - 1);
    // The backups hold the (damaged) originals, byte for byte.
    let backup = dir.path().join(&report.backups[0]);
    assert_eq!(fs::read(backup).unwrap(), bytes);

    let (wal, recovery) = Wal::open(dir.path(), common::config(SyncMode::Fsync)).unwrap();
    assert_prefix(recovery.records(), &records);
    assert_eq!(recovery.next_lsn(), report.next_lsn);
    assert!(recovery.records().len() < records.len());
    recovery.data_points().unwrap();
    // Opening re-defined the series whose definitions were cut away.
    let lsn = wal.append(&WalEntry::Checkpoint { safe_lsn: 0 }).unwrap();
    assert!(lsn >= report.next_lsn);
    drop(wal);
    wal_truncated_resolves(dir.path());
}

#[test]
fn repair_of_a_clean_or_torn_log() {
    let dir = tempfile::tempdir().unwrap();
    let records = build(dir.path());
    let report = repair(dir.path()).unwrap();
    assert_eq!(report.cut, None);
    assert_eq!(report.torn_bytes, 0);
    assert!(report.backups.is_empty());

    let last = dir.path().join(segment_files(dir.path()).last().unwrap());
    let len = fs::metadata(&last).unwrap().len();
    fs::OpenOptions::new()
        .write(true)
        .open(&last)
        .unwrap()
        .set_len(len - 3)
        .unwrap();
    let report = repair(dir.path()).unwrap();
    assert!(report.torn_bytes > 0);
    assert_eq!(report.backups.len(), 1);
    let recovery = Wal::recover(dir.path()).unwrap();
    assert_eq!(recovery.torn_bytes(), 0);
    assert_prefix(recovery.records(), &records);
    assert_eq!(recovery.records().len(), records.len() - 1);
}

#[test]
fn a_bad_header_removes_the_segment() {
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
    assert_eq!(report.removed_segments.len(), names.len() - 2);
    assert_eq!(segment_files(dir.path()), names[..2].to_vec());
    assert_prefix(Wal::recover(dir.path()).unwrap().records(), &records);
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
    bytes[4] = 2;
    let crc = crc32_ieee(&bytes[..16]);
    bytes[16..20].copy_from_slice(&crc.to_le_bytes());
    fs::write(&path, &bytes).unwrap();
    let err = Wal::recover(dir.path()).unwrap_err();
    assert!(
        matches!(&err, WalError::UnsupportedVersion { found: 2, supported: 1, segment } if segment.ends_with(&names[0])),
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
