//! Read-only memory maps of published TSM files: the only `unsafe` code in
//! Skulk.

#![allow(unsafe_code)]

use std::fs::File;
use std::path::Path;

use crate::Result;
use crate::error::IoContext;

/// The bytes of a sealed file, mapped read-only.
#[derive(Debug)]
pub(crate) struct MappedFile {
    map: memmap2::Mmap,
}

impl MappedFile {
    /// Maps the whole file at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).at(path)?;
        // SAFETY: `Mmap::map` is unsafe because another process or thread
        // could truncate or modify the file while it is mapped, which would
        // make the returned slice change under us or raise SIGBUS. The engine
        // maps only published TSM files, which are immutable: they are written
        // under a `.tmp` name, fsynced and renamed into place, never opened for
        // writing again and never truncated in place; they are replaced by new
        // files and unlinked, and an unlinked file stays intact for as long as
        // this mapping exists. No other engine writes to the data directory:
        // opening takes an exclusive lock on `<dir>/LOCK` (`File::try_lock`)
        // that is held until the engine is dropped, and a second open, from
        // this or another process, fails. (The lock is advisory: a process
        // that ignores it and rewrites these files is outside this contract.)
        let map = unsafe { memmap2::Mmap::map(&file) }.at(path)?;
        Ok(Self { map })
    }
}

impl AsRef<[u8]> for MappedFile {
    fn as_ref(&self) -> &[u8] {
        &self.map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_the_file_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"hello").unwrap();
        assert_eq!(MappedFile::open(&path).unwrap().as_ref(), b"hello");
        std::fs::write(&path, b"").unwrap();
        assert!(MappedFile::open(&path).unwrap().as_ref().is_empty());
        assert!(MappedFile::open(&dir.path().join("missing")).is_err());
    }
}
