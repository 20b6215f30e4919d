//! Salvaging one segment: every record that still checks out, and a
//! [`WalEntry::Lost`] record for each run of LSNs that damage swallowed.

use crate::header::{SEGMENT_HEADER_LEN, SegmentHeader, WalVersion};
use crate::segment::Scan;
use crate::{Lsn, WalEntry};

/// Which LSNs a damaged region held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LostLsns {
    /// None: the bytes held no record (garbage between records, a damaged
    /// header whose records all survived).
    Nothing,
    /// The records `first..=last`.
    Range {
        /// The first LSN lost.
        first: Lsn,
        /// The last LSN lost.
        last: Lsn,
    },
}

/// A damaged region of one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Region {
    pub offset: u64,
    pub len: u64,
    pub what: &'static str,
    pub lost: LostLsns,
}

/// What could be saved of one segment.
#[derive(Debug)]
pub(crate) struct Salvaged {
    /// Its records in LSN order, with a Lost record in place of each
    /// swallowed run of LSNs.
    pub records: Vec<(Lsn, WalEntry)>,
    /// The damaged regions, in file order.
    pub regions: Vec<Region>,
    /// Bytes of a torn tail (last segment only): unacknowledged, cut.
    pub torn_bytes: u64,
    /// The LSN the next record (in the next segment) must carry.
    pub next_lsn: Lsn,
}

impl Salvaged {
    /// True when the segment must be rewritten.
    pub fn changed(&self) -> bool {
        !self.regions.is_empty() || self.torn_bytes > 0
    }
}

/// Salvages segment `bytes`, named for `first_lsn`. `next_first` is the
/// first LSN of the next segment (`None` for the last one): LSNs between
/// this segment's end and it are recorded as lost at its end.
pub(crate) fn salvage(bytes: &[u8], first_lsn: Lsn, next_first: Option<Lsn>) -> Salvaged {
    let header = SegmentHeader::decode(bytes)
        .ok()
        .filter(|h| h.first_lsn == first_lsn);
    let mut best = match header {
        Some(h) => walk(bytes, h.version, first_lsn, next_first),
        None => {
            // The header is damaged: its version is unknown, so read the
            // records both ways and keep the reading that saves more.
            let v2 = walk(bytes, WalVersion::V2, first_lsn, next_first);
            let v1 = walk(bytes, WalVersion::V1, first_lsn, next_first);
            let mut best = if kept(&v1) > kept(&v2) { v1 } else { v2 };
            best.regions.insert(
                0,
                Region {
                    offset: 0,
                    len: SEGMENT_HEADER_LEN as u64,
                    what: "segment header damaged or disagreeing with the file name",
                    lost: LostLsns::Nothing,
                },
            );
            best
        }
    };
    if let Some(next) = next_first
        && next > best.next_lsn
    {
        // The next segment starts later than this one ends: a segment in
        // between was lost.
        best.records
            .push((best.next_lsn, WalEntry::Lost { last_lsn: next - 1 }));
        best.regions.push(Region {
            offset: bytes.len() as u64,
            len: 0,
            what: "the next segment does not continue this one's LSNs",
            lost: LostLsns::Range {
                first: best.next_lsn,
                last: next - 1,
            },
        });
        best.next_lsn = next;
    }
    best
}

fn kept(s: &Salvaged) -> usize {
    s.records
        .iter()
        .filter(|(_, e)| !matches!(e, WalEntry::Lost { .. }))
        .count()
}

/// Reads the records after the header as `version` frames.
fn walk(bytes: &[u8], version: WalVersion, first_lsn: Lsn, next_first: Option<Lsn>) -> Salvaged {
    let scan = Scan::new(bytes, version);
    let mut out = Salvaged {
        records: Vec::new(),
        regions: Vec::new(),
        torn_bytes: 0,
        next_lsn: first_lsn,
    };
    let mut pos = SEGMENT_HEADER_LEN;
    while pos < bytes.len() {
        let expected = out.next_lsn;
        match scan.record_at(pos, expected) {
            Ok((entry, lsn, len)) => {
                out.next_lsn = match &entry {
                    WalEntry::Lost { last_lsn } => last_lsn.saturating_add(1),
                    _ => lsn + 1,
                };
                out.records.push((lsn, entry));
                pos += len;
            }
            Err(what) => {
                let later = scan.next_valid_frame(pos + 1, expected);
                let end = later.map_or(bytes.len(), |(at, _)| at);
                let lost = match (later, next_first) {
                    (Some((_, lsn)), _) | (None, Some(lsn)) if lsn > expected => LostLsns::Range {
                        first: expected,
                        last: lsn - 1,
                    },
                    // Nothing valid follows at the end of the log: a torn
                    // write of records never acknowledged (`FORMAT.md`).
                    (None, None) => {
                        out.torn_bytes = (bytes.len() - pos) as u64;
                        break;
                    }
                    _ => LostLsns::Nothing,
                };
                if let LostLsns::Range { last, .. } = lost {
                    out.records
                        .push((expected, WalEntry::Lost { last_lsn: last }));
                    out.next_lsn = last + 1;
                }
                out.regions.push(Region {
                    offset: pos as u64,
                    len: (end - pos) as u64,
                    what,
                    lost,
                });
                pos = end;
            }
        }
    }
    out
}
