//! The 32-byte file header, see `FORMAT.md`, "Header".

use super::cursor::{Cursor, check_crc, crc32};
use super::version::FormatVersion;
use crate::{FormatError, Result, Timestamp};

/// Magic bytes at the start of every TSM file.
pub const HEADER_MAGIC: [u8; 4] = *b"ATSM";
/// Encoded size of the header.
pub const HEADER_LEN: usize = OFF_CRC + 4;
/// Header flag: the file holds at least one point.
pub const FLAG_HAS_POINTS: u8 = 0x01;

const OFF_VERSION: usize = HEADER_MAGIC.len();
const OFF_FLAGS: usize = OFF_VERSION + 1;
const OFF_RESERVED: usize = OFF_FLAGS + 1;
pub(crate) const OFF_SERIES_COUNT: usize = OFF_RESERVED + 2;
pub(crate) const OFF_MIN_TS: usize = OFF_SERIES_COUNT + 4;
const OFF_MAX_TS: usize = OFF_MIN_TS + 8;
const OFF_CRC: usize = OFF_MAX_TS + 8;
const _: () = assert!(HEADER_LEN == 32);

/// The decoded file header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TsmHeader {
    /// Format version.
    pub version: FormatVersion,
    /// Flags, see [`FLAG_HAS_POINTS`].
    pub flags: u8,
    /// Number of series in the file.
    pub series_count: u32,
    /// Smallest timestamp of any point (0 without points).
    pub min_timestamp: Timestamp,
    /// Largest timestamp of any point (0 without points).
    pub max_timestamp: Timestamp,
}

impl TsmHeader {
    /// True when the file holds at least one point.
    pub fn has_points(&self) -> bool {
        self.flags & FLAG_HAS_POINTS != 0
    }

    /// The encoded header, CRC included.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        let fields: [(usize, &[u8]); 6] = [
            (0, &HEADER_MAGIC),
            (OFF_VERSION, &[self.version.as_u8()]),
            (OFF_FLAGS, &[self.flags]),
            (OFF_SERIES_COUNT, &self.series_count.to_le_bytes()),
            (OFF_MIN_TS, &self.min_timestamp.to_le_bytes()),
            (OFF_MAX_TS, &self.max_timestamp.to_le_bytes()),
        ];
        for (offset, field) in fields {
            if let Some(dest) = out.get_mut(offset..offset + field.len()) {
                dest.copy_from_slice(field);
            }
        }
        let crc = crc32(out.get(..OFF_CRC).unwrap_or_default());
        if let Some(dest) = out.get_mut(OFF_CRC..) {
            dest.copy_from_slice(&crc.to_le_bytes());
        }
        out
    }

    /// Decodes the header at the start of `bytes`.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let mut cursor = Cursor::new(bytes, 0);
        if cursor.take(HEADER_MAGIC.len(), "header magic")? != HEADER_MAGIC {
            return Err(FormatError::corrupt("header magic \"ATSM\"", 0));
        }
        let version = FormatVersion::try_from(cursor.u8("format version")?)?;
        let flags = cursor.u8("header flags")?;
        let reserved = cursor.u16("header reserved bytes")?;
        let series_count = cursor.u32("series count")?;
        let min_timestamp = cursor.i64("min timestamp")?;
        let max_timestamp = cursor.i64("max timestamp")?;
        let stored = cursor.u32("header CRC")?;
        check_crc(
            "header",
            0,
            stored,
            crc32(bytes.get(..OFF_CRC).unwrap_or_default()),
        )?;
        if flags & !FLAG_HAS_POINTS != 0 {
            return Err(FormatError::corrupt(
                "no unknown header flags",
                OFF_FLAGS as u64,
            ));
        }
        if reserved != 0 {
            return Err(FormatError::corrupt(
                "zero reserved header bytes",
                OFF_RESERVED as u64,
            ));
        }
        let header = Self {
            version,
            flags,
            series_count,
            min_timestamp,
            max_timestamp,
        };
        let empty_range = min_timestamp == 0 && max_timestamp == 0;
        if min_timestamp > max_timestamp || (!header.has_points() && !empty_range) {
            return Err(FormatError::corrupt(
                "header min/max timestamps",
                OFF_MIN_TS as u64,
            ));
        }
        Ok(header)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TsmHeader {
        TsmHeader {
            version: FormatVersion::V1,
            flags: FLAG_HAS_POINTS,
            series_count: 3,
            min_timestamp: i64::MIN,
            max_timestamp: 42,
        }
    }

    #[test]
    fn round_trips() {
        let header = sample();
        assert_eq!(TsmHeader::decode(&header.encode()).unwrap(), header);
    }

    #[test]
    fn every_byte_flip_is_refused() {
        let bytes = sample().encode();
        for i in 0..HEADER_LEN {
            let mut bad = bytes;
            bad[i] ^= 0x10;
            let err = TsmHeader::decode(&bad).unwrap_err();
            match i {
                0..4 => assert!(matches!(err, FormatError::Corrupt { offset: 0, .. })),
                4 => assert!(matches!(
                    err,
                    FormatError::UnsupportedVersion { found: 0x11, .. }
                )),
                _ => assert!(matches!(
                    err,
                    FormatError::ChecksumMismatch { offset: 0, .. }
                )),
            }
        }
    }

    #[test]
    fn every_truncation_is_refused() {
        let bytes = sample().encode();
        for len in 0..HEADER_LEN {
            assert!(TsmHeader::decode(&bytes[..len]).is_err());
        }
    }
}
