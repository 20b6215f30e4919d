//! Publishing an export's files in batches: written under hidden temporary
//! names, made durable together, then renamed into place.
//!
//! Syncing each file and its folder one at a time costs two device flushes
//! per file, which dominates an export of many small files (a day of a
//! daily series is one row). A batch instead costs two flushes of the whole
//! file system on Linux (`syncfs`: the files' data and the new folders
//! before the renames, the renames after them), and per-file syncs
//! elsewhere. The order is the same either way: data durable, then the
//! rename, then the folder entry durable, before the files are reported.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::Result;
use crate::error::io;

/// Files a batch may hold before it is published.
pub(crate) const BATCH_FILES: usize = 1024;
/// Bytes a batch may hold before it is published.
pub(crate) const BATCH_BYTES: u64 = 256 << 20;

/// A file written and closed under its temporary name, not yet synced.
pub(crate) struct Written<T> {
    /// Where it was written.
    pub tmp: PathBuf,
    /// Where it goes.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// What the caller reports once it is published.
    pub report: T,
}

/// A temporary name for `path`: hidden (a leading `.`), so that readers of
/// the folder (Spark, Hive, pyarrow datasets) skip it even if a crash leaves
/// it behind, ending in `.tmp`, so `*.parquet` globs do too, and unique to
/// this call (process id and a counter), so that two exports writing the
/// same name at once (or two metrics whose names differ only in case, on a
/// file system that ignores case) never write into one file.
pub(crate) fn tmp_name(path: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}-{n}.tmp", std::process::id()))
}

/// Files written since the last publication, under `root` (every file and
/// folder of the export is below it, so one file system holds them all).
pub(crate) struct Batch<T> {
    root: PathBuf,
    files: Vec<Written<T>>,
    bytes: u64,
}

impl<T> Batch<T> {
    pub(crate) fn new(root: &Path) -> Self {
        Batch {
            root: root.to_path_buf(),
            files: Vec::new(),
            bytes: 0,
        }
    }

    /// Adds a written file; true when the batch is full and should be
    /// published.
    pub(crate) fn add(&mut self, file: Written<T>) -> bool {
        self.bytes += file.bytes;
        self.files.push(file);
        self.files.len() >= BATCH_FILES || self.bytes >= BATCH_BYTES
    }

    /// Makes every file of the batch durable under its final name and
    /// hands back their reports, in the order added. On an error, the
    /// temporary files not yet renamed are removed (best effort).
    pub(crate) fn publish(&mut self) -> Result<Vec<T>> {
        let files = std::mem::take(&mut self.files);
        self.bytes = 0;
        let mut renamed = 0;
        let outcome = publish_all(&self.root, &files, &mut renamed);
        if outcome.is_err() {
            for file in files.get(renamed..).unwrap_or_default() {
                let _ = fs::remove_file(&file.tmp);
            }
        }
        outcome?;
        Ok(files.into_iter().map(|f| f.report).collect())
    }

    /// Removes the batch's temporary files: the export failed before they
    /// were published.
    pub(crate) fn abandon(&mut self) {
        for file in self.files.drain(..) {
            let _ = fs::remove_file(&file.tmp);
        }
        self.bytes = 0;
    }
}

fn publish_all<T>(root: &Path, files: &[Written<T>], renamed: &mut usize) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    sync_data(root, files)?;
    for file in files {
        rename_new(&file.tmp, &file.path)?;
        *renamed += 1;
    }
    sync_folders(root, files)
}

/// Gives `tmp` the name `path`, which must be free: an export never
/// replaces a file (one written before, or by another export at the same
/// moment into the same folder).
fn rename_new(tmp: &Path, path: &Path) -> Result<()> {
    let outcome = match rename_no_replace(tmp, path) {
        Ok(true) => Ok(()),
        Ok(false) => link_new(tmp, path),
        Err(e) => Err(e),
    };
    outcome.map_err(|e| {
        let e = if e.kind() == std::io::ErrorKind::AlreadyExists {
            std::io::Error::new(
                e.kind(),
                "already exists; an export never replaces a file (is another export writing here?)",
            )
        } else {
            e
        };
        io(path)(e)
    })
}

/// `renameat2(RENAME_NOREPLACE)`; false when the file system lacks it.
#[cfg(target_os = "linux")]
fn rename_no_replace(tmp: &Path, path: &Path) -> std::io::Result<bool> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, tmp, CWD, path, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(true),
        Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The portable rename that never replaces: a new link fails when the
/// name is taken. Where the file system has no links (FAT refuses them as
/// not permitted), a look then a rename: only another export publishing
/// the same name at the same moment could slip in between.
fn link_new(tmp: &Path, path: &Path) -> std::io::Result<()> {
    use std::io::ErrorKind;
    match fs::hard_link(tmp, path) {
        Ok(()) => {
            // Published under its name already; a temporary name left
            // behind is hidden, and harmless.
            let _ = fs::remove_file(tmp);
            Ok(())
        }
        Err(e)
            if !matches!(
                e.kind(),
                ErrorKind::Unsupported | ErrorKind::PermissionDenied
            ) =>
        {
            Err(e)
        }
        Err(_) if fs::symlink_metadata(path).is_ok() => Err(ErrorKind::AlreadyExists.into()),
        Err(_) => fs::rename(tmp, path),
    }
}

#[cfg(not(target_os = "linux"))]
fn rename_no_replace(_tmp: &Path, _path: &Path) -> std::io::Result<bool> {
    Ok(false)
}

/// Makes the batch's file contents (and the folders made for them)
/// durable.
fn sync_data<T>(root: &Path, files: &[Written<T>]) -> Result<()> {
    if !sync_file_system(root)? {
        sync_each_file(files)?;
    }
    Ok(())
}

/// Makes the renames durable.
fn sync_folders<T>(root: &Path, files: &[Written<T>]) -> Result<()> {
    if !sync_file_system(root)? {
        sync_each_folder(root, files)?;
    }
    Ok(())
}

/// Syncs the whole file system holding `root` (`syncfs(2)`, which reports
/// a write-back error of any file on it since Linux 5.8); false where
/// there is no such call.
#[cfg(target_os = "linux")]
fn sync_file_system(root: &Path) -> Result<bool> {
    let dir = File::open(root).map_err(io(root))?;
    rustix::fs::syncfs(&dir)
        .map_err(std::io::Error::from)
        .map_err(io(root))?;
    Ok(true)
}

#[cfg(not(target_os = "linux"))]
fn sync_file_system(_root: &Path) -> Result<bool> {
    Ok(false)
}

fn sync_each_file<T>(files: &[Written<T>]) -> Result<()> {
    for file in files {
        File::open(&file.tmp)
            .and_then(|f| f.sync_all())
            .map_err(io(&file.tmp))?;
    }
    Ok(())
}

/// Syncs every folder holding a file of the batch, and the folders above
/// it up to `root`, whose entries may be new: deepest first, so that a
/// folder's entry in its parent is synced after the folder itself.
fn sync_each_folder<T>(root: &Path, files: &[Written<T>]) -> Result<()> {
    let mut folders = std::collections::BTreeSet::new();
    for file in files {
        let mut folder = file.path.parent();
        while let Some(dir) = folder {
            if !dir.starts_with(root) || !folders.insert(dir.to_path_buf()) || dir == root {
                break;
            }
            folder = dir.parent();
        }
    }
    for dir in folders.iter().rev() {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(dir))?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::Error;

    fn written(root: &Path, name: &str) -> Written<String> {
        let path = root.join(name);
        let tmp = tmp_name(&path);
        fs::write(&tmp, name).unwrap();
        Written {
            tmp,
            path,
            bytes: name.len() as u64,
            report: name.to_string(),
        }
    }

    fn names(root: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn temporary_names_are_hidden_and_unique() {
        let path = Path::new("a/date=2024-01-01/part-0.parquet");
        let (one, two) = (tmp_name(path), tmp_name(path));
        assert_ne!(one, two);
        for tmp in [one, two] {
            assert_eq!(tmp.parent(), path.parent());
            let name = tmp.file_name().unwrap().to_str().unwrap();
            let prefix = format!(".part-0.parquet.{}-", std::process::id());
            assert!(
                name.starts_with(&prefix) && name.ends_with(".tmp"),
                "{name}"
            );
        }
    }

    #[test]
    fn a_batch_publishes_every_file_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut batch = Batch::new(dir.path());
        assert!(!batch.add(written(dir.path(), "b")));
        assert!(!batch.add(written(dir.path(), "a")));
        assert_eq!(batch.publish().unwrap(), ["b", "a"]);
        assert_eq!(names(dir.path()), ["a", "b"]);
        assert_eq!(fs::read(dir.path().join("a")).unwrap(), b"a");
        assert!(batch.publish().unwrap().is_empty());
    }

    #[test]
    fn a_batch_is_full_at_its_file_count() {
        let dir = tempfile::tempdir().unwrap();
        let mut batch = Batch::new(dir.path());
        for i in 0..BATCH_FILES {
            let full = batch.add(written(dir.path(), &format!("f{i}")));
            assert_eq!(full, i + 1 == BATCH_FILES);
        }
        assert_eq!(batch.publish().unwrap().len(), BATCH_FILES);
    }

    #[test]
    fn a_failed_publication_removes_what_it_did_not_rename() {
        let dir = tempfile::tempdir().unwrap();
        let mut batch = Batch::new(dir.path());
        batch.add(written(dir.path(), "a"));
        let lost = written(dir.path(), "b");
        fs::remove_file(&lost.tmp).unwrap();
        batch.add(lost);
        batch.add(written(dir.path(), "c"));
        let err = batch.publish().unwrap_err();
        let b = dir.path().join("b").display().to_string();
        assert!(err.to_string().starts_with(&b), "{err}");
        assert_eq!(names(dir.path()), ["a"]);
    }

    #[test]
    fn a_batch_never_replaces_a_file() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("b"), b"earlier").unwrap();
        let mut batch = Batch::new(dir.path());
        batch.add(written(dir.path(), "a"));
        batch.add(written(dir.path(), "b"));
        batch.add(written(dir.path(), "c"));
        let err = batch.publish().unwrap_err();
        let Error::Io { path, source } = &err else {
            panic!("{err}")
        };
        assert_eq!(path, &dir.path().join("b"));
        assert_eq!(source.kind(), std::io::ErrorKind::AlreadyExists, "{err}");
        assert_eq!(fs::read(dir.path().join("b")).unwrap(), b"earlier");
        // The file before it is published; the rest are removed.
        assert_eq!(names(dir.path()), ["a", "b"]);
    }

    #[test]
    fn the_portable_rename_refuses_a_taken_name_too() {
        let dir = tempfile::tempdir().unwrap();
        let taken = dir.path().join("taken");
        fs::write(&taken, b"earlier").unwrap();
        let tmp = dir.path().join(".taken.tmp");
        fs::write(&tmp, b"new").unwrap();
        let err = link_new(&tmp, &taken).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&taken).unwrap(), b"earlier");
        let free = dir.path().join("free");
        link_new(&tmp, &free).unwrap();
        assert_eq!(names(dir.path()), ["free", "taken"]);
        assert_eq!(fs::read(&free).unwrap(), b"new");
    }

    #[test]
    fn the_portable_path_syncs_files_and_folders() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("metric=m").join("date=2024-01-01");
        fs::create_dir_all(&deep).unwrap();
        let files = vec![written(&deep, "part-0"), written(&deep, "part-1")];
        sync_each_file(&files).unwrap();
        for file in &files {
            fs::rename(&file.tmp, &file.path).unwrap();
        }
        sync_each_folder(dir.path(), &files).unwrap();
        assert_eq!(names(&deep), ["part-0", "part-1"]);
        // A file that vanished is an error naming it.
        let gone = written(&deep, "part-2");
        fs::remove_file(&gone.tmp).unwrap();
        let err = sync_each_file(&[gone]).unwrap_err();
        assert!(err.to_string().contains(".part-2."), "{err}");
    }

    #[test]
    fn an_abandoned_batch_removes_its_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut batch = Batch::new(dir.path());
        batch.add(written(dir.path(), "a"));
        batch.abandon();
        assert!(names(dir.path()).is_empty());
        assert!(batch.publish().unwrap().is_empty());
    }
}
