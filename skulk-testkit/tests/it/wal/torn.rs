//! Torn tails are cut and reported; damage before the tail is a typed
//! error naming segment and offset; nothing panics, nothing wrong comes back.

use proptest::prelude::*;

use skulk_wal::{FRAME_HEADER_LEN, Lsn, SEGMENT_HEADER_LEN, SyncMode, Wal, WalEntry, WalError};

use super::common::{self, Rng, assert_prefix, assert_records_eq};
use super::sim::SimDir;

/// A log of `batches` point records (plus definitions) on a simulated disk,
/// never synced.
fn build(batches: usize, segment_size: u64) -> (SimDir, Vec<(Lsn, WalEntry)>) {
    build_synced(batches, segment_size, SyncMode::None)
}

/// A log of `batches` point records (plus definitions) on a simulated disk,
/// written under `sync_mode`.
fn build_synced(
    batches: usize,
    segment_size: u64,
    sync_mode: SyncMode,
) -> (SimDir, Vec<(Lsn, WalEntry)>) {
    let sim = SimDir::new();
    let config = common::small_segments(sync_mode, segment_size);
    let (wal, _) = Wal::open_in(sim.storage(), "", config).unwrap();
    let mut rng = Rng::new(11);
    for _ in 0..batches {
        wal.append_points(&common::sample_points(&mut rng, 3, 3))
            .unwrap();
    }
    wal.append(&WalEntry::Checkpoint { safe_lsn: 2 }).unwrap();
    drop(wal);
    let records = Wal::recover_in(sim.storage(), "").unwrap().into_records();
    (sim, records)
}

/// Start offsets of the records in a segment, and its length.
fn record_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut at = SEGMENT_HEADER_LEN;
    while at < bytes.len() {
        offsets.push(at);
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        at += FRAME_HEADER_LEN + len;
    }
    offsets
}

#[test]
fn the_last_record_cut_at_every_byte_is_a_reported_torn_tail() {
    let (sim, records) = build(6, 1 << 20);
    let files = sim.files();
    assert_eq!(files.len(), 1);
    let (name, bytes) = &files[0];
    let last_start = *record_offsets(bytes).last().unwrap();
    for cut in last_start..=bytes.len() {
        let disk = SimDir::with_files(&[(name.clone(), bytes[..cut].to_vec())]);
        let read_only = Wal::recover_in(disk.storage(), "").unwrap();
        let complete = cut == bytes.len();
        let want = if complete {
            &records[..]
        } else {
            &records[..records.len() - 1]
        };
        assert_records_eq(read_only.records(), want);
        assert_eq!(
            read_only.torn_bytes(),
            (cut - if complete { cut } else { last_start }) as u64
        );
        // Opening cuts the tail; appending then continues after the last good record.
        let config = common::config(SyncMode::Fsync);
        let (wal, recovery) = Wal::open_in(disk.storage(), "", config).unwrap();
        assert_eq!(recovery.torn_bytes(), read_only.torn_bytes());
        let lsn = wal.append(&WalEntry::Checkpoint { safe_lsn: 1 }).unwrap();
        assert_eq!(lsn, want.len() as u64 + 1);
        drop(wal);
        let again = Wal::recover_in(disk.storage(), "").unwrap();
        assert_eq!(again.torn_bytes(), 0);
        assert_records_eq(&again.records()[..want.len()], want);
    }
}

#[test]
fn every_single_byte_flip_is_an_error_or_a_reported_cut() {
    let (sim, records) = build(12, 700);
    let files = sim.files();
    assert!(
        files.len() >= 3,
        "the log spans several segments: {}",
        files.len()
    );
    for (index, (name, bytes)) in files.iter().enumerate() {
        let last_segment = index + 1 == files.len();
        let offsets = record_offsets(bytes);
        for at in 0..bytes.len() {
            for mask in [0x01u8, 0x80, 0xff] {
                let mut damaged = files.clone();
                damaged[index].1[at] ^= mask;
                let disk = SimDir::with_files(&damaged);
                let record = offsets
                    .iter()
                    .rposition(|&o| o <= at)
                    .map(|i| (i, offsets[i]));
                check_flip(
                    &disk,
                    &records,
                    name,
                    at,
                    record,
                    offsets.len(),
                    last_segment,
                );
            }
        }
    }
}

fn check_flip(
    disk: &SimDir,
    records: &[(Lsn, WalEntry)],
    name: &str,
    at: usize,
    record: Option<(usize, usize)>,
    count: usize,
    last_segment: bool,
) {
    let result = Wal::recover_in(disk.storage(), "");
    match record {
        // The segment header: CRC-checked, never a torn write.
        None => assert!(
            matches!(&result, Err(WalError::Corrupt { segment, offset, .. })
                if segment.ends_with(name) && *offset < SEGMENT_HEADER_LEN as u64),
            "header byte {at} of {name}: {result:?}"
        ),
        // The very last record of the log: a torn tail.
        Some((i, start)) if last_segment && i + 1 == count => {
            let recovery = result.unwrap();
            assert_eq!(recovery.torn_bytes() as usize, disk.read_len(name) - start);
            assert_records_eq(recovery.records(), &records[..records.len() - 1]);
        }
        // Any other record: corruption at that record.
        Some((_, start)) => assert!(
            matches!(&result, Err(WalError::Corrupt { segment, offset, .. })
                if segment.ends_with(name) && *offset == start as u64),
            "byte {at} of {name} (record at {start}): {result:?}"
        ),
    }
}

#[test]
fn a_zero_filled_tail_ends_replay() {
    let (sim, records) = build(4, 1 << 20);
    let mut files = sim.files();
    files[0].1.extend_from_slice(&[0u8; 8192]);
    let disk = SimDir::with_files(&files);
    let (_, recovery) = Wal::open_in(disk.storage(), "", common::config(SyncMode::Fsync)).unwrap();
    assert_eq!(recovery.torn_bytes(), 8192);
    assert_records_eq(recovery.records(), &records);
    assert_eq!(disk.read_len(&files[0].0), files[0].1.len() - 8192);
}

#[test]
fn lost_sectors_before_a_valid_record_are_a_torn_tail_but_garbage_is_corruption() {
    let (sim, records) = build(60, 1 << 20);
    let files = sim.files();
    let (name, bytes) = &files[0];
    let offsets = record_offsets(bytes);
    // Damage a record well before the end, leaving valid records after it.
    let victim = offsets[offsets.len() / 2];
    let kept = records
        .iter()
        .take_while(|(lsn, _)| *lsn < records[0].0 + (offsets.len() / 2) as u64);
    let kept: Vec<_> = kept.cloned().collect();

    let mut garbage = bytes.clone();
    garbage[victim + 20] ^= 0x55;
    let result = Wal::recover_in(SimDir::with_files(&[(name.clone(), garbage)]).storage(), "");
    assert!(matches!(result, Err(WalError::Corrupt { offset, .. }) if offset == victim as u64));

    // A whole zeroed sector from the victim on reads as a lost, unsynced write.
    let mut lost = bytes.clone();
    let sector = victim.div_ceil(512) * 512;
    lost[sector..sector + 512].fill(0);
    let recovery =
        Wal::recover_in(SimDir::with_files(&[(name.clone(), lost)]).storage(), "").unwrap();
    assert!(recovery.torn_bytes() > 0);
    assert_prefix(recovery.records(), &records);
    assert!(recovery.records().len() >= kept.len().saturating_sub(8));
}

/// A zeroed page in the middle of the last segment looks like sectors that
/// never reached the disk. Under a syncing mode the records after it carry
/// a synced-through mark beyond it, so it cannot be a torn write: opening
/// reports corruption naming the segment and the offset instead of cutting
/// the log there. Unsynced (the control), the same damage is a torn tail.
#[test]
fn a_zeroed_page_that_was_synced_is_corruption_not_a_torn_tail() {
    for (sync_mode, synced) in [(SyncMode::Fsync, true), (SyncMode::None, false)] {
        let (sim, records) = build_synced(400, 1 << 20, sync_mode);
        let files = sim.files();
        let (name, bytes) = &files[0];
        assert!(bytes.len() > 3 * 4096, "{} bytes", bytes.len());
        let page = bytes.len() / 2 / 4096 * 4096;
        let mut zeroed = bytes.clone();
        zeroed[page..page + 4096].fill(0);
        let first_damaged = record_offsets(bytes)
            .into_iter()
            .filter(|&at| at <= page)
            .max()
            .unwrap();
        let disk = SimDir::with_files(&[(name.clone(), zeroed)]);
        let result = Wal::recover_in(disk.storage(), "");
        if synced {
            let err = result.unwrap_err();
            assert!(
                matches!(&err, WalError::Corrupt { segment, offset, .. }
                    if segment.ends_with(name) && *offset == first_damaged as u64),
                "{err:?}"
            );
            assert!(err.to_string().contains(name.as_str()), "{err}");
        } else {
            let recovery = result.unwrap();
            assert_eq!(recovery.torn_bytes(), (bytes.len() - first_damaged) as u64);
            assert_prefix(recovery.records(), &records);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary edits, cuts and junk: a typed result, never a panic,
    /// never records that were not written.
    #[test]
    fn arbitrary_damage_never_panics(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        junk in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let (sim, records) = build(5, 1 << 20);
        let mut files = sim.files();
        let bytes = &mut files[0].1;
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        let len = cut.index(bytes.len() + 1);
        bytes.truncate(len);
        bytes.extend_from_slice(&junk);
        if let Ok(recovery) = Wal::recover_in(SimDir::with_files(&files).storage(), "") {
            assert_prefix(recovery.records(), &records);
        }
    }
}
