//! Paths named on the command line, reached through the storage seam
//! (`skulk_format::storage`): an [`FsStorage`] rooted at `""` takes every
//! path as given, relative to the working directory or absolute, so errors
//! name the path as typed.

use std::io;
use std::path::{Path, PathBuf};

use skulk_format::storage::{DirEntry, EntryKind, FsStorage, Storage};

use crate::error::{CliError, Result};

/// The real file system, every path as given.
pub fn storage() -> FsStorage {
    FsStorage::new("")
}

/// What is at `path`: a file, a folder, or nothing (`None`).
pub fn entry(path: &Path) -> Result<Option<EntryKind>> {
    match storage().metadata(path) {
        Ok(meta) => Ok(Some(meta.kind)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CliError::io(path)(e)),
    }
}

/// True when `path` is a folder.
pub fn is_dir(path: &Path) -> Result<bool> {
    Ok(entry(path)? == Some(EntryKind::Dir))
}

/// The whole content of the file at `path`.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    storage().read(path).map_err(CliError::io(path))
}

/// The names in folder `dir`, sorted.
pub fn list(dir: &Path) -> Result<Vec<DirEntry>> {
    let mut entries = storage().list(dir).map_err(CliError::io(dir))?;
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(entries)
}

/// Every file under `dir` (recursively), sorted; folders named in `skip`
/// directly below `dir` are left out.
pub fn files_under(dir: &Path, skip: &[&str]) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in list(&folder)? {
            let path = folder.join(&entry.name);
            match entry.kind {
                EntryKind::Dir if folder == dir && skip.contains(&entry.name.as_str()) => {}
                EntryKind::Dir => pending.push(path),
                EntryKind::File => found.push(path),
            }
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_files_and_skips_named_folders() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::create_dir_all(root.join("skip/c")).unwrap();
        std::fs::write(root.join("a/b/f"), b"1").unwrap();
        std::fs::write(root.join("skip/c/g"), b"2").unwrap();
        std::fs::write(root.join("h"), b"3").unwrap();
        let found = files_under(root, &["skip"]).unwrap();
        assert_eq!(found, [root.join("a/b/f"), root.join("h")]);
        assert_eq!(entry(&root.join("h")).unwrap(), Some(EntryKind::File));
        assert!(is_dir(&root.join("a")).unwrap());
        assert_eq!(entry(&root.join("nothing")).unwrap(), None);
        assert_eq!(read(&root.join("h")).unwrap(), b"3");
        let err = read(&root.join("nothing")).unwrap_err().one_line();
        assert!(err.contains("nothing"), "{err}");
    }
}
