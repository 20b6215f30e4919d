//! One segment file: its name and a scan of its records (`FORMAT.md`,
//! "Segment" and "Reading: torn tail versus corruption").

use crate::frame::{self, FRAME_HEADER_LEN, FrameError, MAX_PAYLOAD_LEN};
use crate::header::{HeaderError, SEGMENT_HEADER_LEN, SegmentHeader};
use crate::{Lsn, WalEntry};

/// Suffix of a segment file name.
pub(crate) const SEGMENT_SUFFIX: &str = ".wal";
/// Suffix of a segment being created.
pub(crate) const TMP_SUFFIX: &str = ".wal.tmp";
/// Sector size assumed by the torn-write rule.
const SECTOR: usize = 512;

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

/// The first bad record of a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Damage {
    /// Where the bad record (or header field) starts.
    pub offset: u64,
    /// What is wrong with it.
    pub what: &'static str,
    /// True when the damage can be a torn write: no valid record follows
    /// it, or lost (zeroed) sectors lie between it and the next valid one.
    pub tearable: bool,
}

/// What a segment holds, up to its first bad record.
#[derive(Debug)]
pub(crate) struct ScannedSegment {
    pub first_lsn: Lsn,
    pub records: Vec<(Lsn, WalEntry)>,
    /// End of the last good record (the header's end when there is none).
    pub valid_len: u64,
    /// The file's size.
    pub file_len: u64,
    pub damage: Option<Damage>,
}

impl ScannedSegment {
    /// The LSN the next record must carry.
    pub(crate) fn next_lsn(&self) -> Lsn {
        self.records
            .last()
            .map_or(self.first_lsn, |(lsn, _)| lsn + 1)
    }
}

/// Scans a segment whose file name says it starts at `named_lsn`.
pub(crate) fn scan(bytes: &[u8], named_lsn: Lsn) -> Result<ScannedSegment, HeaderError> {
    let header = SegmentHeader::decode(bytes)?;
    if header.first_lsn != named_lsn {
        return Err(HeaderError::Corrupt(
            8,
            "segment header and file name disagree on first LSN",
        ));
    }
    let mut seg = ScannedSegment {
        first_lsn: header.first_lsn,
        records: Vec::new(),
        valid_len: SEGMENT_HEADER_LEN as u64,
        file_len: bytes.len() as u64,
        damage: None,
    };
    let mut pos = SEGMENT_HEADER_LEN;
    while pos < bytes.len() {
        let rest = bytes.get(pos..).unwrap_or_default();
        let expected = seg.next_lsn();
        let what = match frame::decode(rest) {
            Ok(f) if f.lsn != expected => "record LSN out of sequence",
            Ok(f) => match WalEntry::decode_payload(f.kind, f.payload) {
                Ok(entry) => {
                    seg.records.push((f.lsn, entry));
                    pos += f.len;
                    seg.valid_len = pos as u64;
                    continue;
                }
                Err(e) => e.what,
            },
            Err(FrameError::Incomplete) => "record runs past the end of the segment",
            Err(FrameError::Bad(what)) => what,
        };
        let tearable = tearable(bytes, pos, expected);
        seg.damage = Some(Damage {
            offset: pos as u64,
            what,
            tearable,
        });
        break;
    }
    Ok(seg)
}

/// Whether damage at `at` can be a torn write (`FORMAT.md`): no valid
/// frame follows it, or the bytes up to the next valid frame show a lost
/// sector (zeros from `at` to the end of its sector, or a whole aligned
/// zero sector).
fn tearable(bytes: &[u8], at: usize, expected: Lsn) -> bool {
    let Some(next) = next_valid_frame(bytes, at + 1, expected) else {
        return true;
    };
    let sector_end = (at / SECTOR + 1) * SECTOR;
    let lost_lead = sector_end <= next
        && bytes
            .get(at..sector_end)
            .is_some_and(|lead| lead.iter().all(|&b| b == 0));
    lost_lead || has_zero_sector(bytes, at, next)
}

/// The first offset from `from` on where a frame with a good CRC and an LSN
/// of at least `min_lsn` starts.
fn next_valid_frame(bytes: &[u8], from: usize, min_lsn: Lsn) -> Option<usize> {
    let max_records = (bytes.len() / FRAME_HEADER_LEN) as u64;
    (from..bytes.len().saturating_sub(FRAME_HEADER_LEN)).find(|&p| {
        let rest = bytes.get(p..).unwrap_or_default();
        let plausible = rest.get(8).is_some_and(|&t| (1..=4).contains(&t))
            && rest
                .get(..4)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_le_bytes)
                .is_some_and(|len| {
                    len > 0 && (len as usize) <= MAX_PAYLOAD_LEN.min(rest.len() - FRAME_HEADER_LEN)
                });
        plausible
            && frame::decode(rest).is_ok_and(|f| f.lsn >= min_lsn && f.lsn - min_lsn < max_records)
    })
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
