//! `verify` of one file (a TSM file, a WAL segment, a `MANIFEST` or a
//! layout-1 `CHECKPOINT`) and of a folder of such files that is not a data
//! directory (`quarantine/`, a copied WAL folder): every file is checked,
//! and a file that cannot be recognised is corrupt.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use skulk_format::TsmReader;
use skulk_format::storage::FsStorage;
use skulk_wal::Wal;

use super::tally::{Mark, Tally};
use crate::datadir::LOCK_FILE;
use crate::disk;
use crate::error::{CliError, Result};
use crate::files::{self, FileKind};

/// Checks the file at `path`. A WAL segment must have its name (the log
/// reads its first LSN from it): another name is an error for a file
/// checked `alone`, a note in a folder.
pub fn check_file(path: &Path, alone: bool, tally: &mut Tally, out: &mut dyn Write) -> Result<()> {
    let bytes = disk::read(path)?;
    let (mark, detail) = match files::classify(path, &bytes) {
        FileKind::Tsm => verdict(check_tsm(path, bytes)),
        FileKind::Manifest => verdict(check_manifest(path, &bytes)),
        FileKind::Checkpoint => verdict(check_checkpoint(path, &bytes)),
        FileKind::WalSegment => match check_segment(path) {
            Err(CliError::Usage(why)) if !alone => (Mark::Note, why),
            other => verdict(other?),
        },
        FileKind::Other => (Mark::Corrupt, unrecognised(&bytes)),
    };
    tally.line(out, mark, path, &detail)
}

fn verdict(result: std::result::Result<String, String>) -> (Mark, String) {
    match result {
        Ok(detail) => (Mark::Ok, detail),
        Err(why) => (Mark::Corrupt, why),
    }
}

fn unrecognised(bytes: &[u8]) -> String {
    let magic: String = bytes
        .iter()
        .take(4)
        .map(|b| {
            let c = char::from(*b);
            if c.is_ascii_graphic() { c } else { '.' }
        })
        .collect();
    format!(
        "not a TSM file, WAL segment, manifest or checkpoint (unknown magic {magic:?}, {} bytes)",
        bytes.len()
    )
}

fn check_tsm(path: &Path, bytes: Vec<u8>) -> std::result::Result<String, String> {
    TsmReader::open_named(bytes, path)
        .and_then(|reader| reader.verify())
        .map(|r| {
            format!(
                "{} series, {} blocks, {} points",
                r.series, r.blocks, r.points
            )
        })
        .map_err(|e| CliError::from(e).one_line())
}

/// The engine's `MANIFEST` (`skulk-engine/FORMAT.md`).
fn check_manifest(path: &Path, bytes: &[u8]) -> std::result::Result<String, String> {
    skulk_engine::decode_manifest(bytes, path)
        .map(|m| {
            format!(
                "manifest: sequence {}, partitions of {}, {} file(s), {} WAL segment(s), safe LSN {}",
                m.sequence,
                humantime::format_duration(m.partition_duration),
                m.files.len(),
                m.wal_segments.len(),
                m.safe_lsn
            )
        })
        .map_err(|e| CliError::from(e).one_line())
}

/// A layout-1 `CHECKPOINT`: length, magic, version, reserved bytes, CRC.
fn check_checkpoint(path: &Path, bytes: &[u8]) -> std::result::Result<String, String> {
    skulk_engine::decode_checkpoint(bytes, path)
        .map(|lsn| format!("checkpoint: safe LSN {lsn}"))
        .map_err(|e| CliError::from(e).one_line())
}

fn check_segment(path: &Path) -> Result<std::result::Result<String, String>> {
    match crate::wal_file::recover_segment(path) {
        Ok(r) => Ok(Ok(wal_detail(&r, 1))),
        Err(e @ CliError::Wal(_)) => Ok(Err(e.one_line())),
        Err(e) => Err(e),
    }
}

/// What a readable WAL holds (`segments` of it were read).
pub fn wal_detail(recovery: &skulk_wal::Recovery, segments: usize) -> String {
    let records = recovery.records().len();
    let mut detail = format!("WAL: {segments} segment(s), {records} records");
    let torn = recovery.torn_bytes();
    if torn > 0 {
        detail.push_str(&format!(
            ", torn tail of {torn} bytes (an interrupted write; cut on the next open)"
        ));
    }
    if let Some(end) = recovery.lost_end() {
        detail.push_str(&format!(
            ", its end cut at byte {} after LSN {} (the end mark is missing): any later \
             records are lost",
            end.offset, end.last_lsn
        ));
    }
    detail
}

/// Checks every file under `dir` (not its `quarantine/`): folders holding
/// WAL segments as one log each, every other file on its own.
pub fn check_folder(dir: &Path, tally: &mut Tally, out: &mut dyn Write) -> Result<()> {
    let mut wal_dirs: Vec<PathBuf> = Vec::new();
    for path in disk::files_under(dir, &[files::QUARANTINE_DIR])? {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
        if name == LOCK_FILE {
            continue;
        } else if name.ends_with(skulk_format::storage::TMP_SUFFIX) {
            tally.line(out, Mark::Note, &path, "left by an interrupted write")?;
        } else if files::is_repair_backup(name) {
            tally.line(
                out,
                Mark::Note,
                &path,
                "a WAL segment as it was before `skulk repair` cut it",
            )?;
        } else if files::is_segment_name(name) {
            if !wal_dirs.contains(&folder) {
                wal_dirs.push(folder);
            }
        } else {
            check_file(&path, false, tally, out)?;
        }
    }
    for wal in &wal_dirs {
        let result = Wal::recover_in(Arc::new(FsStorage::new(wal)), "")
            .map(|r| wal_detail(&r, r.segments().len()))
            .map_err(|e| CliError::from(e).one_line());
        let (mark, detail) = verdict(result);
        tally.line(out, mark, wal, &detail)?;
    }
    Ok(())
}
