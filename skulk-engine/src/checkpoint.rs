//! The checkpoint file of format-version-1 directories: the WAL position up
//! to which every point was durable in TSM files (the safe LSN). See
//! `FORMAT.md`, "CHECKPOINT". Version 2 keeps the safe LSN in the manifest;
//! opening a version-1 directory moves it there and removes the file.
//!
//! The read side is public so that tools (`skulk verify`) and fuzzers can
//! check the file without opening an engine; writing it stays internal.

use std::path::Path;

use skulk_format::storage::{FsStorage, Storage};
use skulk_format::{STAMP_LEN, Stamp};

use crate::layout::Layout;
use crate::{EngineError, Result};

/// The name of the checkpoint file in a data directory.
pub const CHECKPOINT_FILE_NAME: &str = "CHECKPOINT";
/// The first four bytes of a checkpoint file.
pub const CHECKPOINT_MAGIC: [u8; 4] = *b"SKCK";
const VERSION: u8 = 1;
/// Length of a checkpoint file: a [`Stamp`] (magic, version, reserved, safe
/// LSN, CRC-32).
pub const CHECKPOINT_LEN: usize = STAMP_LEN;

/// Encodes a checkpoint recording `safe_lsn`.
#[cfg(test)]
pub(crate) fn encode(safe_lsn: u64) -> [u8; CHECKPOINT_LEN] {
    Stamp {
        magic: CHECKPOINT_MAGIC,
        version: VERSION,
        value: safe_lsn,
    }
    .encode()
}

/// Decodes the bytes of a checkpoint file into its safe LSN (the WAL records
/// with an LSN up to it are durable in TSM files).
///
/// `path` only names the file in errors. Any input gives `Ok` or a typed
/// error, never a panic: a length other than [`CHECKPOINT_LEN`] is
/// [`EngineError::Corrupt`] at the offset where the bytes end (or where the
/// extra bytes start), as are a bad magic, a bad CRC32 and nonzero reserved
/// bytes; a version other than 1 (under a good CRC) is
/// [`EngineError::UnsupportedVersion`].
pub fn decode_checkpoint(bytes: &[u8], path: &Path) -> Result<u64> {
    let corrupt = |what, offset| EngineError::Corrupt {
        what,
        path: path.to_path_buf(),
        offset,
    };
    let fixed: &[u8; CHECKPOINT_LEN] = bytes.try_into().map_err(|_| {
        corrupt(
            "checkpoint length (must be 20 bytes)",
            bytes.len().min(CHECKPOINT_LEN) as u64,
        )
    })?;
    let stamp = Stamp::decode(fixed, CHECKPOINT_MAGIC).map_err(|e| {
        let what = match e.offset {
            0 => "checkpoint magic SKCK",
            5 => "checkpoint reserved bytes (zero)",
            _ => "checkpoint CRC32",
        };
        corrupt(what, e.offset)
    })?;
    if stamp.version != VERSION {
        return Err(EngineError::UnsupportedVersion {
            path: path.to_path_buf(),
            found: u32::from(stamp.version),
            supported: u32::from(VERSION),
        });
    }
    Ok(stamp.value)
}

/// Reads and decodes the checkpoint file at `path` (a data directory's
/// [`CHECKPOINT_FILE_NAME`]); errors as [`decode_checkpoint`], plus
/// [`EngineError::Io`] when it cannot be read. A missing file is an error
/// here; an engine treats a data directory without one as safe LSN 0
/// (replay the whole WAL).
pub fn read_checkpoint(path: &Path) -> Result<u64> {
    let storage = FsStorage::new("");
    let bytes = storage.read(path).map_err(|e| EngineError::io(path, e))?;
    decode_checkpoint(&bytes, path)
}

/// Reads the safe LSN of `layout`; `0` (replay everything) when there is
/// no file yet.
pub(crate) fn load(layout: &Layout) -> Result<u64> {
    let path = layout.checkpoint_path();
    match layout.storage().read(path) {
        Ok(bytes) => decode_checkpoint(&bytes, &layout.shown(path)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(layout.io(path)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8], path: &Path) -> Result<u64> {
        decode_checkpoint(bytes, path)
    }

    #[test]
    fn round_trips_and_every_byte_flip_is_caught() {
        let p = Path::new("CHECKPOINT");
        let bytes = encode(0x0102_0304_0506_0708);
        assert_eq!(decode(&bytes, p).unwrap(), 0x0102_0304_0506_0708);
        for i in 0..CHECKPOINT_LEN {
            let mut bad = bytes;
            bad[i] ^= 0x40;
            assert!(decode(&bad, p).is_err(), "flip at {i}");
        }
        for len in 0..CHECKPOINT_LEN {
            assert!(matches!(
                decode(&bytes[..len], p),
                Err(EngineError::Corrupt { offset, .. }) if offset == len as u64
            ));
        }
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert!(matches!(
            decode(&longer, p),
            Err(EngineError::Corrupt { offset: 20, .. })
        ));
    }

    #[test]
    fn the_layout_of_format_md() {
        let bytes = encode(7);
        assert_eq!(&bytes[..8], b"SKCK\x01\0\0\0");
        assert_eq!(&bytes[8..16], &7u64.to_le_bytes());
        assert_eq!(bytes[16..], crc32fast::hash(&bytes[..16]).to_le_bytes());
        let layout = Layout::new(std::sync::Arc::new(FsStorage::new("data")));
        assert_eq!(
            layout.shown(layout.checkpoint_path()),
            Path::new("data").join(CHECKPOINT_FILE_NAME)
        );
    }

    #[test]
    fn nonzero_reserved_bytes_are_refused_even_under_a_matching_crc() {
        let mut bytes = encode(9);
        bytes[6] = 1;
        let crc = crc32fast::hash(&bytes[..16]).to_le_bytes();
        bytes[16..].copy_from_slice(&crc);
        assert!(matches!(
            decode(&bytes, Path::new("c")),
            Err(EngineError::Corrupt { offset: 5, .. })
        ));
    }

    #[test]
    fn newer_versions_are_refused() {
        let mut bytes = encode(1);
        bytes[4] = 2;
        let crc = crc32fast::hash(&bytes[..16]).to_le_bytes();
        bytes[16..].copy_from_slice(&crc);
        assert!(matches!(
            decode(&bytes, Path::new("c")),
            Err(EngineError::UnsupportedVersion { found: 2, .. })
        ));
    }

    #[test]
    fn load_and_read() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(std::sync::Arc::new(FsStorage::new(dir.path())));
        let path = dir.path().join(CHECKPOINT_FILE_NAME);
        assert_eq!(load(&layout).unwrap(), 0);
        assert!(matches!(
            read_checkpoint(&path),
            Err(EngineError::Io { .. })
        ));
        std::fs::write(&path, encode(42)).unwrap();
        assert_eq!(load(&layout).unwrap(), 42);
        assert_eq!(read_checkpoint(&path).unwrap(), 42);
    }
}
