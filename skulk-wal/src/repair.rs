//! `repair`: the explicit way past corruption (`FORMAT.md`, "Reading").
//! Copies the originals aside, cuts the log at the first bad record and
//! reports what was dropped. Opening never does this by itself.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::header::SEGMENT_HEADER_LEN;
use crate::recovery::{list_segments, scan_dir};
use crate::segment::{TMP_SUFFIX, parse_segment_name, scan};
use std::sync::Arc;

use skulk_format::storage::{FsStorage, Storage};

use crate::storage::LogDir;
use crate::{Lsn, Result, WalError};

/// Where the log was cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairCut {
    /// The segment file that was cut (or removed, when its header was bad).
    pub segment: PathBuf,
    /// The byte offset it was cut at.
    pub offset: u64,
    /// What was wrong there.
    pub what: &'static str,
}

/// What [`repair`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepairReport {
    /// The cut made at the first corruption, `None` when there was none.
    pub cut: Option<RepairCut>,
    /// Bytes of a torn tail cut off the last segment (as opening would).
    pub torn_bytes: u64,
    /// Bytes dropped: the rest of the cut segment and every later segment.
    pub dropped_bytes: u64,
    /// Segment files removed (the cut one when its header was bad, and
    /// every later one).
    pub removed_segments: Vec<String>,
    /// Readable records in the removed later segments (records after the
    /// cut inside the cut segment cannot be counted).
    pub dropped_records: usize,
    /// Copies of every changed or removed segment, in the log directory.
    pub backups: Vec<String>,
    /// The LSN the repaired log continues at.
    pub next_lsn: Lsn,
}

/// Repairs the log in folder `dir` of the real file system: see
/// [`repair_in`].
pub fn repair(dir: impl AsRef<Path>) -> Result<RepairReport> {
    repair_in(Arc::new(FsStorage::new(dir.as_ref())), "")
}

/// Cuts the log at its first corruption: copies every segment it changes
/// or removes to `<name>.repair-<unix seconds>` first (fsynced), then
/// truncates the damaged segment at the bad record (removes it when its
/// header is bad) and removes every later segment, newest first. A torn
/// tail is cut as [`crate::Wal::open`] would. A log with a newer format
/// version is refused.
pub fn repair_in(storage: Arc<dyn Storage>, dir: impl Into<PathBuf>) -> Result<RepairReport> {
    let dir = &LogDir::new(storage, dir);
    if !dir.exists().map_err(|e| WalError::io(dir.path(), e))? {
        return Err(WalError::io(dir.path(), crate::storage::missing_dir()));
    }
    let mut report = RepairReport::default();
    match scan_dir(dir) {
        Ok(recovery) => {
            if let Some(tail) = recovery.tail() {
                report.backups.push(backup(dir, &tail.segment)?);
                truncate(dir, &tail.segment, tail.valid_len)?;
                report.torn_bytes = tail.torn_bytes;
            }
        }
        Err(WalError::Corrupt {
            segment,
            offset,
            what,
        }) => {
            cut(dir, &segment, offset, &mut report)?;
            report.cut = Some(RepairCut {
                segment,
                offset,
                what,
            });
        }
        Err(other) => return Err(other),
    }
    report.next_lsn = scan_dir(dir)?.next_lsn();
    Ok(report)
}

fn cut(dir: &LogDir, segment: &Path, offset: u64, report: &mut RepairReport) -> Result<()> {
    let name = segment
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    let segments = list_segments(dir)?;
    let from = segments
        .iter()
        .position(|(_, n)| *n == name)
        .unwrap_or(segments.len());
    let affected: Vec<String> = segments.into_iter().skip(from).map(|(_, n)| n).collect();
    for seg in &affected {
        report.backups.push(backup(dir, seg)?);
    }
    for seg in affected.iter().skip(1).rev() {
        let bytes = read(dir, seg)?;
        report.dropped_bytes += bytes.len() as u64;
        let first = parse_segment_name(seg).unwrap_or_default();
        report.dropped_records += scan(&bytes, first).map_or(0, |s| s.records.len());
        remove(dir, seg)?;
        report.removed_segments.push(seg.clone());
    }
    let len = read(dir, &name)?.len() as u64;
    report.dropped_bytes += len.saturating_sub(offset);
    if offset < SEGMENT_HEADER_LEN as u64 {
        report.dropped_bytes = report.dropped_bytes - len.saturating_sub(offset) + len;
        remove(dir, &name)?;
        report.removed_segments.push(name);
    } else {
        truncate(dir, &name, offset)?;
    }
    Ok(())
}

fn read(dir: &LogDir, name: &str) -> Result<Vec<u8>> {
    dir.read(name)
        .map_err(|e| WalError::io(dir.path().join(name), e))
}

fn remove(dir: &LogDir, name: &str) -> Result<()> {
    dir.remove(name)
        .map_err(|e| WalError::io(dir.path().join(name), e))?;
    dir.sync_dir().map_err(|e| WalError::io(dir.path(), e))
}

fn truncate(dir: &LogDir, name: &str, len: u64) -> Result<()> {
    let path = dir.path().join(name);
    let mut file = dir.open_append(name).map_err(|e| WalError::io(&path, e))?;
    file.set_len(len).map_err(|e| WalError::io(&path, e))?;
    file.sync(false).map_err(|e| WalError::io(&path, e))
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
    let bytes = read(dir, name)?;
    let path = dir.path().join(&copy);
    let mut file = dir.create(&copy).map_err(|e| WalError::io(&path, e))?;
    file.append(&bytes).map_err(|e| WalError::io(&path, e))?;
    file.sync(false).map_err(|e| WalError::io(&path, e))?;
    dir.sync_dir().map_err(|e| WalError::io(dir.path(), e))?;
    Ok(copy)
}
