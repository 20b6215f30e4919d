//! Accepting lost files explicitly (`skulk repair --accept-loss`): files
//! the manifest lists that are gone or damaged, and WAL segments gone with
//! records no file holds, are taken out of the manifest, so that the
//! directory opens without them; each loss is recorded in `LOSSES` and
//! returned, naming what was lost.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use skulk_format::TsmReader;
use skulk_format::storage::Storage;
use skulk_wal::Wal;

use crate::layout::{LOCK_FILE, Layout, WAL_DIR};
use crate::manifest::{FileRecord, Fingerprint, Manifest};
use crate::recovery::{check_listed, lost_data};
use crate::{EngineError, Result};

/// The file, in a data directory, where accepted losses are recorded, one
/// line each (appended, never rewritten).
pub const LOSSES_FILE_NAME: &str = "LOSSES";

/// One loss accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loss {
    /// The file lost, relative to the data directory.
    pub path: PathBuf,
    /// What it held, as far as anyone can tell.
    pub what: String,
}

/// Takes every lost file out of the manifest of the data directory at the
/// root of `storage` (under its lock, so never beside an open engine),
/// records the losses in [`LOSSES_FILE_NAME`] and returns them; nothing
/// when nothing is lost. A directory without a manifest (layout 1) has
/// nothing to accept.
pub fn accept_losses(storage: Arc<dyn Storage>) -> Result<Vec<Loss>> {
    let layout = Layout::new(storage);
    let _lock = layout
        .storage()
        .lock(Path::new(LOCK_FILE))
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::WouldBlock => EngineError::DirectoryInUse {
                path: layout.root().to_path_buf(),
            },
            _ => layout.io(Path::new(LOCK_FILE))(e),
        })?;
    let Some(mut manifest) = Manifest::load(&layout)? else {
        return Ok(Vec::new());
    };
    let mut losses = Vec::new();
    manifest
        .files
        .retain(|record| match damage(&layout, record) {
            None => true,
            Some(why) => {
                losses.push(Loss {
                    path: record.path.clone(),
                    what: format!(
                        "{} ({why}){}",
                        lost_data(record),
                        series_of(&layout, record)
                    ),
                });
                false
            }
        });
    losses.extend(lost_segments(&layout, &mut manifest)?);
    if losses.is_empty() {
        return Ok(losses);
    }
    manifest.store(&layout)?;
    record(&layout, &losses)?;
    Ok(losses)
}

/// Why the listed file cannot be read as recorded, if it cannot.
fn damage(layout: &Layout, record: &FileRecord) -> Option<String> {
    if let Err(e) = check_listed(layout, record) {
        return Some(match e {
            EngineError::MissingFile { .. } => "missing".into(),
            other => other.to_string(),
        });
    }
    let reader = match TsmReader::open_in(layout.storage().as_ref(), &record.path) {
        Ok(reader) => reader,
        Err(e) => return Some(e.to_string()),
    };
    if Fingerprint::of(&reader) != record.fingerprint() {
        return Some("not the file that was written".into());
    }
    reader.verify().err().map(|e| e.to_string())
}

/// The series a damaged file still names in its index, if it can be read.
fn series_of(layout: &Layout, record: &FileRecord) -> String {
    let Ok(reader) = TsmReader::open_in(layout.storage().as_ref(), &record.path) else {
        return String::new();
    };
    let names: Vec<String> = reader.series().map(|e| e.meta.to_string()).collect();
    format!("; series {}", names.join(", "))
}

/// Listed WAL segments gone while they may hold records above the safe
/// LSN: taken out of the list.
fn lost_segments(layout: &Layout, manifest: &mut Manifest) -> Result<Vec<Loss>> {
    let recovery =
        match Wal::recover_covered(Arc::clone(layout.storage()), WAL_DIR, manifest.safe_lsn) {
            Ok(recovery) => recovery,
            Err(_) => return Ok(Vec::new()),
        };
    let missing = crate::recovery::missing_segments(manifest, &recovery);
    if !missing.is_empty() {
        // What is not there now is either accepted as lost or was covered.
        manifest.wal_segments = recovery.segments().iter().map(|s| s.first_lsn).collect();
    }
    Ok(missing
        .iter()
        .map(|m| Loss {
            path: m.path(),
            what: m.holds(),
        })
        .collect())
}

/// Appends a line per loss to [`LOSSES_FILE_NAME`], durably.
fn record(layout: &Layout, losses: &[Loss]) -> Result<()> {
    let path = Path::new(LOSSES_FILE_NAME);
    let mut text = match layout.storage().read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(layout.io(path)(e)),
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    for loss in losses {
        let line = format!("{now} lost {}: {}\n", loss.path.display(), loss.what);
        text.extend_from_slice(line.as_bytes());
    }
    layout.write_atomic(path, &text)
}
