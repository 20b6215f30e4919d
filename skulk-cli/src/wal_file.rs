//! Reading one WAL segment on its own.
//!
//! The log reads whole folders; a segment is self-contained (each one
//! starts by defining every series it uses), so one segment is read by
//! recovering a view of its folder that holds only that file. The view
//! refuses every change, so nothing on disk is touched.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use skulk_format::storage::{
    DirEntry, EntryKind, FileBytes, FsStorage, Metadata, Storage, StorageLock, WritableFile,
};
use skulk_wal::{Recovery, Wal};

use crate::error::{CliError, Result};

/// The folder of one file, showing only that file, read-only.
#[derive(Debug)]
struct OneFile {
    folder: FsStorage,
    name: String,
}

fn refused(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!("{}: reading one segment changes nothing", path.display()),
    )
}

impl Storage for OneFile {
    fn root(&self) -> &Path {
        self.folder.root()
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<DirEntry>> {
        let entries = self.folder.list(dir)?;
        Ok(entries
            .into_iter()
            .filter(|e| dir.as_os_str().is_empty() && e.name == self.name)
            .collect())
    }

    fn metadata(&self, path: &Path) -> io::Result<Metadata> {
        self.folder.metadata(path)
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.folder.read(path)
    }

    fn map(&self, path: &Path) -> io::Result<FileBytes> {
        self.folder.read(path).map(FileBytes::from)
    }

    fn create(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        Err(refused(path))
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        Err(refused(path))
    }

    fn rename(&self, from: &Path, _to: &Path) -> io::Result<()> {
        Err(refused(from))
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        Err(refused(path))
    }

    fn create_dir(&self, dir: &Path) -> io::Result<()> {
        match self.folder.metadata(dir) {
            Ok(meta) if meta.kind == EntryKind::Dir => Ok(()),
            _ => Err(refused(dir)),
        }
    }

    fn remove_dir(&self, dir: &Path) -> io::Result<()> {
        Err(refused(dir))
    }

    fn sync_dir(&self, _dir: &Path) -> io::Result<()> {
        Ok(())
    }

    fn lock(&self, path: &Path) -> io::Result<StorageLock> {
        Err(refused(path))
    }
}

/// Every record of the segment at `path`. Corruption is an error naming
/// the path and the offset.
pub fn recover_segment(path: &Path) -> Result<Recovery> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| CliError::Usage(format!("{}: not a file", path.display())))?;
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let view = OneFile {
        folder: FsStorage::new(folder),
        name: name.to_string(),
    };
    let recovery = Wal::recover_in(Arc::new(view), "")
        .map_err(|e| match e {
            skulk_wal::WalError::Corrupt { offset, what, .. } => skulk_wal::WalError::Corrupt {
                segment: path.to_path_buf(),
                offset,
                what,
            },
            other => other,
        })
        .map_err(CliError::from)?;
    if recovery.segments().is_empty() {
        return Err(CliError::Usage(format!(
            "{}: a WAL segment must keep its name, <first LSN as 16 hex digits>.wal",
            path.display()
        )));
    }
    Ok(recovery)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_segment_of_a_folder_and_changes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        {
            let wal = Wal::new(tmp.path(), skulk_wal::WalConfig::default()).unwrap();
            let point = skulk_format::DataPoint::new("m", vec![], 1, 2.0);
            wal.append_points(&[point]).unwrap();
        }
        std::fs::write(tmp.path().join("0000000000000099.wal"), b"not a segment").unwrap();
        let before: Vec<_> = crate::disk::files_under(tmp.path(), &[]).unwrap();
        let segment = tmp.path().join("0000000000000001.wal");
        let recovery = recover_segment(&segment).unwrap();
        assert_eq!(recovery.segments().len(), 1);
        assert!(!recovery.records().is_empty());
        assert_eq!(crate::disk::files_under(tmp.path(), &[]).unwrap(), before);

        let copy = tmp.path().join("copy.wal");
        std::fs::copy(&segment, &copy).unwrap();
        assert!(matches!(recover_segment(&copy), Err(CliError::Usage(_))));
    }
}
