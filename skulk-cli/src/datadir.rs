//! A data directory as the tools read it, through the storage seam: its
//! manifest and the files it lists (a consistent set beside a live
//! writer). Nothing here writes.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use skulk_engine::{CHECKPOINT_FILE_NAME, MANIFEST_FILE_NAME, Manifest, decode_manifest};
use skulk_format::storage::{EntryKind, FileBytes, FsStorage, Storage};
use skulk_format::{FormatError, TsmReader};

use crate::error::{CliError, Result};

/// The engine's lock file, held while an engine writes the directory.
pub const LOCK_FILE: &str = "LOCK";
/// Folders of a data directory (`skulk-engine/FORMAT.md`).
pub const TSM_DIR: &str = "tsm";
/// Layout-1 partition folders.
pub const PARTITIONS_DIR: &str = "partitions";
/// The WAL.
pub const WAL_DIR: &str = "wal";

/// Times the listed files are read again when a writer replaced one
/// meanwhile.
const ATTEMPTS: usize = 100;

/// A data directory on the real file system.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
    storage: Arc<dyn Storage>,
}

impl DataDir {
    /// The data directory at `root`.
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            storage: Arc::new(FsStorage::new(root)),
        }
    }

    /// The storage rooted at the directory.
    pub fn storage(&self) -> Arc<dyn Storage> {
        Arc::clone(&self.storage)
    }

    /// `rel` as messages show it.
    pub fn shown(&self, rel: &Path) -> PathBuf {
        self.root.join(rel)
    }

    /// What is at `rel`: a file, a folder or nothing.
    pub fn entry(&self, rel: &Path) -> Result<Option<EntryKind>> {
        match self.storage.metadata(rel) {
            Ok(meta) => Ok(Some(meta.kind)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(CliError::io(self.shown(rel))(e)),
        }
    }

    /// True when the folder holds what an engine creates (a manifest, a
    /// checkpoint, or its data folders).
    pub fn is_data_dir(&self) -> Result<bool> {
        for name in [
            MANIFEST_FILE_NAME,
            CHECKPOINT_FILE_NAME,
            TSM_DIR,
            PARTITIONS_DIR,
            WAL_DIR,
        ] {
            if self.entry(Path::new(name))?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The manifest; `None` without one (a new or layout-1 directory).
    pub fn manifest(&self) -> Result<Option<Manifest>> {
        let path = Path::new(MANIFEST_FILE_NAME);
        match self.storage.read(path) {
            Ok(bytes) => Ok(Some(decode_manifest(&bytes, &self.shown(path))?)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(CliError::io(self.shown(path))(e)),
        }
    }

    /// The TSM files that hold the directory's data, opened: those the
    /// manifest lists, all from one state of it (read again when a writer
    /// replaced a file meanwhile); in a layout-1 directory, the files of
    /// its partition folders.
    pub fn live_files(&self) -> Result<Vec<TsmReader<FileBytes>>> {
        for _ in 0..ATTEMPTS {
            let Some(manifest) = self.manifest()? else {
                return self.layout1_files();
            };
            match self.open_listed(&manifest) {
                Err(CliError::Format(FormatError::Io { source, .. }))
                    if source.kind() == io::ErrorKind::NotFound
                        && self.manifest()?.map(|m| m.sequence) != Some(manifest.sequence) =>
                {
                    std::thread::yield_now();
                }
                other => return other,
            }
        }
        Err(CliError::Usage(format!(
            "{} changed {ATTEMPTS} times while its files were read; try again",
            self.root.display()
        )))
    }

    fn open_listed(&self, manifest: &Manifest) -> Result<Vec<TsmReader<FileBytes>>> {
        let mut files = Vec::with_capacity(manifest.files.len());
        for record in &manifest.files {
            files.push(TsmReader::open_in(self.storage.as_ref(), &record.path)?);
        }
        Ok(files)
    }

    /// `partitions/<start>/*.tsm`, as layout 1 keeps them.
    fn layout1_files(&self) -> Result<Vec<TsmReader<FileBytes>>> {
        let partitions = Path::new(PARTITIONS_DIR);
        let mut paths = Vec::new();
        if self.entry(partitions)? == Some(EntryKind::Dir) {
            for part in self.list(partitions)? {
                let is_partition = part
                    .name
                    .parse::<i64>()
                    .is_ok_and(|s| s.to_string() == part.name);
                if part.kind != EntryKind::Dir || !is_partition {
                    continue;
                }
                let folder = partitions.join(&part.name);
                for file in self.list(&folder)? {
                    if file.kind == EntryKind::File && file.name.ends_with(".tsm") {
                        paths.push(folder.join(&file.name));
                    }
                }
            }
        }
        paths.sort();
        paths
            .iter()
            .map(|p| Ok(TsmReader::open_in(self.storage.as_ref(), p)?))
            .collect()
    }

    /// The names in folder `rel`, sorted.
    pub fn list(&self, rel: &Path) -> Result<Vec<skulk_format::storage::DirEntry>> {
        let mut entries = self
            .storage
            .list(rel)
            .map_err(CliError::io(self.shown(rel)))?;
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }
}
