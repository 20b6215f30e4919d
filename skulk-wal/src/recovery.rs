//! `Recovery`: every durable record of a log directory, in LSN order.

use std::path::PathBuf;
use std::sync::Arc;

use skulk_format::{DataPoint, SeriesId, SeriesIdMap, SeriesMeta};

use crate::header::{HeaderError, WalVersion};
use crate::segment::{self, ScannedSegment, parse_segment_name};
use crate::storage::LogDir;
use crate::{Lsn, Result, WalEntry, WalError};

/// One segment file found by recovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentInfo {
    /// The file name, `<first_lsn as 16 hex digits>.wal`.
    pub name: String,
    /// LSN of its first record.
    pub first_lsn: Lsn,
    /// Its size in bytes after any torn tail was cut.
    pub len: u64,
    /// Its format version.
    pub version: WalVersion,
}

/// Damaged bytes of a segment that recovery skipped because every record
/// they held has an LSN the caller said is durable elsewhere (see
/// [`crate::Wal::open_covered`]): nothing was lost, but the damage is
/// reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedDamage {
    /// The segment file.
    pub segment: PathBuf,
    /// Where the damaged bytes start.
    pub offset: u64,
    /// How many bytes were skipped.
    pub len: u64,
    /// The first LSN they held.
    pub first_lsn: Lsn,
    /// The last LSN they held (below `first_lsn` when they held none).
    pub last_lsn: Lsn,
}

/// The end of the log was cut: its last segment (version 3) ends right
/// after a record, without the end mark every write leaves after its last
/// record. The records after that one, if there were any, are gone, and
/// nothing says how many there were (`FORMAT.md`, "End mark").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LostEnd {
    /// The segment file.
    pub segment: PathBuf,
    /// Where the file ends (the end of its last record).
    pub offset: u64,
    /// The LSN of the last record that survived: any record lost had a
    /// higher one.
    pub last_lsn: Lsn,
}

/// The torn tail found at the end of the last segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tail {
    pub segment: String,
    pub valid_len: u64,
    pub torn_bytes: u64,
    /// The segment lost its end mark (and maybe records after it).
    pub lost_end: Option<LostEnd>,
}

/// What a log directory holds: every durable record in LSN order, and the
/// torn tail that was (or, read-only, would be) cut.
#[derive(Debug, Clone)]
pub struct Recovery {
    records: Vec<(Lsn, WalEntry)>,
    segments: Vec<SegmentInfo>,
    next_lsn: Lsn,
    tail: Option<Tail>,
    skipped: Vec<SkippedDamage>,
}

impl Recovery {
    /// Every record, in LSN order.
    pub fn records(&self) -> &[(Lsn, WalEntry)] {
        &self.records
    }

    /// Every record, in LSN order, by value.
    pub fn into_records(self) -> Vec<(Lsn, WalEntry)> {
        self.records
    }

    /// Bytes of an incomplete or torn last record that were cut off the end
    /// of the last segment (0 when the log ended cleanly).
    pub fn torn_bytes(&self) -> u64 {
        self.tail.as_ref().map_or(0, |t| t.torn_bytes)
    }

    /// The end of the log when it was cut after a record (its end mark is
    /// missing): records after [`LostEnd::last_lsn`] may have been lost.
    /// A crash can leave this too (a write that never completed, cut by
    /// the file system where a record ended), so it is reported, not
    /// refused; under a syncing mode only an unacknowledged write can have
    /// been lost that way.
    pub fn lost_end(&self) -> Option<&LostEnd> {
        self.tail.as_ref().and_then(|t| t.lost_end.as_ref())
    }

    /// The LSN of the last record, `None` for an empty log.
    pub fn last_lsn(&self) -> Option<Lsn> {
        self.records.last().map(|(lsn, _)| *lsn)
    }

    /// The LSN the next appended record gets.
    pub fn next_lsn(&self) -> Lsn {
        self.next_lsn
    }

    /// Damage skipped because the records it held are durable elsewhere.
    pub fn skipped(&self) -> &[SkippedDamage] {
        &self.skipped
    }

    /// The segments, oldest first.
    pub fn segments(&self) -> &[SegmentInfo] {
        &self.segments
    }

    /// The `safe_lsn` of the last [`WalEntry::Checkpoint`], if any: records
    /// up to it are durable elsewhere and need not be replayed.
    pub fn last_checkpoint(&self) -> Option<Lsn> {
        self.records.iter().rev().find_map(|(_, e)| match e {
            WalEntry::Checkpoint { safe_lsn } => Some(*safe_lsn),
            _ => None,
        })
    }

    /// Every series defined in the log, by id. Fails on two different
    /// definitions of one id.
    pub fn series(&self) -> Result<SeriesIdMap<Arc<SeriesMeta>>> {
        let mut series = SeriesIdMap::default();
        for (_, entry) in &self.records {
            if let WalEntry::SeriesDef { id, meta } = entry {
                define(&mut series, *id, meta)?;
            }
        }
        Ok(series)
    }

    /// The points of every Points record, resolved to complete
    /// [`DataPoint`]s with the series definitions logged before them, with
    /// the record's LSN. Fails when a point's series was never defined.
    pub fn data_points(&self) -> Result<Vec<(Lsn, Vec<DataPoint>)>> {
        let mut series = SeriesIdMap::default();
        let mut out = Vec::new();
        for (lsn, entry) in &self.records {
            match entry {
                WalEntry::SeriesDef { id, meta } => define(&mut series, *id, meta)?,
                WalEntry::Points(points) => {
                    let resolved = points.iter().map(|p| {
                        let meta = series.get(&p.series_id).ok_or(WalError::UnknownSeries {
                            lsn: *lsn,
                            series: p.series_id,
                        })?;
                        Ok(DataPoint::for_series(
                            Arc::clone(meta),
                            p.timestamp,
                            p.value,
                        ))
                    });
                    out.push((*lsn, resolved.collect::<Result<Vec<_>>>()?));
                }
                _ => {}
            }
        }
        Ok(out)
    }

    pub(crate) fn tail(&self) -> Option<&Tail> {
        self.tail.as_ref()
    }
}

/// Adds a definition, refusing a second, different one for the same id.
pub(crate) fn define(
    series: &mut SeriesIdMap<Arc<SeriesMeta>>,
    id: SeriesId,
    meta: &SeriesMeta,
) -> Result<()> {
    match series.get(&id) {
        Some(existing) if **existing != *meta => Err(WalError::SeriesCollision {
            id,
            existing: Box::new(SeriesMeta::clone(existing)),
            new: Box::new(meta.clone()),
        }),
        Some(_) => Ok(()),
        None => {
            series.insert(id, Arc::new(meta.clone()));
            Ok(())
        }
    }
}

/// The segment files of `dir`, oldest first, as (first LSN, name).
pub(crate) fn list_segments(dir: &LogDir) -> Result<Vec<(Lsn, String)>> {
    let names = dir.list().map_err(|e| WalError::io(dir.path(), e))?;
    let mut segments: Vec<(Lsn, String)> = names
        .into_iter()
        .filter_map(|n| parse_segment_name(&n).map(|lsn| (lsn, n)))
        .collect();
    segments.sort();
    Ok(segments)
}

/// Reads every segment of `dir` without changing anything; damage holding
/// only records with LSN `<= covered` is skipped (and reported).
pub(crate) fn scan_dir(dir: &LogDir, covered: Lsn) -> Result<Recovery> {
    let segments = list_segments(dir)?;
    let mut recovery = Recovery {
        records: Vec::new(),
        segments: Vec::new(),
        next_lsn: 1,
        tail: None,
        skipped: Vec::new(),
    };
    let count = segments.len();
    for (index, (named_lsn, name)) in segments.iter().cloned().enumerate() {
        let path = dir.path().join(&name);
        let bytes = dir.read(&name).map_err(|e| WalError::io(&path, e))?;
        let seg = match segment::scan(&bytes, named_lsn, covered) {
            Ok(seg) => seg,
            Err(e) => {
                // A segment whose header is damaged: skipped whole when the
                // next segment shows that everything it held is covered.
                let next = segments.get(index + 1).map(|(lsn, _)| *lsn);
                match next.filter(|next| next.saturating_sub(1) <= covered) {
                    Some(next) => {
                        recovery.skipped.push(SkippedDamage {
                            segment: path,
                            offset: 0,
                            len: bytes.len() as u64,
                            first_lsn: named_lsn,
                            last_lsn: next.saturating_sub(1),
                        });
                        recovery.next_lsn = next;
                        continue;
                    }
                    None => return Err(header_error(&path, e)),
                }
            }
        };
        if index > 0 && seg.first_lsn > recovery.next_lsn && seg.first_lsn - 1 <= covered {
            // A whole segment is gone, but everything it held is covered.
            recovery.skipped.push(SkippedDamage {
                segment: dir.path().join(segment::segment_name(recovery.next_lsn)),
                offset: 0,
                len: 0,
                first_lsn: recovery.next_lsn,
                last_lsn: seg.first_lsn - 1,
            });
            recovery.next_lsn = seg.first_lsn;
        }
        if index > 0 && seg.first_lsn != recovery.next_lsn {
            let what = "segment does not continue the LSNs of the previous one";
            return Err(WalError::Corrupt {
                segment: path,
                offset: 8,
                what,
            });
        }
        add_segment(&mut recovery, seg, name, path, index + 1 == count)?;
    }
    Ok(recovery)
}

fn add_segment(
    recovery: &mut Recovery,
    seg: ScannedSegment,
    name: String,
    path: PathBuf,
    last: bool,
) -> Result<()> {
    if let Some(damage) = seg.damage.filter(|d| !last && d.only_end_mark) {
        // A damaged end mark of an earlier segment: the next segment's
        // LSNs show that no record is missing.
        recovery.skipped.push(SkippedDamage {
            segment: path.clone(),
            offset: damage.offset,
            len: seg.file_len - damage.offset,
            first_lsn: seg.next_lsn,
            last_lsn: seg.next_lsn.saturating_sub(1),
        });
    } else if let Some(damage) = seg.damage {
        if !(last && damage.tearable) {
            return Err(WalError::Corrupt {
                segment: path,
                offset: damage.offset,
                what: damage.what,
            });
        }
        recovery.tail = Some(Tail {
            segment: name.clone(),
            valid_len: seg.valid_len,
            // From the bad bytes on: an intact end mark before them stays.
            torn_bytes: seg.file_len - damage.offset,
            lost_end: None,
        });
    } else if last && seg.end_lost {
        // Earlier segments are checked by the LSNs of the next one instead.
        recovery.tail = Some(Tail {
            segment: name.clone(),
            valid_len: seg.valid_len,
            torn_bytes: 0,
            lost_end: Some(LostEnd {
                segment: path.clone(),
                offset: seg.valid_len,
                last_lsn: seg.next_lsn.saturating_sub(1),
            }),
        });
    }
    recovery.next_lsn = seg.next_lsn;
    recovery
        .skipped
        .extend(seg.skipped.iter().map(|s| SkippedDamage {
            segment: path.clone(),
            offset: s.offset,
            len: s.len,
            first_lsn: s.first_lsn,
            last_lsn: s.last_lsn,
        }));
    recovery.segments.push(SegmentInfo {
        name,
        first_lsn: seg.first_lsn,
        len: seg.valid_len,
        version: seg.version,
    });
    recovery.records.extend(seg.records);
    Ok(())
}

fn header_error(path: &std::path::Path, e: HeaderError) -> WalError {
    match e {
        HeaderError::Corrupt(offset, what) => WalError::Corrupt {
            segment: path.to_path_buf(),
            offset,
            what,
        },
        HeaderError::Version(found) => WalError::UnsupportedVersion {
            segment: path.to_path_buf(),
            found,
            supported: WalVersion::CURRENT as u8,
        },
    }
}
