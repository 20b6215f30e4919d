//! `MemTsmStorage`: TSM files written in memory.
//!
//! Implements `skulk_format::TsmStorage`, so a `TsmWriter` can produce a
//! file without touching the disk (fuzzers write thousands a second).
//! Syncs do nothing: this is not a power-loss model.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use skulk_format::{TsmOutput, TsmStorage};

type Inode = Arc<Mutex<Vec<u8>>>;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An in-memory [`TsmStorage`].
#[derive(Debug, Clone, Default)]
pub struct MemTsmStorage {
    files: Arc<Mutex<BTreeMap<PathBuf, Inode>>>,
}

impl MemTsmStorage {
    /// An empty storage.
    pub fn new() -> Self {
        Self::default()
    }

    /// The content of the file at `path`.
    pub fn get(&self, path: &Path) -> Option<Vec<u8>> {
        lock(&self.files).get(path).map(|inode| lock(inode).clone())
    }
}

#[derive(Debug)]
struct MemOutput(Inode);

impl Write for MemOutput {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        lock(&self.0).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl TsmOutput for MemOutput {
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        let mut file = lock(&self.0);
        let start =
            usize::try_from(offset).map_err(|_| io::Error::other("offset beyond memory"))?;
        let end = start
            .checked_add(bytes.len())
            .filter(|end| *end <= file.len());
        let end = end.ok_or_else(|| io::Error::other("write_at beyond what was written"))?;
        file.get_mut(start..end)
            .map(|dest| dest.copy_from_slice(bytes))
            .ok_or_else(|| io::Error::other("range"))
    }

    fn sync(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("no file {}", path.display()),
    )
}

impl TsmStorage for MemTsmStorage {
    fn create(&self, path: &Path) -> io::Result<Box<dyn TsmOutput>> {
        let inode = Inode::default();
        lock(&self.files).insert(path.to_path_buf(), Arc::clone(&inode));
        Ok(Box::new(MemOutput(inode)))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut files = lock(&self.files);
        let inode = files.remove(from).ok_or_else(|| not_found(from))?;
        files.insert(to.to_path_buf(), inode);
        Ok(())
    }

    fn sync_dir(&self, _dir: &Path) -> io::Result<()> {
        Ok(())
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        lock(&self.files)
            .remove(path)
            .map(drop)
            .ok_or_else(|| not_found(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skulk_format::{SeriesMeta, TimeRange, TsmReader, TsmWriter, TsmWriterOptions};

    #[test]
    fn a_tsm_file_written_in_memory_reads_back() {
        let storage = MemTsmStorage::new();
        let path = Path::new("mem/a.tsm");
        let options = TsmWriterOptions::default();
        let mut writer = TsmWriter::create_in(Arc::new(storage.clone()), path, options).unwrap();
        let meta = SeriesMeta::new("m", vec![]);
        writer
            .write_series(&meta, &[1, 2], &[f64::NAN, -0.0])
            .unwrap();
        writer.finish().unwrap();
        let bytes = storage.get(path).unwrap();
        let reader = TsmReader::open(bytes.as_slice()).unwrap();
        let (ts, vs) = reader.read_series(meta.id(), TimeRange::ALL).unwrap();
        assert_eq!(ts, [1, 2]);
        assert_eq!(vs[1].to_bits(), (-0.0f64).to_bits());
        assert!(storage.get(Path::new("mem/a.tsm.tmp")).is_none());
    }
}
