//! Torn tails are cut and reported; damage before the tail is a typed
//! error naming segment and offset; nothing panics, nothing wrong comes back.

use proptest::prelude::*;

use skulk_wal::{
    END_MARK_LEN, FRAME_HEADER_LEN, Lsn, SEGMENT_HEADER_LEN, SyncMode, Wal, WalEntry, WalError,
};

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

/// Start offsets of the records in a segment (its end mark follows them).
fn record_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut at = SEGMENT_HEADER_LEN;
    while at < bytes.len() - END_MARK_LEN {
        offsets.push(at);
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        at += FRAME_HEADER_LEN + len;
    }
    offsets
}

/// Cut anywhere in its last record or its end mark, a log reports what it
/// lost: a cut inside a record or the mark is a torn tail (in bytes); a cut
/// exactly where a record ends, which leaves no torn bytes, is a lost end.
#[test]
fn the_last_record_cut_at_every_byte_is_a_reported_torn_tail_or_lost_end() {
    let (sim, records) = build(6, 1 << 20);
    let files = sim.files();
    assert_eq!(files.len(), 1);
    let (name, bytes) = &files[0];
    let last_start = *record_offsets(bytes).last().unwrap();
    let mark_start = bytes.len() - END_MARK_LEN;
    for cut in last_start..=bytes.len() {
        let disk = SimDir::with_files(&[(name.clone(), bytes[..cut].to_vec())]);
        let read_only = Wal::recover_in(disk.storage(), "").unwrap();
        let keeps_last = cut >= mark_start;
        let want = if keeps_last {
            &records[..]
        } else {
            &records[..records.len() - 1]
        };
        assert_records_eq(read_only.records(), want);
        let (torn, lost_end) = match cut {
            c if c == bytes.len() => (0, false),
            c if c == mark_start || c == last_start => (0, true),
            c if c > mark_start => (c - mark_start, false),
            c => (c - last_start, false),
        };
        assert_eq!(read_only.torn_bytes(), torn as u64, "cut at {cut}");
        match read_only.lost_end() {
            Some(end) => {
                assert!(lost_end, "cut at {cut}: {end:?}");
                assert!(end.segment.ends_with(name));
                assert_eq!(end.offset, cut as u64);
                assert_eq!(end.last_lsn, want.last().unwrap().0);
            }
            None => assert!(!lost_end, "cut at {cut}: the lost end is not reported"),
        }
        // Opening cuts the tail (or puts the end mark back); appending then
        // continues after the last good record.
        let config = common::config(SyncMode::Fsync);
        let (wal, recovery) = Wal::open_in(disk.storage(), "", config).unwrap();
        assert_eq!(recovery.torn_bytes(), read_only.torn_bytes());
        assert_eq!(recovery.lost_end(), read_only.lost_end());
        let lsn = wal.append(&WalEntry::Checkpoint { safe_lsn: 1 }).unwrap();
        assert_eq!(lsn, want.len() as u64 + 1);
        drop(wal);
        let again = Wal::recover_in(disk.storage(), "").unwrap();
        assert_eq!(again.torn_bytes(), 0);
        assert_eq!(again.lost_end(), None);
        assert_records_eq(&again.records()[..want.len()], want);
    }
}

/// Cut at the end of any record of a synced log, the log reports a lost
/// end naming segment, offset and the last LSN left: under format 2 such a
/// cut read as a log whose last writes never happened.
#[test]
fn a_log_cut_where_any_record_ends_reports_a_lost_end() {
    let (sim, records) = build_synced(20, 1 << 20, SyncMode::Fsync);
    let files = sim.files();
    let (name, bytes) = &files[0];
    let offsets = record_offsets(bytes);
    let ends = offsets
        .iter()
        .skip(1)
        .copied()
        .chain([bytes.len() - END_MARK_LEN]);
    for (kept, cut) in ends.enumerate() {
        let disk = SimDir::with_files(&[(name.clone(), bytes[..cut].to_vec())]);
        let recovery = Wal::recover_in(disk.storage(), "").unwrap();
        assert_records_eq(recovery.records(), &records[..=kept]);
        assert_eq!(recovery.torn_bytes(), 0);
        let end = recovery.lost_end().expect("a lost end is reported");
        assert_eq!((end.offset, end.last_lsn), (cut as u64, records[kept].0));
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
        // The end mark: a torn tail of its 16 bytes in the last segment;
        // skipped (and reported) in an earlier one, whose records the next
        // segment's LSNs vouch for.
        Some(_) if at >= disk.read_len(name) - END_MARK_LEN => {
            let recovery = result.unwrap();
            assert_records_eq(recovery.records(), records);
            if last_segment {
                assert_eq!(recovery.torn_bytes() as usize, END_MARK_LEN);
            } else {
                assert_eq!(recovery.skipped().len(), 1, "byte {at} of {name}");
                assert!(recovery.skipped()[0].segment.ends_with(name));
            }
        }
        // The very last record of the log: a torn tail.
        Some((i, start)) if last_segment && i + 1 == count => {
            let recovery = result.unwrap();
            assert_eq!(recovery.torn_bytes() as usize, disk.read_len(name) - start);
            assert_eq!(recovery.lost_end(), None);
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

/// A commit writes its records over the previous end mark. An old mark
/// read back in their place (a write that never landed there, or a reader
/// racing the writer) is a torn tail; but when a later record carries a
/// synced-through mark beyond it, those bytes had been synced as records:
/// the mark is stale and opening reports corruption naming segment and
/// offset. Unsynced (the control), the same bytes are a torn tail.
#[test]
fn a_stale_end_mark_before_synced_records_is_corruption_not_a_torn_tail() {
    for (sync_mode, synced) in [(SyncMode::Fsync, true), (SyncMode::None, false)] {
        let sim = SimDir::new();
        let config = common::small_segments(sync_mode, 1 << 20);
        let (wal, _) = Wal::open_in(sim.storage(), "", config).unwrap();
        let mut rng = Rng::new(5);
        for _ in 0..10 {
            wal.append_points(&common::sample_points(&mut rng, 3, 3))
                .unwrap();
        }
        let (name, middle) = sim.files().remove(0);
        let kept = Wal::recover_in(sim.storage(), "").unwrap().into_records();
        let mark_at = middle.len() - END_MARK_LEN;
        for _ in 0..10 {
            wal.append_points(&common::sample_points(&mut rng, 3, 3))
                .unwrap();
        }
        drop(wal);
        let (_, mut bytes) = sim.files().remove(0);
        bytes[mark_at..mark_at + END_MARK_LEN].copy_from_slice(&middle[mark_at..]);
        let len = bytes.len();
        let disk = SimDir::with_files(&[(name.clone(), bytes)]);
        let result = Wal::recover_in(disk.storage(), "");
        if synced {
            assert!(
                matches!(&result, Err(WalError::Corrupt { segment, offset, .. })
                    if segment.ends_with(&name) && *offset == (mark_at + END_MARK_LEN) as u64),
                "{result:?}"
            );
        } else {
            let recovery = result.unwrap();
            assert_records_eq(recovery.records(), &kept);
            assert_eq!(recovery.torn_bytes() as usize, len - mark_at - END_MARK_LEN);
        }
    }
}

/// A commit writes its records over the segment's end mark. When the
/// power fails before it is synced and the sector holding the start of
/// that write keeps its old content (the mark, then zeros) while a later
/// sector of the write lands, the log is cut there as a torn tail: those
/// records were never acknowledged. The same sector with any other content
/// (the control) stays corruption.
#[test]
fn a_write_over_the_end_mark_whose_first_sector_did_not_land_is_a_torn_tail() {
    let sim = SimDir::new();
    let config = common::small_segments(SyncMode::Fsync, 1 << 20);
    let (wal, _) = Wal::open_in(sim.storage(), "", config).unwrap();
    let mut rng = Rng::new(9);
    // Grow the log until its end mark straddles a sector boundary: a mark
    // wholly inside the old sector would still check out, and the write
    // after it reads as one that did not finish.
    let (name, before) = loop {
        let n = 1 + rng.below(3) as usize;
        wal.append_points(&common::sample_points(&mut rng, n, 3))
            .unwrap();
        let (name, bytes) = sim.files().remove(0);
        if (bytes.len() - END_MARK_LEN) % 512 > 512 - END_MARK_LEN {
            break (name, bytes);
        }
    };
    let kept = Wal::recover_in(sim.storage(), "").unwrap().into_records();
    let mark_at = before.len() - END_MARK_LEN;
    // New series: a definition record each, so that records of the commit
    // start in the next sector too.
    wal.append_points(&common::sample_points(&mut rng, 8, 1000))
        .unwrap();
    drop(wal);
    let (_, after) = sim.files().remove(0);
    let sector = mark_at / 512 * 512;
    assert!(
        after.len() > sector + 512 + 64,
        "the commit reaches the next sector"
    );
    // The first sector of the commit keeps what was synced before it.
    let mut old_sector = before[sector..].to_vec();
    old_sector.resize(512, 0);
    let mut torn = after.clone();
    torn[sector..sector + 512].copy_from_slice(&old_sector);
    let recovery = Wal::recover_in(
        SimDir::with_files(&[(name.clone(), torn.clone())]).storage(),
        "",
    )
    .unwrap();
    assert_records_eq(recovery.records(), &kept);
    assert!(recovery.torn_bytes() as usize >= after.len() - mark_at - END_MARK_LEN);

    // Control: the same sector holding anything else before the next
    // record is not a sector that never landed.
    let mut garbage = torn;
    garbage[mark_at + 2] ^= 0x40;
    let result = Wal::recover_in(SimDir::with_files(&[(name, garbage)]).storage(), "");
    assert!(
        matches!(&result, Err(WalError::Corrupt { offset, .. }) if *offset == mark_at as u64),
        "{result:?}"
    );
}
