//! What a repaired directory can no longer give back: files the manifest
//! lists that are missing or were moved to quarantine, and WAL segments it
//! lists that are gone with records no file holds. Named with what they
//! held (points, time range, series when an index can still be read), and
//! accepted only on request (`--accept-loss`, `skulk_engine::accept_losses`).

use std::io::Write;
use std::path::{Path, PathBuf};

use skulk_engine::{DirectoryReport, FileRecord, FileStatus, LOSSES_FILE_NAME, Manifest};
use skulk_format::TsmReader;

use super::quarantine::{self, Moved};
use super::say;
use crate::datadir::{DataDir, WAL_DIR};
use crate::error::{CliError, Result};
use crate::timefmt::format_time;

/// Series named in a loss line before the rest are counted.
const SERIES_SHOWN: usize = 10;

/// One loss: the file (as shown) and what it held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lost {
    /// The file, or the WAL folder for a lost segment.
    pub path: PathBuf,
    /// What it held, as far as anyone can tell.
    pub what: String,
}

impl Lost {
    /// The line printed for it.
    pub fn line(&self) -> String {
        let shown = self.path.display().to_string();
        if self.what.starts_with(&shown) {
            self.what.clone()
        } else {
            format!("{shown}: {}", self.what)
        }
    }
}

/// The losses of a layout-2 directory once `moved` are in quarantine:
/// listed files `report` found missing, the moved ones, and listed WAL
/// segments found gone.
pub fn find(
    data: &DataDir,
    manifest: &Manifest,
    report: &DirectoryReport,
    moved: &[Moved],
) -> Vec<Lost> {
    let record = |path: &Path| manifest.files.iter().find(|f| f.path == path);
    let mut lost = Vec::new();
    for file in report
        .files
        .iter()
        .filter(|f| f.status == FileStatus::Missing)
    {
        if file.path == Path::new(WAL_DIR) {
            lost.push(Lost {
                path: data.shown(&file.path),
                what: file.detail.clone(),
            });
        } else if let Some(record) = record(&file.path) {
            let (series, state) = match quarantined_copy(data, record) {
                Some((copy, series)) => (
                    series.ok_or("the copy's index cannot be read"),
                    format!("missing; a copy is in {}", copy.display()),
                ),
                None => (Err("the file is gone"), "missing".to_string()),
            };
            lost.push(Lost {
                path: data.shown(&file.path),
                what: describe(record, series.as_deref().map_err(|e| *e), &state),
            });
        }
    }
    for m in moved {
        if let Some(record) = record(&m.from) {
            let state = format!("damaged, moved to {}", data.shown(&m.to).display());
            lost.push(Lost {
                path: data.shown(&m.from),
                what: describe(
                    record,
                    m.series.as_deref().ok_or("its index cannot be read"),
                    &state,
                ),
            });
        }
    }
    lost
}

/// The copy an earlier repair moved to quarantine, if there is one, and
/// its series when it opens as the file the manifest recorded (same file
/// CRC in its footer).
fn quarantined_copy(data: &DataDir, record: &FileRecord) -> Option<(PathBuf, Option<Vec<String>>)> {
    let copy = quarantine::quarantined(&record.path);
    data.entry(&copy).ok().flatten()?;
    let series = TsmReader::open_in(data.storage().as_ref(), &copy)
        .ok()
        .filter(|reader| reader.footer().file_crc == record.file_crc)
        .map(|reader| reader.series().map(|e| e.meta.to_string()).collect());
    Some((data.shown(&copy), series))
}

/// The points, time range and series (or why they are unknown) of a lost
/// file, and what became of it.
fn describe(
    record: &FileRecord,
    series: std::result::Result<&[String], &str>,
    state: &str,
) -> String {
    let points = if record.points == 0 {
        "no points".to_string()
    } else {
        format!(
            "{} points from {} to {}",
            record.points,
            format_time(record.min_ts),
            format_time(record.max_ts)
        )
    };
    let series = match series {
        Err(why) => format!("series unknown ({why})"),
        Ok(all) => {
            let mut text = all
                .iter()
                .take(SERIES_SHOWN)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if all.len() > SERIES_SHOWN {
                text.push_str(&format!(" and {} more", all.len() - SERIES_SHOWN));
            }
            format!("series {text}")
        }
    };
    format!("{points}, {series} ({state})")
}

/// Prints the losses.
pub fn print(lost: &[Lost], out: &mut dyn Write) -> Result<()> {
    for loss in lost {
        say(out, &format!("LOSS: {}", loss.line()))?;
    }
    Ok(())
}

/// Takes the lost files and segments out of the manifest (the engine
/// records each in `LOSSES`) and prints what it recorded. The directory's
/// lock must not be held: `accept_losses` takes it.
pub fn accept(data: &DataDir, out: &mut dyn Write) -> Result<()> {
    let accepted = skulk_engine::accept_losses(data.storage()).map_err(CliError::from)?;
    for loss in &accepted {
        let line = format!(
            "accepted: {}: {}",
            data.shown(&loss.path).display(),
            loss.what
        );
        say(out, &line)?;
    }
    say(
        out,
        &format!(
            "recorded {} loss(es) in {}",
            accepted.len(),
            data.shown(Path::new(LOSSES_FILE_NAME)).display()
        ),
    )
}

/// Appends a line per WAL loss to `LOSSES` (as `skulk_engine::accept_losses`
/// writes its own: `<unix seconds> lost <path>: <what>`), durably, before
/// the repair that makes them; the caller holds the directory's lock.
pub fn record_wal(data: &DataDir, lost: &[Lost], out: &mut dyn Write) -> Result<()> {
    let path = Path::new(LOSSES_FILE_NAME);
    let storage = data.storage();
    let mut text = match data.entry(path)? {
        Some(_) => storage.read(path).map_err(CliError::io(data.shown(path)))?,
        None => Vec::new(),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let root = data.shown(Path::new(""));
    for loss in lost {
        let rel = loss.path.strip_prefix(&root).unwrap_or(&loss.path);
        let line = format!("{now} lost {}: {}\n", rel.display(), loss.what);
        text.extend_from_slice(line.as_bytes());
    }
    skulk_format::storage::write_atomic(storage.as_ref(), path, &text)
        .map_err(|(shown, e)| CliError::io(shown)(e))?;
    let line = format!(
        "recorded {} WAL loss(es) in {}",
        lost.len(),
        data.shown(path).display()
    );
    say(out, &line)
}
