//! The TSM step of `repair`: every published `*.tsm` file under
//! `partitions/` that fails to open or to verify is moved, never deleted,
//! to `quarantine/<partition>/<file>`, where the engine does not look.

use std::fs;
use std::path::{Path, PathBuf};

use skulk_format::TsmReader;

use crate::error::{CliError, Result};
use crate::files;

/// The folder, in the data directory, that quarantined files are moved to.
pub use crate::files::QUARANTINE_DIR;

/// One TSM file that failed its checks.
#[derive(Debug)]
pub struct Bad {
    /// Where it was.
    pub from: PathBuf,
    /// Where it was (or, in a dry run, would be) moved.
    pub to: PathBuf,
    /// The typed error, on one line.
    pub why: String,
}

/// What the TSM step found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Files that opened and verified.
    pub ok: usize,
    /// Files that did not.
    pub bad: Vec<Bad>,
}

/// Checks every `partitions/<start>/*.tsm` file of `data_dir` and, unless
/// `dry_run`, moves each bad one to quarantine durably.
pub fn run(data_dir: &Path, dry_run: bool) -> Result<Outcome> {
    let mut outcome = Outcome::default();
    for file in published_files(&data_dir.join("partitions"))? {
        match check(&file) {
            Ok(()) => outcome.ok += 1,
            Err(why) => {
                let to = destination(data_dir, &file)?;
                if !dry_run {
                    move_durably(&file, &to)?;
                }
                outcome.bad.push(Bad {
                    from: file,
                    to,
                    why,
                });
            }
        }
    }
    Ok(outcome)
}

/// Every `*.tsm` file directly inside a partition folder (a decimal start
/// time, as the engine names them), sorted.
fn published_files(partitions: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    if !partitions.is_dir() {
        return Ok(found);
    }
    for part in fs::read_dir(partitions).map_err(CliError::io(partitions))? {
        let part = part.map_err(CliError::io(partitions))?.path();
        let is_partition = part
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.parse::<i64>().ok().filter(|s| s.to_string() == n))
            .is_some();
        if !is_partition || !part.is_dir() {
            continue;
        }
        for entry in fs::read_dir(&part).map_err(CliError::io(&part))? {
            let entry = entry.map_err(CliError::io(&part))?;
            let path = entry.path();
            let is_file = entry.file_type().map_err(CliError::io(&path))?.is_file();
            if is_file && path.extension().is_some_and(|e| e == "tsm") {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Opens and verifies one file: `Err` with the typed error on one line.
fn check(path: &Path) -> std::result::Result<(), String> {
    let bytes = files::read(path).map_err(|e| e.one_line())?;
    TsmReader::open_named(bytes, path)
        .and_then(|reader| reader.verify())
        .map(|_| ())
        .map_err(|e| CliError::from(e).one_line())
}

/// `quarantine/<partition>/<file>`, with `.<n>` appended when a file of
/// that name is already there (from an earlier repair).
fn destination(data_dir: &Path, file: &Path) -> Result<PathBuf> {
    let (Some(name), Some(partition)) =
        (file.file_name(), file.parent().and_then(|p| p.file_name()))
    else {
        return Err(CliError::Usage(format!(
            "{}: not inside a partition folder",
            file.display()
        )));
    };
    let folder = data_dir.join(QUARANTINE_DIR).join(partition);
    let first = folder.join(name);
    let mut candidate = first.clone();
    let mut n = 1u32;
    while candidate.exists() {
        let mut numbered = name.to_os_string();
        numbered.push(format!(".{n}"));
        candidate = folder.join(numbered);
        n += 1;
    }
    Ok(candidate)
}

/// Creates the destination folders (fsyncing each parent of a new one),
/// renames the file, then fsyncs the destination and source folders.
fn move_durably(from: &Path, to: &Path) -> Result<()> {
    let Some(folder) = to.parent() else {
        return Err(CliError::Usage(format!("{}: no folder", to.display())));
    };
    create_dirs(folder)?;
    fs::rename(from, to).map_err(CliError::io(from))?;
    sync_dir(folder)?;
    match from.parent() {
        Some(source) => sync_dir(source),
        None => Ok(()),
    }
}

fn create_dirs(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dirs(parent)?;
    }
    fs::create_dir(dir).map_err(CliError::io(dir))?;
    match dir.parent() {
        Some(parent) => sync_dir(parent),
        None => Ok(()),
    }
}

fn sync_dir(dir: &Path) -> Result<()> {
    fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(CliError::io(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_never_overwrite() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("partitions/0/a.tsm");
        let first = destination(tmp.path(), &file).unwrap();
        assert_eq!(first, tmp.path().join("quarantine/0/a.tsm"));
        create_dirs(first.parent().unwrap()).unwrap();
        fs::write(&first, b"x").unwrap();
        let second = destination(tmp.path(), &file).unwrap();
        assert_eq!(second, tmp.path().join("quarantine/0/a.tsm.1"));
    }

    #[test]
    fn only_files_in_partition_folders_are_checked() {
        let tmp = tempfile::tempdir().unwrap();
        let parts = tmp.path().join("partitions");
        for dir in ["0", "-86400", "007", "5.dropped"] {
            fs::create_dir_all(parts.join(dir)).unwrap();
            fs::write(parts.join(dir).join("a.tsm"), b"x").unwrap();
        }
        fs::write(parts.join("0/b.tsm.tmp"), b"x").unwrap();
        let found = published_files(&parts).unwrap();
        assert_eq!(found, [parts.join("-86400/a.tsm"), parts.join("0/a.tsm")]);
    }
}
