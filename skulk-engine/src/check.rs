//! Checking a data directory without opening it (`skulk verify`): the
//! manifest, every file it lists (every block checksum), every other file
//! in the data folders, the WAL. Read-only: nothing is written or locked.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use skulk_format::TsmReader;
use skulk_format::storage::{EntryKind, Storage, TMP_SUFFIX};
use skulk_wal::Wal;

use crate::checkpoint::{CHECKPOINT_FILE_NAME, decode_checkpoint};
use crate::layout::{DROPPED_SUFFIX, FileGens, Layout, PARTITIONS_DIR, TSM_DIR, WAL_DIR};
use crate::manifest::{FileRecord, Fingerprint, MANIFEST_FILE_NAME, Manifest};
use crate::recovery::lost_data;
use crate::{EngineError, Result};

/// What [`check_directory`] found about one file (or the WAL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedFile {
    /// Relative to the data directory.
    pub path: PathBuf,
    /// The verdict.
    pub status: FileStatus,
    /// What was found: sizes and counts, or what is wrong.
    pub detail: String,
}

/// The verdict on one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileStatus {
    /// Intact.
    Ok,
    /// Damaged bytes (a checksum, a structure, an unknown format).
    Corrupt,
    /// Listed by the manifest but gone: its points are lost unless it is
    /// restored.
    Missing,
    /// Listed by the manifest with another size or checksum.
    Changed,
    /// Not listed and not explained by an interrupted operation: its
    /// points are not read.
    Stray,
    /// Left by an interrupted operation; the next open deletes it.
    Leftover,
    /// The WAL ends in a record that does not check out and is followed
    /// by nothing that proves it was synced: a write a crash interrupted
    /// (never acknowledged), or damage to the newest records. The next
    /// open cuts it; reported because the two cannot be told apart.
    TornTail,
}

impl FileStatus {
    /// True for the verdicts that need attention.
    pub fn is_problem(self) -> bool {
        matches!(
            self,
            FileStatus::Corrupt
                | FileStatus::Missing
                | FileStatus::Changed
                | FileStatus::Stray
                | FileStatus::TornTail
        )
    }
}

/// Everything [`check_directory`] looked at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectoryReport {
    /// The directory's layout (1 without a manifest).
    pub layout: u32,
    /// Every file, in the order checked.
    pub files: Vec<CheckedFile>,
}

impl DirectoryReport {
    /// The files that need attention.
    pub fn problems(&self) -> impl Iterator<Item = &CheckedFile> {
        self.files.iter().filter(|f| f.status.is_problem())
    }

    fn push(&mut self, path: impl Into<PathBuf>, status: FileStatus, detail: impl Into<String>) {
        self.files.push(CheckedFile {
            path: path.into(),
            status,
            detail: detail.into(),
        });
    }
}

/// Checks the data directory at the root of `storage` (see the module
/// docs). Fails only when the directory cannot be listed; everything
/// found wrong is in the report.
///
/// ```
/// use std::sync::Arc;
/// use skulk_engine::{DataPoint, Engine, EngineConfig, FileStatus, check_directory};
/// use skulk_format::FsStorage;
///
/// let dir = tempfile::tempdir()?;
/// let engine = Engine::open(dir.path(), EngineConfig::default())?;
/// engine.write(&DataPoint::new("cpu", vec![], 1, 1.0))?;
/// engine.close()?;
///
/// let storage = Arc::new(FsStorage::new(dir.path()));
/// let report = check_directory(storage.clone())?;
/// assert_eq!(report.problems().count(), 0);
/// let tsm = report.files.iter().find(|f| f.path.extension() == Some("tsm".as_ref()));
/// std::fs::remove_file(dir.path().join(&tsm.expect("one TSM file").path))?;
/// let report = check_directory(storage)?;
/// assert!(report.problems().any(|f| f.status == FileStatus::Missing));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_directory(storage: Arc<dyn Storage>) -> Result<DirectoryReport> {
    let layout = Layout::new(storage);
    let mut report = DirectoryReport::default();
    let manifest = check_manifest(&layout, &mut report);
    report.layout = if manifest.is_some() || layout.exists(Path::new(MANIFEST_FILE_NAME))? {
        2
    } else {
        1
    };
    check_checkpoint(&layout, report.layout, &mut report)?;
    if let Some(manifest) = &manifest {
        for record in &manifest.files {
            check_listed(&layout, record, &mut report);
        }
    }
    for path in data_files(&layout)? {
        let listed = manifest
            .as_ref()
            .is_some_and(|m| m.files.iter().any(|f| f.path == path));
        if !listed {
            check_unlisted(&layout, manifest.as_ref(), &path, &mut report);
        }
    }
    check_wal(&layout, manifest.as_ref(), &mut report);
    Ok(report)
}

fn one_line(e: &EngineError) -> String {
    e.to_string().replace('\n', " ")
}

fn check_manifest(layout: &Layout, report: &mut DirectoryReport) -> Option<Manifest> {
    match Manifest::load(layout) {
        Ok(Some(m)) => {
            let detail = format!(
                "sequence {}, partitions of {:?}, {} files, safe LSN {}",
                m.sequence,
                m.partition_duration,
                m.files.len(),
                m.safe_lsn
            );
            report.push(MANIFEST_FILE_NAME, FileStatus::Ok, detail);
            Some(m)
        }
        Ok(None) => {
            match crate::upgrade::orphaned_tsm_files(layout) {
                Ok(0) => {}
                Ok(n) => report.push(
                    MANIFEST_FILE_NAME,
                    FileStatus::Missing,
                    format!("gone, with {n} files in tsm/: the directory does not open without it"),
                ),
                Err(e) => report.push(TSM_DIR, FileStatus::Corrupt, one_line(&e)),
            }
            None
        }
        Err(e) => {
            report.push(MANIFEST_FILE_NAME, FileStatus::Corrupt, one_line(&e));
            None
        }
    }
}

fn check_checkpoint(layout: &Layout, version: u32, report: &mut DirectoryReport) -> Result<()> {
    let path = Path::new(CHECKPOINT_FILE_NAME);
    if !layout.exists(path)? {
        return Ok(());
    }
    let bytes = layout.storage().read(path).map_err(layout.io(path))?;
    match decode_checkpoint(&bytes, &layout.shown(path)) {
        Ok(lsn) if version == 1 => report.push(path, FileStatus::Ok, format!("safe LSN {lsn}")),
        Ok(_) => report.push(
            path,
            FileStatus::Leftover,
            "left by an upgrade to layout 2; the next open removes it",
        ),
        Err(e) => report.push(path, FileStatus::Corrupt, one_line(&e)),
    }
    Ok(())
}

/// Opens and verifies a TSM file; the detail line, or what is wrong.
fn verify_tsm(layout: &Layout, path: &Path) -> std::result::Result<(String, Fingerprint), String> {
    let reader =
        TsmReader::open_in(layout.storage().as_ref(), path).map_err(|e| one_line(&e.into()))?;
    let verified = reader.verify().map_err(|e| one_line(&e.into()))?;
    let detail = format!(
        "{} series, {} blocks, {} points",
        verified.series, verified.blocks, verified.points
    );
    Ok((detail, Fingerprint::of(&reader)))
}

fn check_listed(layout: &Layout, record: &FileRecord, report: &mut DirectoryReport) {
    let path = &record.path;
    if let Err(e) = crate::recovery::check_listed(layout, record) {
        let status = match e {
            EngineError::MissingFile { .. } => FileStatus::Missing,
            _ => FileStatus::Changed,
        };
        report.push(path, status, one_line(&e));
        return;
    }
    match verify_tsm(layout, path) {
        Ok((_, found)) if found != record.fingerprint() => {
            let detail = format!(
                "another file than the manifest recorded (it held {})",
                lost_data(record)
            );
            report.push(path, FileStatus::Changed, detail);
        }
        Ok((detail, _)) => report.push(path, FileStatus::Ok, detail),
        Err(why) => report.push(path, FileStatus::Corrupt, why),
    }
}

/// Every file in `tsm/`, in `partitions/` and its folders.
fn data_files(layout: &Layout) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut folders = Vec::new();
    for dir in [TSM_DIR, PARTITIONS_DIR] {
        let dir = Path::new(dir);
        if layout.exists(dir)? {
            folders.push(dir.to_path_buf());
        }
    }
    while let Some(folder) = folders.pop() {
        for (name, kind) in layout.list(&folder)? {
            match kind {
                EntryKind::Dir => folders.push(folder.join(name)),
                EntryKind::File => out.push(folder.join(name)),
            }
        }
    }
    out.sort();
    Ok(out)
}

fn check_unlisted(
    layout: &Layout,
    manifest: Option<&Manifest>,
    path: &Path,
    report: &mut DirectoryReport,
) {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let in_dropped = path
        .components()
        .any(|c| c.as_os_str().to_string_lossy().ends_with(DROPPED_SUFFIX));
    let gens = FileGens::parse(name);
    let leftover = if name.ends_with(TMP_SUFFIX) || in_dropped {
        Some("left by an interrupted write or drop; the next open deletes it")
    } else if manifest.is_some_and(|m| m.removed.iter().any(|r| r == path)) {
        Some("replaced or dropped; the next open deletes it")
    } else if let (Some(m), Some(g)) = (manifest, gens)
        && g.first >= m.next_gen
    {
        Some(
            "written by a flush or compaction that never reached the manifest; the next open deletes it",
        )
    } else {
        None
    };
    if let Some(why) = leftover {
        report.push(path, FileStatus::Leftover, why);
        return;
    }
    if manifest.is_none() && gens.is_some() {
        // Layout 1: the folder is the record. Check the file like a listed one.
        match verify_tsm(layout, path) {
            Ok((detail, _)) => report.push(path, FileStatus::Ok, detail),
            Err(why) => report.push(path, FileStatus::Corrupt, why),
        }
        return;
    }
    let content = match verify_tsm(layout, path) {
        Ok((detail, _)) => format!("a valid TSM file ({detail})"),
        Err(why) => format!("not a valid TSM file: {why}"),
    };
    report.push(
        path,
        FileStatus::Stray,
        format!("not listed in the manifest, so its points are not read; {content}"),
    );
}

fn check_wal(layout: &Layout, manifest: Option<&Manifest>, report: &mut DirectoryReport) {
    let wal = Path::new(WAL_DIR);
    let covered = manifest.map_or(0, |m| m.safe_lsn);
    match Wal::recover_covered(Arc::clone(layout.storage()), WAL_DIR, covered) {
        Ok(recovery) => {
            let detail = format!(
                "{} segment(s), {} records",
                recovery.segments().len(),
                recovery.records().len()
            );
            report.push(wal, FileStatus::Ok, detail);
            if recovery.torn_bytes() > 0 {
                let last = recovery
                    .segments()
                    .last()
                    .map(|s| (wal.join(&s.name), s.len));
                let (path, at) = last.unwrap_or_else(|| (wal.to_path_buf(), 0));
                let after = recovery.last_lsn().unwrap_or(covered);
                report.push(
                    path,
                    FileStatus::TornTail,
                    format!(
                        "its last {} bytes, from offset {at}, do not check out: records after \
                         LSN {after} that a crash interrupted (never acknowledged) or that were \
                         damaged; the next open cuts them",
                        recovery.torn_bytes()
                    ),
                );
            }
            if let Some(end) = recovery.lost_end() {
                let name = end.segment.file_name().unwrap_or_default();
                report.push(
                    wal.join(name),
                    FileStatus::TornTail,
                    format!(
                        "ends at offset {} right after LSN {} without its end mark: the file was \
                         cut there, and any records after LSN {} are lost (a crash can leave \
                         this too, for a write never acknowledged); the next open puts the mark \
                         back",
                        end.offset, end.last_lsn, end.last_lsn
                    ),
                );
            }
            for skipped in recovery.skipped() {
                let name = skipped.segment.file_name().unwrap_or_default();
                let held = if skipped.first_lsn > skipped.last_lsn {
                    "held no record (the next segment continues the LSNs)".to_string()
                } else {
                    format!(
                        "held LSNs {}..={}, all already in the files",
                        skipped.first_lsn, skipped.last_lsn
                    )
                };
                report.push(
                    wal.join(name),
                    FileStatus::Corrupt,
                    format!(
                        "{} damaged bytes at offset {} {held}: nothing lost (skipped on open; \
                         `skulk repair` rewrites the segment)",
                        skipped.len, skipped.offset
                    ),
                );
            }
            if let Some(m) = manifest
                && let Err(e) = crate::recovery::check_segments(layout, m, &recovery)
            {
                report.push(wal, FileStatus::Missing, one_line(&e));
            }
        }
        Err(skulk_wal::WalError::Io { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound && manifest.is_none() => {}
        Err(e) => report.push(wal, FileStatus::Corrupt, one_line(&e.into())),
    }
}
