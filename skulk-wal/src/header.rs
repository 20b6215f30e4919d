//! The segment header (`FORMAT.md`, "Segment header") and format version.

use skulk_format::{STAMP_LEN, Stamp};

use crate::Lsn;

/// The segment magic.
pub const MAGIC: [u8; 4] = *b"SKWL";
/// Encoded length of a segment header: a [`Stamp`] whose value is the
/// segment's first LSN.
pub const SEGMENT_HEADER_LEN: usize = STAMP_LEN;

#[cfg(test)]
const VERSION_AT: usize = 4;
#[cfg(test)]
const CRC_AT: usize = 16;

/// WAL format versions (`FORMAT.md`, "Versions").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum WalVersion {
    /// The initial format.
    V1 = 1,
    /// Every frame carries a synced-through mark.
    V2 = 2,
    /// Version-2 frames, and an end mark after the last one.
    V3 = 3,
}

impl WalVersion {
    /// The version this build writes (and the newest it reads).
    pub const CURRENT: WalVersion = WalVersion::V3;
}

impl TryFrom<u8> for WalVersion {
    type Error = u8;

    fn try_from(byte: u8) -> Result<Self, u8> {
        match byte {
            1 => Ok(Self::V1),
            2 => Ok(Self::V2),
            3 => Ok(Self::V3),
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
        Stamp {
            magic: MAGIC,
            version: self.version as u8,
            value: self.first_lsn,
        }
        .encode()
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, HeaderError> {
        let header: &[u8; SEGMENT_HEADER_LEN] = bytes
            .get(..SEGMENT_HEADER_LEN)
            .and_then(|h| h.try_into().ok())
            .ok_or(HeaderError::Corrupt(0, "segment shorter than its header"))?;
        let stamp = Stamp::decode(header, MAGIC).map_err(|e| {
            let what = match e.offset {
                0 => "bad segment magic",
                16 => "segment header CRC mismatch",
                _ => "reserved header bytes not zero",
            };
            HeaderError::Corrupt(e.offset, what)
        })?;
        let version = WalVersion::try_from(stamp.version).map_err(HeaderError::Version)?;
        Ok(Self {
            version,
            first_lsn: stamp.value,
        })
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
        bytes[VERSION_AT] = 4;
        let crc = crc32fast::hash(&bytes[..CRC_AT]);
        bytes[CRC_AT..].copy_from_slice(&crc.to_le_bytes());
        assert_eq!(SegmentHeader::decode(&bytes), Err(HeaderError::Version(4)));
        assert_eq!(WalVersion::try_from(1), Ok(WalVersion::V1));
        assert_eq!(WalVersion::try_from(2), Ok(WalVersion::V2));
        assert_eq!(WalVersion::try_from(3), Ok(WalVersion::V3));
    }
}
