//! The checkpoint file: the WAL position up to which every point is durable
//! in TSM files (the safe LSN). See `FORMAT.md`, "CHECKPOINT".

use std::path::Path;

use crate::layout::Layout;
use crate::{EngineError, Result};

const MAGIC: [u8; 4] = *b"SKCK";
const VERSION: u8 = 1;
/// magic (4) + version (1) + reserved (3) + safe LSN (8) + CRC32 (4).
pub(crate) const CHECKPOINT_LEN: usize = 4 + 1 + 3 + 8 + 4;
const CRC_OFFSET: usize = CHECKPOINT_LEN - 4;

/// Encodes a checkpoint recording `safe_lsn`.
pub(crate) fn encode(safe_lsn: u64) -> [u8; CHECKPOINT_LEN] {
    let mut out = [0u8; CHECKPOINT_LEN];
    let (body, crc) = out.split_at_mut(CRC_OFFSET);
    let (magic, rest) = body.split_at_mut(4);
    magic.copy_from_slice(&MAGIC);
    let (version, rest) = rest.split_at_mut(4);
    version.copy_from_slice(&[VERSION, 0, 0, 0]);
    rest.copy_from_slice(&safe_lsn.to_le_bytes());
    let sum = crc32fast::hash(body);
    crc.copy_from_slice(&sum.to_le_bytes());
    out
}

/// Decodes a checkpoint file's bytes (read from `path`, for errors).
pub(crate) fn decode(bytes: &[u8], path: &Path) -> Result<u64> {
    let corrupt = |what, offset| EngineError::Corrupt {
        what,
        path: path.to_path_buf(),
        offset,
    };
    let fixed: &[u8; CHECKPOINT_LEN] = bytes.try_into().map_err(|_| {
        corrupt(
            "checkpoint of 20 bytes",
            bytes.len().min(CHECKPOINT_LEN) as u64,
        )
    })?;
    let [
        m0,
        m1,
        m2,
        m3,
        version,
        _,
        _,
        _,
        l0,
        l1,
        l2,
        l3,
        l4,
        l5,
        l6,
        l7,
        c0,
        c1,
        c2,
        c3,
    ] = *fixed;
    if [m0, m1, m2, m3] != MAGIC {
        return Err(corrupt("checkpoint magic SKCK", 0));
    }
    if version != VERSION {
        return Err(EngineError::UnsupportedVersion {
            path: path.to_path_buf(),
            found: u32::from(version),
            supported: u32::from(VERSION),
        });
    }
    let stored = u32::from_le_bytes([c0, c1, c2, c3]);
    if crc32fast::hash(fixed.get(..CRC_OFFSET).unwrap_or_default()) != stored {
        return Err(corrupt("checkpoint CRC32", CRC_OFFSET as u64));
    }
    Ok(u64::from_le_bytes([l0, l1, l2, l3, l4, l5, l6, l7]))
}

/// Reads the safe LSN; `0` (replay everything) when there is no file yet.
pub(crate) fn load(path: &Path) -> Result<u64> {
    match std::fs::read(path) {
        Ok(bytes) => decode(&bytes, path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(EngineError::io(path, e)),
    }
}

/// Durably replaces the checkpoint of `layout` with `safe_lsn`.
pub(crate) fn store(layout: &Layout, safe_lsn: u64) -> Result<()> {
    layout.write_atomic(&layout.checkpoint_path(), &encode(safe_lsn))
}

#[cfg(test)]
mod tests {
    use super::*;

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
                Err(EngineError::Corrupt { .. })
            ));
        }
    }

    #[test]
    fn newer_versions_are_refused() {
        let mut bytes = encode(1);
        bytes[4] = 2;
        assert!(matches!(
            decode(&bytes, Path::new("c")),
            Err(EngineError::UnsupportedVersion { found: 2, .. })
        ));
    }

    #[test]
    fn store_then_load() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        let path = layout.checkpoint_path();
        assert_eq!(load(&path).unwrap(), 0);
        store(&layout, 42).unwrap();
        assert_eq!(load(&path).unwrap(), 42);
    }
}
