//! `repair`: the explicit way past corruption (`FORMAT.md`, "Repair").
//! Opening never changes a damaged log; repair copies the originals aside,
//! keeps every record that still checks out, puts a [`WalEntry::Lost`]
//! record in place of each run of records the damage swallowed, and
//! reports exactly which LSNs (and which points) were lost.

mod salvage;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use skulk_format::SeriesId;
use skulk_format::storage::{FsStorage, Storage};

use crate::end_mark;
use crate::frame;
use crate::header::{HeaderError, SegmentHeader, WalVersion};
use crate::recovery::{LostEnd, list_segments, scan_dir};
use crate::segment::TMP_SUFFIX;
use crate::storage::LogDir;
use crate::{Lsn, Result, WalEntry, WalError};

pub use salvage::LostLsns;
use salvage::{Salvaged, salvage};

/// A damaged region that repair dealt with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairedDamage {
    /// The segment file.
    pub segment: PathBuf,
    /// Where the damaged bytes start.
    pub offset: u64,
    /// How many bytes were damaged.
    pub len: u64,
    /// What was wrong there.
    pub what: &'static str,
    /// The records the damage swallowed.
    pub lost: LostLsns,
    /// True when every lost LSN is at or below the covered LSN the repair
    /// was given: those records are durable elsewhere, nothing was lost.
    pub covered: bool,
}

/// Points dropped from a readable record because their series was defined
/// only in a lost record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DroppedPoints {
    /// The record's LSN.
    pub lsn: Lsn,
    /// The series (its metric and labels were lost).
    pub series: SeriesId,
    /// How many points of it the record held.
    pub points: u64,
}

/// What [`Repair::run`] did (in a dry run: would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepairReport {
    /// Every damaged region, in log order.
    pub damage: Vec<RepairedDamage>,
    /// Bytes of a torn tail cut off the last segment (as opening would).
    pub torn_bytes: u64,
    /// The log's end was cut after a record (its end mark is missing):
    /// records after it may have been lost. Repair puts the mark back.
    pub lost_end: Option<LostEnd>,
    /// Points of surviving records dropped because their series definition
    /// was lost (above the covered LSN only).
    pub dropped_points: Vec<DroppedPoints>,
    /// Segments rewritten with their damage replaced by Lost records.
    pub rewritten_segments: Vec<String>,
    /// Segments removed (overlapping the LSNs of an earlier one).
    pub removed_segments: Vec<String>,
    /// Copies of every changed or removed segment, in the log directory.
    pub backups: Vec<String>,
    /// The LSN the repaired log continues at.
    pub next_lsn: Lsn,
}

impl RepairReport {
    /// True when repair found nothing to do.
    pub fn is_clean(&self) -> bool {
        self.damage.is_empty()
            && self.torn_bytes == 0
            && self.lost_end.is_none()
            && self.removed_segments.is_empty()
    }

    /// The LSN ranges lost that were not covered, in log order.
    pub fn lost_lsns(&self) -> Vec<(Lsn, Lsn)> {
        self.damage
            .iter()
            .filter(|d| !d.covered)
            .filter_map(|d| match d.lost {
                LostLsns::Range { first, last } => Some((first, last)),
                LostLsns::Nothing => None,
            })
            .collect()
    }

    /// True when records or points above the covered LSN were (or, for a
    /// lost end above it, may have been) lost.
    pub fn lost_data(&self) -> bool {
        !self.lost_lsns().is_empty() || !self.dropped_points.is_empty() || self.lost_end.is_some()
    }
}

/// Repairs the log in folder `dir` of the real file system, nothing
/// covered: see [`Repair`].
///
/// ```
/// use skulk_format::DataPoint;
/// use skulk_wal::{Wal, WalConfig, repair};
///
/// let dir = tempfile::tempdir()?;
/// let wal = Wal::new(dir.path(), WalConfig::default())?;
/// wal.append_points(&[DataPoint::new("cpu", vec![], 1, 1.0)])?;
/// drop(wal);
/// let report = repair(dir.path())?;
/// assert!(report.is_clean() && report.backups.is_empty());
/// assert_eq!(report.next_lsn, 3); // a series definition and a Points record
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn repair(dir: impl AsRef<Path>) -> Result<RepairReport> {
    Repair::new(Arc::new(FsStorage::new(dir.as_ref())), "").run()
}

/// Repairs the log in folder `dir` of `storage`, nothing covered: see
/// [`Repair`].
pub fn repair_in(storage: Arc<dyn Storage>, dir: impl Into<PathBuf>) -> Result<RepairReport> {
    Repair::new(storage, dir).run()
}

/// A repair of a damaged log.
///
/// Takes the log's lock, copies every segment it changes to
/// `<name>.repair-<unix seconds>` (fsynced), then rewrites each damaged
/// segment atomically: every record that checks out is kept, each run of
/// LSNs the damage swallowed becomes one [`WalEntry::Lost`] record, a
/// torn tail is cut as [`crate::Wal::open`] would, and points whose series
/// definition was lost are dropped (their record becomes Lost when none
/// remain). Everything lost is named in the [`RepairReport`]; a log with a
/// newer format version is refused.
///
/// ```
/// use std::sync::Arc;
/// use skulk_format::{DataPoint, FsStorage};
/// use skulk_wal::{Repair, Wal, WalConfig};
///
/// let dir = tempfile::tempdir()?;
/// let wal = Wal::new(dir.path(), WalConfig::default())?;
/// wal.append_points(&[DataPoint::new("cpu", vec![], 1, 1.0)])?;
/// let segment = dir.path().join(&wal.segments()[0].1);
/// drop(wal);
/// // Damage a byte of the first record (a series definition).
/// let mut bytes = std::fs::read(&segment)?;
/// bytes[skulk_wal::SEGMENT_HEADER_LEN + 30] ^= 0xff;
/// std::fs::write(&segment, bytes)?;
/// assert!(Wal::recover(dir.path()).is_err());
///
/// let report = Repair::new(Arc::new(FsStorage::new(dir.path())), "").run()?;
/// assert!(report.lost_data() && !report.backups.is_empty());
/// assert!(Wal::recover(dir.path()).is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Repair {
    dir: LogDir,
    covered: Lsn,
    known: HashSet<SeriesId>,
}

impl Repair {
    /// A repair of folder `dir` of `storage`.
    pub fn new(storage: Arc<dyn Storage>, dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: LogDir::new(storage, dir),
            covered: 0,
            known: HashSet::new(),
        }
    }

    /// Records with an LSN up to `lsn` are durable elsewhere (the engine's
    /// safe LSN): their loss is reported as covered.
    pub fn covered(mut self, lsn: Lsn) -> Self {
        self.covered = lsn;
        self
    }

    /// Series known elsewhere (the engine's files): points of these series
    /// are kept even when their definition in the log was lost.
    pub fn known_series(mut self, ids: impl IntoIterator<Item = SeriesId>) -> Self {
        self.known.extend(ids);
        self
    }

    /// Runs the repair.
    pub fn run(self) -> Result<RepairReport> {
        let dir = &self.dir;
        if !dir.exists().map_err(|e| WalError::io(dir.path(), e))? {
            return Err(WalError::io(dir.path(), crate::storage::missing_dir()));
        }
        let _lock = dir.lock().map_err(|e| WalError::io(dir.path(), e))?;
        let mut report = RepairReport::default();
        let plan = self.plan(&mut report)?;
        for (name, _) in plan.iter().filter(|(_, s)| s.is_some()) {
            report.backups.push(backup(dir, name)?);
        }
        for name in &report.removed_segments {
            report.backups.push(backup(dir, name)?);
        }
        for (name, records) in plan.into_iter().filter_map(|(n, s)| Some((n, s?))) {
            write_segment(dir, &name, &records)?;
            report.rewritten_segments.push(name);
        }
        for name in report.removed_segments.iter().rev() {
            dir.remove(name)
                .map_err(|e| WalError::io(dir.path().join(name), e))?;
            dir.sync_dir().map_err(|e| WalError::io(dir.path(), e))?;
        }
        report.next_lsn = scan_dir(dir, 0)?.next_lsn();
        Ok(report)
    }

    /// Salvages every segment: (name, its new records when it must be
    /// rewritten), filling in the report's damage and dropped points.
    #[allow(clippy::type_complexity)]
    fn plan(
        &self,
        report: &mut RepairReport,
    ) -> Result<Vec<(String, Option<Vec<(Lsn, WalEntry)>>)>> {
        let dir = &self.dir;
        let segments = list_segments(dir)?;
        let mut defined = self.known.clone();
        let mut plan = Vec::new();
        let mut next_lsn: Option<Lsn> = None;
        for (index, (first, name)) in segments.iter().enumerate() {
            let path = dir.path().join(name);
            let bytes = dir.read(name).map_err(|e| WalError::io(&path, e))?;
            refuse_newer_version(&bytes, &path)?;
            if next_lsn.is_some_and(|next| *first < next) {
                report.damage.push(RepairedDamage {
                    segment: path,
                    offset: 0,
                    len: bytes.len() as u64,
                    what: "segment overlaps the LSNs of the previous one",
                    lost: LostLsns::Nothing,
                    covered: true,
                });
                report.removed_segments.push(name.clone());
                continue;
            }
            let next_first = segments.get(index + 1).map(|(lsn, _)| *lsn);
            let mut salvaged = salvage(&bytes, *first, next_first);
            report.torn_bytes += salvaged.torn_bytes;
            if salvaged.end_lost {
                report.lost_end = Some(LostEnd {
                    segment: path.clone(),
                    offset: bytes.len() as u64,
                    last_lsn: salvaged.next_lsn.saturating_sub(1),
                });
            }
            report
                .damage
                .extend(salvaged.regions.iter().map(|r| RepairedDamage {
                    segment: path.clone(),
                    offset: r.offset,
                    len: r.len,
                    what: r.what,
                    lost: r.lost,
                    covered: match r.lost {
                        LostLsns::Range { last, .. } => last <= self.covered,
                        LostLsns::Nothing => true,
                    },
                }));
            let dropped = self.drop_undefined(&mut salvaged, &mut defined, report);
            next_lsn = Some(salvaged.next_lsn);
            let rewrite = salvaged.changed() || dropped;
            plan.push((name.clone(), rewrite.then_some(salvaged.records)));
        }
        Ok(plan)
    }

    /// Drops the points of series not defined earlier in the log (nor known
    /// elsewhere); a record left without points becomes a Lost record.
    /// Returns true when anything was dropped.
    fn drop_undefined(
        &self,
        salvaged: &mut Salvaged,
        defined: &mut HashSet<SeriesId>,
        report: &mut RepairReport,
    ) -> bool {
        let mut changed = false;
        for (lsn, entry) in &mut salvaged.records {
            match entry {
                WalEntry::SeriesDef { id, .. } => {
                    defined.insert(*id);
                }
                WalEntry::Points(points) => {
                    if points.iter().all(|p| defined.contains(&p.series_id)) {
                        continue;
                    }
                    changed = true;
                    let lost: Vec<SeriesId> = points
                        .iter()
                        .map(|p| p.series_id)
                        .filter(|id| !defined.contains(id))
                        .collect();
                    if *lsn > self.covered {
                        let mut ids = lost.clone();
                        ids.sort_unstable_by_key(|id| id.0);
                        ids.dedup();
                        report
                            .dropped_points
                            .extend(ids.iter().map(|&series| DroppedPoints {
                                lsn: *lsn,
                                series,
                                points: lost.iter().filter(|id| **id == series).count() as u64,
                            }));
                    }
                    points.retain(|p| defined.contains(&p.series_id));
                    if points.is_empty() {
                        *entry = WalEntry::Lost { last_lsn: *lsn };
                    }
                }
                _ => {}
            }
        }
        changed
    }
}

fn refuse_newer_version(bytes: &[u8], path: &Path) -> Result<()> {
    match SegmentHeader::decode(bytes) {
        Err(HeaderError::Version(found)) => Err(WalError::UnsupportedVersion {
            segment: path.to_path_buf(),
            found,
            supported: WalVersion::CURRENT as u8,
        }),
        _ => Ok(()),
    }
}

/// Replaces segment `name` with a current-version segment holding
/// `records`, atomically. Every frame's synced-through mark is its own
/// offset: the whole file is durable before it replaces the old one.
fn write_segment(dir: &LogDir, name: &str, records: &[(Lsn, WalEntry)]) -> Result<()> {
    let path = dir.path().join(name);
    let first = crate::segment::parse_segment_name(name).unwrap_or_default();
    let mut bytes = SegmentHeader::new(first).encode().to_vec();
    let mut payload = Vec::new();
    let mut next_lsn = first;
    for (lsn, entry) in records {
        payload.clear();
        entry.encode_payload(&mut payload);
        let at = bytes.len() as u64;
        frame::encode_parts(&mut bytes, *lsn, entry.record_type(), &payload, at);
        next_lsn = entry.lsn_after(*lsn);
    }
    end_mark::push(&mut bytes, 0, next_lsn);
    dir.write_atomic(name, &bytes)
        .map_err(|e| WalError::io(&path, e))
}

/// Copies `name` to an unused `<name>.repair-<secs>[-n]`, fsynced, and
/// returns the copy's name.
fn backup(dir: &LogDir, name: &str) -> Result<String> {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let existing = dir.list().map_err(|e| WalError::io(dir.path(), e))?;
    let base = format!("{name}.repair-{secs}");
    let copy = (0..)
        .map(|n| {
            if n == 0 {
                base.clone()
            } else {
                format!("{base}-{n}")
            }
        })
        .find(|candidate| !existing.contains(candidate) && !candidate.ends_with(TMP_SUFFIX))
        .unwrap_or(base);
    let bytes = dir
        .read(name)
        .map_err(|e| WalError::io(dir.path().join(name), e))?;
    dir.write_atomic(&copy, &bytes)
        .map_err(|e| WalError::io(dir.path().join(&copy), e))?;
    Ok(copy)
}
