//! The segment header (`FORMAT.md`, "Segment header") and format version.

use crate::Lsn;

/// The segment magic.
pub const MAGIC: [u8; 4] = *b"SKWL";
/// Encoded length of a segment header.
pub const SEGMENT_HEADER_LEN: usize = CRC_AT + 4;

const MAGIC_AT: usize = 0;
const VERSION_AT: usize = MAGIC_AT + 4;
const RESERVED_AT: usize = VERSION_AT + 1;
const FIRST_LSN_AT: usize = RESERVED_AT + 3;
const CRC_AT: usize = FIRST_LSN_AT + 8;

/// WAL format versions (`FORMAT.md`, "Versions").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum WalVersion {
    /// The initial format.
    V1 = 1,
}

impl WalVersion {
    /// The version this build writes (and the newest it reads).
    pub const CURRENT: WalVersion = WalVersion::V1;
}

impl TryFrom<u8> for WalVersion {
    type Error = u8;

    fn try_from(byte: u8) -> Result<Self, u8> {
        match byte {
            1 => Ok(Self::V1),
            other => Err(other),
        }
    }
}

/// Why a header did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeaderError {
    /// Damaged (what), at this offset.
    Corrupt(u64, &'static str),
    /// A version this build does not read.
    Version(u8),
}

/// The header at the start of every segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SegmentHeader {
    pub version: WalVersion,
    pub first_lsn: Lsn,
}

impl SegmentHeader {
    pub(crate) fn new(first_lsn: Lsn) -> Self {
        Self {
            version: WalVersion::CURRENT,
            first_lsn,
        }
    }

    pub(crate) fn encode(&self) -> [u8; SEGMENT_HEADER_LEN] {
        let mut out = [0u8; SEGMENT_HEADER_LEN];
        let mut put = |at: usize, bytes: &[u8]| {
            if let Some(slot) = out.get_mut(at..at + bytes.len()) {
                slot.copy_from_slice(bytes);
            }
        };
        put(MAGIC_AT, &MAGIC);
        put(VERSION_AT, &[self.version as u8]);
        put(FIRST_LSN_AT, &self.first_lsn.to_le_bytes());
        let crc = crc32fast::hash(out.get(..CRC_AT).unwrap_or_default());
        if let Some(slot) = out.get_mut(CRC_AT..) {
            slot.copy_from_slice(&crc.to_le_bytes());
        }
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, HeaderError> {
        let header: [u8; SEGMENT_HEADER_LEN] = bytes
            .get(..SEGMENT_HEADER_LEN)
            .and_then(|h| h.try_into().ok())
            .ok_or(HeaderError::Corrupt(0, "segment shorter than its header"))?;
        let get = |at: usize, n: usize| header.get(at..at + n).unwrap_or_default();
        if get(MAGIC_AT, 4) != MAGIC {
            return Err(HeaderError::Corrupt(MAGIC_AT as u64, "bad segment magic"));
        }
        let stored_crc = get(CRC_AT, 4)
            .try_into()
            .map(u32::from_le_bytes)
            .unwrap_or_default();
        if stored_crc != crc32fast::hash(get(0, CRC_AT)) {
            return Err(HeaderError::Corrupt(
                CRC_AT as u64,
                "segment header CRC mismatch",
            ));
        }
        let version_byte = get(VERSION_AT, 1).first().copied().unwrap_or_default();
        let version = WalVersion::try_from(version_byte).map_err(HeaderError::Version)?;
        if get(RESERVED_AT, 3) != [0; 3] {
            return Err(HeaderError::Corrupt(
                RESERVED_AT as u64,
                "reserved header bytes not zero",
            ));
        }
        let first_lsn = get(FIRST_LSN_AT, 8)
            .try_into()
            .map(u64::from_le_bytes)
            .unwrap_or_default();
        Ok(Self { version, first_lsn })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips() {
        let header = SegmentHeader::new(0x1234_5678_9abc);
        assert_eq!(SegmentHeader::decode(&header.encode()), Ok(header));
    }

    #[test]
    fn every_flip_and_prefix_is_refused() {
        let bytes = SegmentHeader::new(7).encode();
        for len in 0..bytes.len() {
            assert!(SegmentHeader::decode(&bytes[..len]).is_err());
        }
        for i in 0..bytes.len() {
            let mut bad = bytes;
            bad[i] ^= 0x10;
            let err = SegmentHeader::decode(&bad).unwrap_err();
            let expected = if i < 4 {
                "bad segment magic"
            } else {
                "segment header CRC mismatch"
            };
            assert_eq!(
                err,
                HeaderError::Corrupt(if i < 4 { 0 } else { 16 }, expected),
                "byte {i}"
            );
        }
    }

    #[test]
    fn newer_versions_are_refused() {
        let mut bytes = SegmentHeader::new(1).encode();
        bytes[VERSION_AT] = 2;
        let crc = crc32fast::hash(&bytes[..CRC_AT]);
        bytes[CRC_AT..].copy_from_slice(&crc.to_le_bytes());
        assert_eq!(SegmentHeader::decode(&bytes), Err(HeaderError::Version(2)));
        assert_eq!(WalVersion::try_from(1), Ok(WalVersion::V1));
    }
}
