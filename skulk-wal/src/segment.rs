//! One segment file: its name and a scan of its records (`FORMAT.md`,
//! "Segment" and "Reading: torn tail versus corruption").

use crate::end_mark::{self, END_MARK_LEN};
use crate::frame::{self, FrameError, MAX_PAYLOAD_LEN};
use crate::header::{HeaderError, SEGMENT_HEADER_LEN, SegmentHeader, WalVersion};
use crate::{Lsn, WalEntry};

/// Suffix of a segment file name.
pub(crate) const SEGMENT_SUFFIX: &str = ".wal";
/// Suffix of a segment being created.
pub(crate) const TMP_SUFFIX: &str = ".wal.tmp";
/// Sector size assumed by the version-1 torn-write rule.
const SECTOR: usize = 512;
/// The highest record type a frame may carry.
const MAX_KIND: u8 = 5;

/// `<first_lsn as 16 hex digits>.wal`.
pub(crate) fn segment_name(first_lsn: Lsn) -> String {
    format!("{first_lsn:016x}{SEGMENT_SUFFIX}")
}

/// The first LSN named by a segment file name, `None` for other files.
pub(crate) fn parse_segment_name(name: &str) -> Option<Lsn> {
    let hex = name.strip_suffix(SEGMENT_SUFFIX)?;
    let canonical = hex.len() == 16 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    canonical
        .then(|| u64::from_str_radix(hex, 16).ok())
        .flatten()
}

/// The first bad record of a segment that could not be skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Damage {
    /// Where the bad record (or header field) starts.
    pub offset: u64,
    /// What is wrong with it.
    pub what: &'static str,
    /// True when the damage can be a torn write (see `FORMAT.md`).
    pub tearable: bool,
    /// Only the end mark's bytes are damaged: every record is there.
    pub only_end_mark: bool,
}

/// Damaged bytes that were skipped because every record they held is at or
/// below the LSN the caller said is covered elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Skipped {
    pub offset: u64,
    pub len: u64,
    /// The LSNs the skipped bytes held (`first > last` when none).
    pub first_lsn: Lsn,
    pub last_lsn: Lsn,
}

/// What a segment holds, up to its first bad record that could not be
/// skipped.
#[derive(Debug)]
pub(crate) struct ScannedSegment {
    pub first_lsn: Lsn,
    pub version: WalVersion,
    pub records: Vec<(Lsn, WalEntry)>,
    /// End of the last good record (the header's end when there is none).
    pub valid_len: u64,
    /// The file's size.
    pub file_len: u64,
    pub damage: Option<Damage>,
    /// A version-3 segment that ends right after a frame, without its end
    /// mark: its end was cut, later records may be gone.
    pub end_lost: bool,
    pub skipped: Vec<Skipped>,
    /// The LSN the next record must carry.
    pub next_lsn: Lsn,
}

/// A reader of one segment's frames, for `scan` and `repair`.
pub(crate) struct Scan<'a> {
    bytes: &'a [u8],
    version: WalVersion,
}

impl<'a> Scan<'a> {
    /// Reads the frames of `bytes` (a whole segment) as `version` frames.
    pub(crate) fn new(bytes: &'a [u8], version: WalVersion) -> Self {
        Self { bytes, version }
    }
}

/// Scans a segment whose file name says it starts at `named_lsn`; damage
/// holding only records with LSN `<= covered` is skipped.
pub(crate) fn scan(
    bytes: &[u8],
    named_lsn: Lsn,
    covered: Lsn,
) -> Result<ScannedSegment, HeaderError> {
    let header = SegmentHeader::decode(bytes)?;
    if header.first_lsn != named_lsn {
        return Err(HeaderError::Corrupt(
            8,
            "segment header and file name disagree on first LSN",
        ));
    }
    let scan = Scan::new(bytes, header.version);
    let mut seg = ScannedSegment {
        first_lsn: header.first_lsn,
        version: header.version,
        records: Vec::new(),
        valid_len: SEGMENT_HEADER_LEN as u64,
        file_len: bytes.len() as u64,
        damage: None,
        end_lost: false,
        skipped: Vec::new(),
        next_lsn: header.first_lsn,
    };
    // Version 3 segments end with an end mark; without it, the end was cut.
    let marked = header.version == WalVersion::V3;
    let mut pos = SEGMENT_HEADER_LEN;
    loop {
        if pos >= bytes.len() {
            seg.end_lost = marked;
            break;
        }
        let rest = bytes.get(pos..).unwrap_or_default();
        // What is wrong, where the bad bytes start, where to look for the
        // next valid frame.
        let (what, at, search) = if marked && end_mark::is_at(rest, pos as u64, seg.next_lsn) {
            let after = pos + END_MARK_LEN;
            if after == bytes.len() {
                break;
            }
            ("bytes after the segment's end mark", after, after)
        } else {
            match scan.record_at(pos, seg.next_lsn) {
                Ok((entry, lsn, len)) => {
                    seg.next_lsn = entry.lsn_after(lsn);
                    seg.records.push((lsn, entry));
                    pos += len;
                    seg.valid_len = pos as u64;
                    continue;
                }
                Err(what) => (what, pos, pos + 1),
            }
        };
        match scan.next_valid_frame(search, seg.next_lsn) {
            Some((next, lsn)) if lsn.saturating_sub(1) <= covered => {
                seg.skipped.push(Skipped {
                    offset: at as u64,
                    len: (next - at) as u64,
                    first_lsn: seg.next_lsn,
                    last_lsn: lsn.saturating_sub(1),
                });
                seg.next_lsn = lsn;
                pos = next;
            }
            later => {
                let tearable = if at == pos {
                    scan.tearable(at, later, seg.next_lsn)
                } else {
                    scan.tearable_after_mark(pos, later)
                };
                seg.damage = Some(Damage {
                    offset: at as u64,
                    what,
                    tearable,
                    only_end_mark: marked && later.is_none() && at + END_MARK_LEN == bytes.len(),
                });
                break;
            }
        }
    }
    Ok(seg)
}

impl Scan<'_> {
    /// The record at `pos`, which must carry LSN `expected`: (entry, LSN,
    /// frame length), or what is wrong.
    pub(crate) fn record_at(
        &self,
        pos: usize,
        expected: Lsn,
    ) -> Result<(WalEntry, Lsn, usize), &'static str> {
        let rest = self.bytes.get(pos..).unwrap_or_default();
        let f = match frame::decode(rest, self.version) {
            Ok(f) => f,
            Err(FrameError::Incomplete) => return Err("record runs past the end of the segment"),
            Err(FrameError::Bad(what)) => return Err(what),
        };
        if f.lsn != expected {
            return Err("record LSN out of sequence");
        }
        if f.synced > pos as u64 {
            return Err("synced-through mark beyond the record's own offset");
        }
        let entry = WalEntry::decode_payload(f.kind, f.payload).map_err(|e| e.what)?;
        if let WalEntry::Lost { last_lsn } = entry
            && last_lsn < f.lsn
        {
            return Err("lost range ends before it starts");
        }
        Ok((entry, f.lsn, f.len))
    }

    /// Whether damage at `at`, where record `expected` should start (with
    /// the next valid frame at `next`, if any), can be a torn write
    /// (`FORMAT.md`): nothing valid follows it, or the bytes up to the next
    /// valid frame look like sectors that never reached the disk and, from
    /// version 2 on, no later frame says they had been synced. A sector
    /// that never reached the disk reads as zeros, or, where a version-3
    /// write began over the end mark, as that mark and the zeros after it.
    pub(crate) fn tearable(&self, at: usize, next: Option<(usize, Lsn)>, expected: Lsn) -> bool {
        let Some((next, lsn)) = next else {
            return true;
        };
        let sector_end = (at / SECTOR + 1) * SECTOR;
        let old_mark = end_mark::encode(at as u64, expected);
        let is_old_mark = |lead: &[u8]| {
            self.version == WalVersion::V3
                && lead
                    .iter()
                    .enumerate()
                    .all(|(i, &b)| b == old_mark.get(i).copied().unwrap_or(0))
        };
        let lost_lead = sector_end <= next
            && self
                .bytes
                .get(at..sector_end)
                .is_some_and(|lead| lead.iter().all(|&b| b == 0) || is_old_mark(lead));
        let lost_sectors = lost_lead || has_zero_sector(self.bytes, at, next);
        match self.version {
            WalVersion::V1 => lost_sectors,
            // A later frame records how far the segment was synced before
            // it: bytes below that were durable, so damage there is not a
            // torn write, whatever it looks like.
            WalVersion::V2 | WalVersion::V3 => {
                lost_sectors && self.max_mark_from(next, lsn) <= at as u64
            }
        }
    }

    /// Whether bytes after a valid end mark at `mark` (with the next valid
    /// frame at `next`, if any) can be a write that never completed: the
    /// records it was to put over the mark did not land there (or are being
    /// written), unless a later frame says the segment was synced beyond
    /// the mark, which proves the mark stale.
    pub(crate) fn tearable_after_mark(&self, mark: usize, next: Option<(usize, Lsn)>) -> bool {
        next.is_none_or(|(next, lsn)| self.max_mark_from(next, lsn) <= mark as u64)
    }

    /// The highest synced-through mark of the valid frames from `from` on
    /// (the first of which carries LSN `lsn`).
    fn max_mark_from(&self, from: usize, lsn: Lsn) -> u64 {
        let mut mark = 0;
        let mut pos = from;
        while let Some((at, _)) = self.next_valid_frame(pos, lsn) {
            let rest = self.bytes.get(at..).unwrap_or_default();
            let Ok(f) = frame::decode(rest, self.version) else {
                break;
            };
            if f.synced <= at as u64 {
                mark = mark.max(f.synced);
            }
            pos = at + f.len;
        }
        mark
    }

    /// The first offset from `from` on where a frame with a good CRC and an
    /// LSN of at least `min_lsn` starts, with its LSN.
    pub(crate) fn next_valid_frame(&self, from: usize, min_lsn: Lsn) -> Option<(usize, Lsn)> {
        let header = frame::header_len(self.version);
        let bytes = self.bytes;
        let max_records = (bytes.len() / header) as u64;
        (from..bytes.len().saturating_sub(header)).find_map(|p| {
            let rest = bytes.get(p..).unwrap_or_default();
            let plausible = rest.get(8).is_some_and(|&t| (1..=MAX_KIND).contains(&t))
                && rest
                    .get(..4)
                    .and_then(|b| b.try_into().ok())
                    .map(u32::from_le_bytes)
                    .is_some_and(|len| {
                        len > 0 && (len as usize) <= MAX_PAYLOAD_LEN.min(rest.len() - header)
                    });
            if !plausible {
                return None;
            }
            frame::decode(rest, self.version)
                .ok()
                .filter(|f| f.lsn >= min_lsn && f.lsn - min_lsn < max_records.max(1) * 2)
                .map(|f| (p, f.lsn))
        })
    }
}

/// True when a whole aligned sector in `[from, to)` is all zeros.
fn has_zero_sector(bytes: &[u8], from: usize, to: usize) -> bool {
    let start = from.div_ceil(SECTOR) * SECTOR;
    bytes.get(start..to.min(bytes.len())).is_some_and(|region| {
        region
            .chunks_exact(SECTOR)
            .any(|s| s.iter().all(|&b| b == 0))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_others_are_ignored() {
        assert_eq!(segment_name(1), "0000000000000001.wal");
        assert_eq!(parse_segment_name(&segment_name(u64::MAX)), Some(u64::MAX));
        for other in [
            "1.wal",
            "000000000000000G.wal",
            "0000000000000001.wal.tmp",
            "00000000000000A1.wal",
        ] {
            assert_eq!(parse_segment_name(other), None, "{other}");
        }
    }

    #[test]
    fn zero_sectors_are_found_only_when_whole_and_aligned() {
        let mut bytes = vec![1u8; 2048];
        bytes[600..1100].fill(0);
        assert!(!has_zero_sector(&bytes, 0, 2048));
        bytes[512..1024].fill(0);
        assert!(has_zero_sector(&bytes, 512, 1024));
        assert!(!has_zero_sector(&bytes, 513, 2048));
    }
}
