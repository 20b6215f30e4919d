//! Salvaging one segment: every record that still checks out, and a
//! [`WalEntry::Lost`] record for each run of LSNs that damage swallowed.

use crate::end_mark::{self, END_MARK_LEN};
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
    /// A version-3 segment that ends after a record without its end mark.
    pub end_lost: bool,
    /// The LSN the next record (in the next segment) must carry.
    pub next_lsn: Lsn,
}

impl Salvaged {
    /// True when the segment must be rewritten.
    pub fn changed(&self) -> bool {
        !self.regions.is_empty() || self.torn_bytes > 0 || self.end_lost
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
            // Most records kept, then the fewest damaged regions; a
            // version-2 segment read as version 3 would lack its mark.
            let rank = |s: &Salvaged| (kept(s), usize::MAX - s.regions.len(), !s.end_lost);
            let mut best = walk(bytes, WalVersion::V3, first_lsn, next_first);
            for version in [WalVersion::V2, WalVersion::V1] {
                let other = walk(bytes, version, first_lsn, next_first);
                if rank(&other) > rank(&best) {
                    best = other;
                }
            }
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
        end_lost: false,
        next_lsn: first_lsn,
    };
    let marked = version == WalVersion::V3;
    let mut pos = SEGMENT_HEADER_LEN;
    loop {
        if pos >= bytes.len() {
            // Only the last segment's end matters: the next one's LSNs show
            // whether an earlier segment lost records at its end.
            out.end_lost = marked && next_first.is_none();
            break;
        }
        let expected = out.next_lsn;
        let rest = bytes.get(pos..).unwrap_or_default();
        let record = if marked && end_mark::is_at(rest, pos as u64, expected) {
            if pos + END_MARK_LEN == bytes.len() {
                break;
            }
            // Bytes after the end mark: read on as after damage there.
            pos += END_MARK_LEN;
            Err(("bytes after the segment's end mark", pos))
        } else {
            scan.record_at(pos, expected)
                .map_err(|what| (what, pos + 1))
        };
        match record {
            Ok((entry, lsn, len)) => {
                out.next_lsn = entry.lsn_after(lsn);
                out.records.push((lsn, entry));
                pos += len;
            }
            Err((what, search)) => {
                let later = scan.next_valid_frame(search, expected);
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
