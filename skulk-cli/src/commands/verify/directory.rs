//! `verify` of a data directory: the engine's check of every file against
//! the manifest (`skulk_engine::check_directory`), the other things that
//! lie in the directory (as notes), and which command to run next.

use std::io::Write;
use std::path::Path;

use skulk_engine::{
    CHECKPOINT_FILE_NAME, DirectoryReport, FileStatus, LOSSES_FILE_NAME, MANIFEST_FILE_NAME,
};
use skulk_format::storage::{EntryKind, TMP_SUFFIX};

use super::tally::{Mark, Tally};
use crate::datadir::{DataDir, LOCK_FILE, PARTITIONS_DIR, TSM_DIR, WAL_DIR};
use crate::disk;
use crate::error::Result;
use crate::files::{self, QUARANTINE_DIR};

/// Checks the data directory `dir`; returns what to run next.
pub fn check(dir: &Path, tally: &mut Tally, out: &mut dyn Write) -> Result<Vec<String>> {
    let data = DataDir::new(dir);
    let report = skulk_engine::check_directory(data.storage())?;
    for file in &report.files {
        tally.line(
            out,
            Mark::of(file.status),
            &data.shown(&file.path),
            &file.detail,
        )?;
    }
    if report.layout == 1 {
        let why = "layout 1 (no MANIFEST): the next open for writing upgrades it to layout 2";
        tally.line(out, Mark::Note, dir, why)?;
    }
    notes(&data, tally, out)?;
    Ok(next_steps(dir, &report))
}

/// Notes on what else lies in the directory: nothing the engine reads.
fn notes(data: &DataDir, tally: &mut Tally, out: &mut dyn Write) -> Result<()> {
    for entry in data.list(Path::new(""))? {
        let name = entry.name.as_str();
        let path = data.shown(Path::new(name));
        match (name, entry.kind) {
            (MANIFEST_FILE_NAME | CHECKPOINT_FILE_NAME | LOCK_FILE, EntryKind::File)
            | (TSM_DIR | PARTITIONS_DIR, EntryKind::Dir) => {}
            (WAL_DIR, EntryKind::Dir) => wal_notes(data, tally, out)?,
            (QUARANTINE_DIR, EntryKind::Dir) => {
                let n = disk::files_under(&path, &[])?.len();
                let why = format!(
                    "{n} file(s) moved here by `skulk repair`, not read (`skulk verify {}` \
                     checks them)",
                    path.display()
                );
                tally.line(out, Mark::Note, &path, &why)?;
            }
            (LOSSES_FILE_NAME, EntryKind::File) => {
                let text = String::from_utf8_lossy(&disk::read(&path)?).into_owned();
                let why = format!(
                    "{} loss(es) accepted with `skulk repair --accept-loss`, recorded here",
                    text.lines().count()
                );
                tally.line(out, Mark::Note, &path, &why)?;
            }
            (_, EntryKind::File) if name.ends_with(TMP_SUFFIX) => {
                let why = "left by an interrupted write; the next open deletes it";
                tally.line(out, Mark::Note, &path, why)?;
            }
            _ => {
                let why = "not part of a data directory; nothing reads it";
                tally.line(out, Mark::Note, &path, why)?;
            }
        }
    }
    Ok(())
}

/// Notes on files in `wal/` that are not segments (the log reads only
/// those, and checks them itself).
fn wal_notes(data: &DataDir, tally: &mut Tally, out: &mut dyn Write) -> Result<()> {
    for entry in data.list(Path::new(WAL_DIR))? {
        let name = entry.name.as_str();
        let path = data.shown(&Path::new(WAL_DIR).join(name));
        let why = if entry.kind == EntryKind::File
            && (name == LOCK_FILE || files::is_segment_name(name))
        {
            continue;
        } else if files::is_repair_backup(name) {
            "kept by `skulk repair`: the segment as it was before the cut; not read"
        } else if name.ends_with(TMP_SUFFIX) {
            "left by an interrupted write; the next open deletes it"
        } else {
            "not a WAL segment (the log reads only <first LSN>.wal files); nothing reads it"
        };
        tally.line(out, Mark::Note, &path, why)?;
    }
    Ok(())
}

/// What to run next, for the problems `report` found.
fn next_steps(dir: &Path, report: &DirectoryReport) -> Vec<String> {
    let cmd = |args: &str| format!("`skulk --data-dir {} {args}`", dir.display());
    let found = |pick: &dyn Fn(&Path, FileStatus) -> bool| {
        report.files.iter().any(|f| pick(&f.path, f.status))
    };
    let is_data = |p: &Path| p.starts_with(TSM_DIR) || p.starts_with(PARTITIONS_DIR);
    let manifest_bad =
        found(&|p, s| p == Path::new(MANIFEST_FILE_NAME) && s == FileStatus::Corrupt);
    let checkpoint_bad =
        found(&|p, s| p == Path::new(CHECKPOINT_FILE_NAME) && s == FileStatus::Corrupt);
    let wal_bad = found(&|p, s| p.starts_with(WAL_DIR) && s == FileStatus::Corrupt);
    let damaged =
        found(&|p, s| is_data(p) && matches!(s, FileStatus::Corrupt | FileStatus::Changed));
    let missing = found(&|_, s| s == FileStatus::Missing);
    let strays = found(&|_, s| s == FileStatus::Stray);
    let mut next = Vec::new();
    if manifest_bad {
        next.push("the MANIFEST is damaged and nothing rebuilds it: restore it from a backup (`skulk repair` never rewrites it)".to_string());
    }
    if checkpoint_bad {
        next.push("the CHECKPOINT is damaged: restore it from a backup (`skulk repair` never rewrites it: a wrong safe LSN would replay old WAL records over newer files)".to_string());
    }
    let mut fixes = Vec::new();
    if wal_bad {
        fixes.push(
            "rewrite the damaged WAL segments with every record that checks out, keeping the \
             originals (records lost to the damage only with --accept-loss)",
        );
    }
    if damaged {
        fixes.push("move the damaged files to quarantine/");
    }
    if !fixes.is_empty() {
        next.push(format!(
            "{} shows what {} would do: {}",
            cmd("repair --dry-run"),
            cmd("repair"),
            fixes.join(", and ")
        ));
    }
    if report.layout == 2 && (damaged || missing) {
        next.push(format!(
            "files or WAL segments the manifest lists are damaged or missing: restore them from \
             a backup, or record what they held in LOSSES and open without them with {}",
            cmd("repair --accept-loss")
        ));
    }
    if strays {
        next.push("stray files are not read (the manifest does not list them): move them out of the data directory, or restore the manifest that lists them".to_string());
    }
    next
}
