//! LEB128 variable-length integers and zigzag mapping for small headers.
//!
//! See `FORMAT.md`, section "Patched frame of reference".

use crate::{CodecError, Result};

/// Maps signed to unsigned so that small magnitudes get small codes.
pub(crate) const fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

/// Inverse of [`zigzag`].
pub(crate) const fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

/// Appends `value` as LEB128 (7 bits per byte, low groups first).
pub(crate) fn put(mut value: u64, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Bytes [`put`] appends for `value`.
pub(crate) const fn varint_len(value: u64) -> usize {
    let bits = u64::BITS - (value | 1).leading_zeros();
    bits.div_ceil(7) as usize
}

pub(crate) use crate::error::rebase;

/// A cursor over a payload that reports offsets relative to its start.
pub(crate) struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Self { input, pos: 0 }
    }

    /// Bytes read so far.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Everything not read yet.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.input.get(self.pos..).unwrap_or_default()
    }

    /// Marks `n` more bytes as read (after decoding them from [`Reader::rest`]).
    pub(crate) fn advance(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.input.len());
    }

    /// `Truncated` unless at least `n` bytes are left to read: a check
    /// before a length decoded from the input is relied on (or allocated for).
    pub(crate) fn require(&self, n: usize) -> Result<()> {
        if self.rest().len() < n {
            return Err(self.truncated(n));
        }
        Ok(())
    }

    fn truncated(&self, needed: usize) -> CodecError {
        let available = self.input.len().saturating_sub(self.pos);
        CodecError::Truncated {
            offset: self.input.len(),
            needed: needed - available,
            available,
        }
    }

    /// Reads one byte.
    pub(crate) fn byte(&mut self) -> Result<u8> {
        let byte = *self.input.get(self.pos).ok_or_else(|| self.truncated(1))?;
        self.pos += 1;
        Ok(byte)
    }

    /// Reads 8 little-endian bytes.
    pub(crate) fn u64_le(&mut self) -> Result<u64> {
        let bytes = self
            .input
            .get(self.pos..self.pos + 8)
            .ok_or_else(|| self.truncated(8))?;
        let mut array = [0u8; 8];
        array.copy_from_slice(bytes);
        self.pos += 8;
        Ok(u64::from_le_bytes(array))
    }

    /// Reads a LEB128 integer of at most 10 bytes that fits in 64 bits.
    pub(crate) fn varint(&mut self) -> Result<u64> {
        let start = self.pos;
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            let bits = u64::from(byte & 0x7F);
            if shift == 63 && bits > 1 {
                break;
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(CodecError::Corrupt {
            what: "varint of at most 64 bits",
            offset: start,
        })
    }

    /// Reads a byte that must be a bit width (<= 64).
    pub(crate) fn width(&mut self) -> Result<u32> {
        let offset = self.pos;
        match self.byte()? {
            width @ 0..=64 => Ok(u32::from(width)),
            _ => Err(CodecError::Corrupt {
                what: "bit width <= 64",
                offset,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn require_names_what_is_missing() {
        let mut reader = Reader::new(&[1, 2, 3]);
        reader.advance(1);
        assert!(reader.require(2).is_ok());
        assert_eq!(
            reader.require(5),
            Err(CodecError::Truncated {
                offset: 3,
                needed: 3,
                available: 2,
            })
        );
    }

    #[test]
    fn varints_and_zigzag_round_trip() {
        for value in [0, 1, 127, 128, 300, u64::MAX / 3, u64::MAX - 1, u64::MAX] {
            let mut bytes = Vec::new();
            put(value, &mut bytes);
            let mut reader = Reader::new(&bytes);
            assert_eq!(reader.varint().unwrap(), value);
            assert_eq!(reader.pos(), bytes.len());
            for cut in 0..bytes.len() {
                assert!(matches!(
                    Reader::new(&bytes[..cut]).varint(),
                    Err(CodecError::Truncated { .. })
                ));
            }
        }
        for value in [0, -1, 1, i64::MIN, i64::MAX] {
            assert_eq!(unzigzag(zigzag(value)), value);
        }
        assert_eq!(zigzag(-1), 1);
        for shift in 0..64 {
            for value in [1u64 << shift, (1u64 << shift) - 1, (1u64 << shift) + 1] {
                let mut bytes = Vec::new();
                put(value, &mut bytes);
                assert_eq!(varint_len(value), bytes.len(), "{value}");
            }
        }
    }

    #[test]
    fn overlong_varints_are_corrupt() {
        let bytes = [0xFF; 11];
        assert!(matches!(
            Reader::new(&bytes).varint(),
            Err(CodecError::Corrupt { .. })
        ));
        let too_big = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02];
        assert!(matches!(
            Reader::new(&too_big).varint(),
            Err(CodecError::Corrupt { .. })
        ));
    }
}
