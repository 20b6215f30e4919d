//! The 48-byte file footer, see `FORMAT.md`, "Footer".

use super::cursor::{Cursor, check_crc, crc32};
use super::header::HEADER_LEN;
use crate::{FormatError, Result};

/// Reverse magic bytes at the end of every TSM file.
pub const FOOTER_MAGIC: [u8; 4] = *b"MSTA";
/// Encoded size of the footer.
pub const FOOTER_LEN: usize = OFF_MAGIC + FOOTER_MAGIC.len();

const OFF_INDEX_OFFSET: usize = 0;
const OFF_INDEX_LEN: usize = OFF_INDEX_OFFSET + 8;
const OFF_BLOOM_OFFSET: usize = OFF_INDEX_LEN + 8;
const OFF_BLOOM_LEN: usize = OFF_BLOOM_OFFSET + 8;
const OFF_INDEX_CRC: usize = OFF_BLOOM_LEN + 4;
const OFF_BLOOM_CRC: usize = OFF_INDEX_CRC + 4;
const OFF_FILE_CRC: usize = OFF_BLOOM_CRC + 4;
const OFF_FOOTER_CRC: usize = OFF_FILE_CRC + 4;
const OFF_MAGIC: usize = OFF_FOOTER_CRC + 4;
const _: () = assert!(FOOTER_LEN == 48);

/// The decoded file footer: where the sections are and their checksums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TsmFooter {
    /// File offset of the series index (= end of the data section).
    pub index_offset: u64,
    /// Length of the series index in bytes.
    pub index_len: u64,
    /// File offset of the bloom filter (= end of the index).
    pub bloom_offset: u64,
    /// Length of the bloom filter in bytes.
    pub bloom_len: u32,
    /// CRC32 of the index bytes.
    pub index_crc: u32,
    /// CRC32 of the bloom filter bytes.
    pub bloom_crc: u32,
    /// CRC32 of every byte before the footer.
    pub file_crc: u32,
}

impl TsmFooter {
    /// The encoded footer, its CRC and magic included.
    pub fn encode(&self) -> [u8; FOOTER_LEN] {
        let mut out = [0u8; FOOTER_LEN];
        let fields: [(usize, &[u8]); 8] = [
            (OFF_INDEX_OFFSET, &self.index_offset.to_le_bytes()),
            (OFF_INDEX_LEN, &self.index_len.to_le_bytes()),
            (OFF_BLOOM_OFFSET, &self.bloom_offset.to_le_bytes()),
            (OFF_BLOOM_LEN, &self.bloom_len.to_le_bytes()),
            (OFF_INDEX_CRC, &self.index_crc.to_le_bytes()),
            (OFF_BLOOM_CRC, &self.bloom_crc.to_le_bytes()),
            (OFF_FILE_CRC, &self.file_crc.to_le_bytes()),
            (OFF_MAGIC, &FOOTER_MAGIC),
        ];
        for (offset, field) in fields {
            if let Some(dest) = out.get_mut(offset..offset + field.len()) {
                dest.copy_from_slice(field);
            }
        }
        let crc = crc32(out.get(..OFF_FOOTER_CRC).unwrap_or_default());
        if let Some(dest) = out.get_mut(OFF_FOOTER_CRC..OFF_MAGIC) {
            dest.copy_from_slice(&crc.to_le_bytes());
        }
        out
    }

    /// Decodes the footer at the end of a file of `file_len` bytes whose last
    /// bytes are `bytes`, and checks its offsets against each other and the
    /// file length (see `FORMAT.md`, "Footer").
    pub fn decode(bytes: &[u8], file_len: u64) -> Result<Self> {
        let base = file_len.saturating_sub(bytes.len() as u64);
        let mut cursor = Cursor::new(bytes, base);
        let footer = Self {
            index_offset: cursor.u64("index offset")?,
            index_len: cursor.u64("index length")?,
            bloom_offset: cursor.u64("bloom offset")?,
            bloom_len: cursor.u32("bloom length")?,
            index_crc: cursor.u32("index CRC")?,
            bloom_crc: cursor.u32("bloom CRC")?,
            file_crc: cursor.u32("file CRC")?,
        };
        let stored = cursor.u32("footer CRC")?;
        if cursor.take(FOOTER_MAGIC.len(), "footer magic")? != FOOTER_MAGIC {
            return Err(FormatError::corrupt(
                "footer magic \"MSTA\"",
                base + OFF_MAGIC as u64,
            ));
        }
        let covered = bytes.get(..OFF_FOOTER_CRC).unwrap_or_default();
        check_crc("footer", base, stored, crc32(covered))?;
        footer.check_layout(file_len, base)?;
        Ok(footer)
    }

    fn check_layout(&self, file_len: u64, base: u64) -> Result<()> {
        let footer_start = file_len.checked_sub(FOOTER_LEN as u64);
        let index_end = self.index_offset.checked_add(self.index_len);
        let bloom_end = self.bloom_offset.checked_add(u64::from(self.bloom_len));
        if self.index_offset < HEADER_LEN as u64 {
            return Err(FormatError::corrupt("index offset after the header", base));
        }
        if index_end != Some(self.bloom_offset) {
            return Err(FormatError::corrupt(
                "bloom offset at the end of the index",
                base,
            ));
        }
        if bloom_end.is_none() || bloom_end != footer_start {
            return Err(FormatError::corrupt(
                "bloom filter ending at the footer",
                base,
            ));
        }
        Ok(())
    }

    /// End of the data section (= index offset).
    pub fn data_end(&self) -> u64 {
        self.index_offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TsmFooter {
        TsmFooter {
            index_offset: 100,
            index_len: 50,
            bloom_offset: 150,
            bloom_len: 16,
            index_crc: 1,
            bloom_crc: 2,
            file_crc: 3,
        }
    }

    const FILE_LEN: u64 = 150 + 16 + FOOTER_LEN as u64;

    #[test]
    fn round_trips() {
        let footer = sample();
        assert_eq!(
            TsmFooter::decode(&footer.encode(), FILE_LEN).unwrap(),
            footer
        );
    }

    #[test]
    fn every_byte_flip_is_refused() {
        let bytes = sample().encode();
        for i in 0..FOOTER_LEN {
            let mut bad = bytes;
            bad[i] ^= 0x01;
            let err = TsmFooter::decode(&bad, FILE_LEN).unwrap_err();
            if i >= OFF_MAGIC {
                assert!(matches!(err, FormatError::Corrupt { .. }), "{err}");
            } else {
                assert!(matches!(err, FormatError::ChecksumMismatch { .. }), "{err}");
            }
        }
    }

    #[test]
    fn inconsistent_layouts_are_refused() {
        for footer in [
            TsmFooter {
                index_offset: 8,
                ..sample()
            },
            TsmFooter {
                bloom_offset: 151,
                ..sample()
            },
            TsmFooter {
                bloom_len: 17,
                ..sample()
            },
            TsmFooter {
                index_len: u64::MAX,
                ..sample()
            },
        ] {
            let err = TsmFooter::decode(&footer.encode(), FILE_LEN).unwrap_err();
            assert!(matches!(err, FormatError::Corrupt { .. }), "{err}");
        }
    }
}
