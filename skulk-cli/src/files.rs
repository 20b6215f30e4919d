//! Finding the TSM files, WAL segments and engine checkpoints under a path,
//! by their magic (and, for a checkpoint, its file name).

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{CliError, Result};

/// What kind of Skulk file a path holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A TSM file (magic `ATSM`).
    Tsm,
    /// A WAL segment (magic `SKWL`).
    WalSegment,
    /// Anything else.
    Other,
}

/// The kind of the file at `path`, from its first four bytes.
pub fn kind_of(path: &Path) -> Result<FileKind> {
    let mut magic = [0u8; 4];
    let mut file = fs::File::open(path).map_err(CliError::io(path))?;
    let mut read = 0;
    while read < magic.len() {
        let n = file
            .read(magic.get_mut(read..).unwrap_or_default())
            .map_err(CliError::io(path))?;
        if n == 0 {
            return Ok(FileKind::Other);
        }
        read += n;
    }
    Ok(if magic == skulk_format::HEADER_MAGIC {
        FileKind::Tsm
    } else if &magic == b"SKWL" && path.extension().is_some_and(|e| e == "wal") {
        FileKind::WalSegment
    } else {
        FileKind::Other
    })
}

/// Whether `path` is an engine checkpoint: named `CHECKPOINT` (whatever
/// its bytes, so that a damaged one is still checked) or starting with its
/// magic `SKCK`.
pub fn is_checkpoint(path: &Path) -> Result<bool> {
    if path
        .file_name()
        .is_some_and(|n| n == skulk_engine::CHECKPOINT_FILE_NAME)
    {
        return Ok(true);
    }
    let mut magic = Vec::with_capacity(4);
    let file = fs::File::open(path).map_err(CliError::io(path))?;
    file.take(4)
        .read_to_end(&mut magic)
        .map_err(CliError::io(path))?;
    Ok(magic == skulk_engine::CHECKPOINT_MAGIC)
}

/// Skulk files found under a directory.
#[derive(Debug, Default)]
pub struct Found {
    /// TSM files, sorted by path.
    pub tsm: Vec<PathBuf>,
    /// Directories that hold WAL segments, sorted.
    pub wal_dirs: Vec<PathBuf>,
    /// Engine checkpoint files (see [`is_checkpoint`]), sorted.
    pub checkpoints: Vec<PathBuf>,
}

/// Folder where `skulk repair` moves damaged TSM files. Scans skip it below
/// the scanned folder (files there are known to be damaged); scanning the
/// folder itself checks them.
pub const QUARANTINE_DIR: &str = "quarantine";

/// Walks `dir` (recursively, not following symbolic links) for TSM files,
/// WAL segments and checkpoints. Temporary `*.tmp` files and
/// [`QUARANTINE_DIR`] folders below `dir` are ignored.
pub fn scan(dir: &Path) -> Result<Found> {
    let mut found = Found::default();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).map_err(CliError::io(&dir))? {
            let entry = entry.map_err(CliError::io(&dir))?;
            let path = entry.path();
            let file_type = entry.file_type().map_err(CliError::io(&path))?;
            if file_type.is_dir() {
                if entry.file_name() != QUARANTINE_DIR {
                    stack.push(path);
                }
            } else if file_type.is_file() && path.extension().is_none_or(|e| e != "tmp") {
                if is_checkpoint(&path)? {
                    found.checkpoints.push(path);
                    continue;
                }
                match kind_of(&path)? {
                    FileKind::Tsm => found.tsm.push(path),
                    FileKind::WalSegment if !found.wal_dirs.contains(&dir) => {
                        found.wal_dirs.push(dir.clone());
                    }
                    _ => {}
                }
            }
        }
    }
    found.tsm.sort();
    found.wal_dirs.sort();
    found.checkpoints.sort();
    Ok(found)
}

/// Reads a whole file.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(CliError::io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_magic_and_finds_nested_files() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("p/q");
        fs::create_dir_all(&nested).unwrap();
        fs::write(nested.join("a.tsm"), b"ATSM....").unwrap();
        fs::write(dir.path().join("0000000000000001.wal"), b"SKWL....").unwrap();
        fs::write(dir.path().join("b.tsm.tmp"), b"ATSM").unwrap();
        fs::write(dir.path().join("short"), b"AT").unwrap();
        fs::write(dir.path().join("CHECKPOINT"), b"SK").unwrap();
        fs::write(nested.join("copy"), b"SKCK....").unwrap();
        let found = scan(dir.path()).unwrap();
        assert_eq!(found.tsm, vec![nested.join("a.tsm")]);
        assert_eq!(found.wal_dirs, vec![dir.path().to_path_buf()]);
        assert_eq!(
            found.checkpoints,
            vec![dir.path().join("CHECKPOINT"), nested.join("copy")]
        );
        assert!(!is_checkpoint(&dir.path().join("short")).unwrap());
        assert_eq!(kind_of(&dir.path().join("short")).unwrap(), FileKind::Other);
    }
}
