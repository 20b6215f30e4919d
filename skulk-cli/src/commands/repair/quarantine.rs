//! The TSM step of `repair`: every data file the directory check found
//! damaged (corrupt, or not the file the manifest recorded) is moved,
//! never deleted, to `quarantine/`, where the engine does not look:
//! `tsm/<file>` to `quarantine/<file>`, a layout-1
//! `partitions/<start>/<file>` to `quarantine/<start>/<file>`. Strays and
//! leftovers are left alone.

use std::path::{Path, PathBuf};

use skulk_engine::{DirectoryReport, FileStatus};
use skulk_format::TsmReader;
use skulk_format::storage::{Storage, parent_of};

use crate::datadir::{DataDir, PARTITIONS_DIR, TSM_DIR};
use crate::error::{CliError, Result};

/// The folder, in the data directory, that quarantined files are moved to.
pub use crate::files::QUARANTINE_DIR;

/// One data file moved (or, in a dry run, to be moved) to quarantine.
#[derive(Debug)]
pub struct Moved {
    /// Where it was, relative to the data directory.
    pub from: PathBuf,
    /// Where it went, relative to the data directory.
    pub to: PathBuf,
    /// What is wrong with it, on one line.
    pub why: String,
    /// The series its index names, when the index can still be read.
    pub series: Option<Vec<String>>,
}

/// True for a path in the folders that hold TSM files.
pub fn is_data_file(path: &Path) -> bool {
    path.starts_with(TSM_DIR) || path.starts_with(PARTITIONS_DIR)
}

/// Moves every damaged data file of `report` to quarantine, durably
/// (unless `dry`).
pub fn run(data: &DataDir, report: &DirectoryReport, dry: bool) -> Result<Vec<Moved>> {
    let storage = data.storage();
    let mut moved = Vec::new();
    for file in &report.files {
        let damaged = matches!(file.status, FileStatus::Corrupt | FileStatus::Changed);
        if !damaged || !is_data_file(&file.path) {
            continue;
        }
        let to = destination(data, &file.path)?;
        let series = series_of(storage.as_ref(), &file.path);
        if !dry {
            move_durably(data, &file.path, &to)?;
        }
        moved.push(Moved {
            from: file.path.clone(),
            to,
            why: file.detail.clone(),
            series,
        });
    }
    Ok(moved)
}

/// The series keys in the index of the TSM file at `path`, if it opens.
pub fn series_of(storage: &dyn Storage, path: &Path) -> Option<Vec<String>> {
    let reader = TsmReader::open_in(storage, path).ok()?;
    Some(reader.series().map(|e| e.meta.to_string()).collect())
}

/// Where a data file goes in quarantine, before any `.<n>` suffix.
pub fn quarantined(path: &Path) -> PathBuf {
    let name = path.file_name().unwrap_or_default();
    let quarantine = Path::new(QUARANTINE_DIR);
    match path
        .strip_prefix(PARTITIONS_DIR)
        .ok()
        .and_then(Path::parent)
    {
        Some(partition) => quarantine.join(partition).join(name),
        None => quarantine.join(name),
    }
}

/// [`quarantined`], with `.<n>` appended when a file of that name is
/// already there (from an earlier repair).
fn destination(data: &DataDir, file: &Path) -> Result<PathBuf> {
    let first = quarantined(file);
    let mut candidate = first.clone();
    let mut n = 1u32;
    while data.entry(&candidate)?.is_some() {
        let mut numbered = first.file_name().unwrap_or_default().to_os_string();
        numbered.push(format!(".{n}"));
        candidate = first.with_file_name(numbered);
        n += 1;
    }
    Ok(candidate)
}

/// Creates the destination folders (fsyncing each parent of a new one),
/// renames the file, then fsyncs the destination and source folders.
fn move_durably(data: &DataDir, from: &Path, to: &Path) -> Result<()> {
    let storage = data.storage();
    let io = |path: &Path| CliError::io(data.shown(path));
    create_dirs(data, parent_of(to))?;
    storage.rename(from, to).map_err(io(from))?;
    storage.sync_dir(parent_of(to)).map_err(io(parent_of(to)))?;
    storage
        .sync_dir(parent_of(from))
        .map_err(io(parent_of(from)))
}

fn create_dirs(data: &DataDir, dir: &Path) -> Result<()> {
    if dir.as_os_str().is_empty() || data.entry(dir)?.is_some() {
        return Ok(());
    }
    let parent = parent_of(dir);
    create_dirs(data, parent)?;
    let storage = data.storage();
    storage
        .create_dir(dir)
        .map_err(CliError::io(data.shown(dir)))?;
    storage
        .sync_dir(parent)
        .map_err(CliError::io(data.shown(parent)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_never_overwrite() {
        let tmp = tempfile::tempdir().unwrap();
        let data = DataDir::new(tmp.path());
        let file = Path::new("tsm/a.tsm");
        let first = destination(&data, file).unwrap();
        assert_eq!(first, Path::new("quarantine/a.tsm"));
        create_dirs(&data, parent_of(&first)).unwrap();
        std::fs::write(tmp.path().join(&first), b"x").unwrap();
        let second = destination(&data, file).unwrap();
        assert_eq!(second, Path::new("quarantine/a.tsm.1"));
        assert_eq!(
            quarantined(Path::new("partitions/-86400/b.tsm")),
            Path::new("quarantine/-86400/b.tsm")
        );
    }

    #[test]
    fn a_move_keeps_the_bytes() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("partitions/0")).unwrap();
        std::fs::write(tmp.path().join("partitions/0/a.tsm"), b"abc").unwrap();
        let data = DataDir::new(tmp.path());
        let from = Path::new("partitions/0/a.tsm");
        move_durably(&data, from, &quarantined(from)).unwrap();
        assert!(!tmp.path().join(from).exists());
        assert_eq!(
            std::fs::read(tmp.path().join("quarantine/0/a.tsm")).unwrap(),
            b"abc"
        );
    }
}
