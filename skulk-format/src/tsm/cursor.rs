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

    /// Refuses `count` items of at least `min_len` bytes each when fewer
    /// bytes remain, before anything is allocated for them: a `Corrupt`
    /// error at `at` naming `what`.
    pub(crate) fn check_count(
        &self,
        count: u64,
        min_len: usize,
        what: &'static str,
        at: u64,
    ) -> Result<()> {
        if count.saturating_mul(min_len as u64) > self.remaining() as u64 {
            return Err(FormatError::corrupt(what, at));
        }
        Ok(())
    }

    /// An unsigned LEB128 varint of at most 10 bytes that fits a `u64`
    /// (`FORMAT.md`, "Series index, version 2").
    #[inline]
    pub(crate) fn varint(&mut self, what: &'static str) -> Result<u64> {
        // Most varints of an index are one byte.
        if let Some(&byte) = self.bytes.get(self.pos)
            && byte & 0x80 == 0
        {
            self.pos += 1;
            return Ok(u64::from(byte));
        }
        self.varint_long(what)
    }

    /// A varint of more than one byte (or a truncated one).
    fn varint_long(&mut self, what: &'static str) -> Result<u64> {
        let at = self.offset();
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let byte = self.u8(what)?;
            let group = u64::from(byte & 0x7f);
            if shift == 63 && group > 1 {
                return Err(FormatError::corrupt(what, at));
            }
            value |= group << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(FormatError::corrupt(what, at))
    }

    /// A varint that must be below `limit` (a count or a table's size).
    #[inline]
    pub(crate) fn varint_below(&mut self, limit: u64, what: &'static str) -> Result<u64> {
        let at = self.offset();
        let value = self.varint(what)?;
        if value >= limit {
            return Err(FormatError::corrupt(what, at));
        }
        Ok(value)
    }
}

/// Appends `value` as an unsigned LEB128 varint.
pub(crate) fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Zigzag: small magnitudes of either sign become small unsigned numbers.
pub(crate) fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

/// The inverse of [`zigzag`].
pub(crate) fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
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

    #[test]
    fn varints_round_trip_and_overlong_ones_are_refused() {
        let values = [
            0,
            1,
            127,
            128,
            300,
            u64::from(u32::MAX),
            u64::MAX - 1,
            u64::MAX,
        ];
        let mut out = Vec::new();
        for v in values {
            put_varint(&mut out, v);
        }
        let mut cursor = Cursor::new(&out, 0);
        for v in values {
            assert_eq!(cursor.varint("v").unwrap(), v);
        }
        assert_eq!(cursor.remaining(), 0);
        for bad in [
            &[0x80u8; 11][..],
            &[0xff; 9],
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
        ] {
            assert!(Cursor::new(bad, 0).varint("v").is_err(), "{bad:?}");
        }
        assert!(Cursor::new(&[5], 0).varint_below(5, "v").is_err());
        assert_eq!(Cursor::new(&[4], 0).varint_below(5, "v").unwrap(), 4);
        for v in [0, 1, -1, i64::MIN, i64::MAX, 12345, -98765] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
        assert_eq!(zigzag(-1), 1);
    }
}
