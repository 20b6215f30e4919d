//! A bounds-checked little-endian reader over a section of a file.

use crate::{FormatError, Result};

/// Reads fields front to back from `bytes`, which start at file offset
/// `base`; running out of bytes is a [`FormatError::Truncated`] naming the
/// field and its file offset.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    base: u64,
}

impl<'a> Cursor<'a> {
    /// A cursor over `bytes`, which start at file offset `base`.
    pub(crate) fn new(bytes: &'a [u8], base: u64) -> Self {
        Self {
            bytes,
            pos: 0,
            base,
        }
    }

    /// File offset of the next byte.
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n);
        match end.and_then(|end| self.bytes.get(self.pos..end)) {
            Some(slice) => {
                self.pos += n;
                Ok(slice)
            }
            None => Err(FormatError::Truncated {
                file: None,
                what,
                offset: self.offset(),
                needed: n as u64,
                available: self.remaining() as u64,
            }),
        }
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    /// A `u8`.
    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8> {
        Ok(u8::from_le_bytes(self.array(what)?))
    }

    /// A `u16`.
    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    /// A `u32`.
    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    /// A `u64`.
    pub(crate) fn u64(&mut self, what: &'static str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// An `i64`.
    pub(crate) fn i64(&mut self, what: &'static str) -> Result<i64> {
        Ok(i64::from_le_bytes(self.array(what)?))
    }
}

/// CRC32 of `bytes`.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

/// Compares a stored CRC with the CRC of the bytes it covers.
pub(crate) fn check_crc(what: &'static str, offset: u64, expected: u32, actual: u32) -> Result<()> {
    if expected == actual {
        return Ok(());
    }
    Err(FormatError::ChecksumMismatch {
        file: None,
        what,
        offset,
        expected,
        actual,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_little_endian_fields_and_reports_truncation() {
        let bytes = [1, 2, 0, 3, 0, 0, 0];
        let mut cursor = Cursor::new(&bytes, 100);
        assert_eq!(cursor.u8("a").unwrap(), 1);
        assert_eq!(cursor.u16("b").unwrap(), 2);
        assert_eq!(cursor.offset(), 103);
        assert!(matches!(
            cursor.u64("c"),
            Err(FormatError::Truncated {
                offset: 103,
                needed: 8,
                available: 4,
                ..
            })
        ));
        assert_eq!(cursor.u32("d").unwrap(), 3);
        assert_eq!(cursor.remaining(), 0);
    }
}
