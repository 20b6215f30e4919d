//! Bit-level I/O for the Gorilla bitstreams.
//!
//! Bits are packed most-significant first: the first bit written is the top
//! bit of the first byte (see `FORMAT.md`, "Bit order"). The writer collects
//! bits in a `u64` accumulator and appends whole big-endian words; the reader
//! loads the (up to) eight bytes under the cursor with one unaligned load, so
//! neither side loops over single bits.

use crate::{CodecError, Result};

/// Bits a [`BitReader::peek`] word is guaranteed to hold from the cursor on.
pub const PEEK_BITS: u32 = 56;

/// Appends bit fields to a byte vector.
#[derive(Debug, Default, Clone)]
pub struct BitWriter {
    out: Vec<u8>,
    /// Pending bits, left-aligned: bit 63 is the oldest.
    acc: u64,
    /// Number of pending bits in `acc` (0..=63).
    pending: u32,
}

impl BitWriter {
    /// A writer that appends after whatever `out` already holds.
    pub fn new(out: Vec<u8>) -> Self {
        Self {
            out,
            acc: 0,
            pending: 0,
        }
    }

    /// Appends the low `width` bits of `value` (`width <= 64`), most
    /// significant first. Bits of `value` above `width` are ignored.
    #[inline]
    pub fn write(&mut self, value: u64, width: u32) {
        debug_assert!(width <= 64);
        if width == 0 {
            return;
        }
        let value = if width == 64 {
            value
        } else {
            value & ((1u64 << width) - 1)
        };
        let free = 64 - self.pending;
        if width < free {
            self.acc |= value << (free - width);
            self.pending += width;
        } else {
            let rest = width - free;
            self.acc |= value >> rest;
            self.out.extend_from_slice(&self.acc.to_be_bytes());
            self.acc = if rest == 0 { 0 } else { value << (64 - rest) };
            self.pending = rest;
        }
    }

    /// Bits written so far, including what the vector held at the start.
    pub fn len_bits(&self) -> usize {
        self.out.len() * 8 + self.pending as usize
    }

    /// Flushes the pending bits, zero-padding the last byte, and returns the
    /// bytes.
    pub fn finish(mut self) -> Vec<u8> {
        let tail = self.pending.div_ceil(8) as usize;
        let word = self.acc.to_be_bytes();
        self.out
            .extend_from_slice(word.get(..tail).unwrap_or_default());
        self.out
    }
}

/// Where an encoder's bit fields go: a [`BitWriter`], or a [`BitCounter`]
/// that only measures how long the stream would be.
pub(crate) trait BitSink {
    /// Appends the low `width` bits of `value` (`width <= 64`).
    fn write(&mut self, value: u64, width: u32);
}

impl BitSink for BitWriter {
    #[inline]
    fn write(&mut self, value: u64, width: u32) {
        BitWriter::write(self, value, width);
    }
}

/// Counts the bits written to it: the length of a stream without writing it.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct BitCounter {
    /// Bits written so far.
    pub(crate) bits: usize,
}

impl BitSink for BitCounter {
    #[inline]
    fn write(&mut self, _value: u64, width: u32) {
        self.bits += width as usize;
    }
}

/// Reads bit fields from a borrowed byte slice.
///
/// Keeps up to 63 bits in a left-aligned register and refills it eight
/// bytes at a time, so consuming a field is a shift. Bits past the end of
/// the input read as zero; [`BitReader::ensure`] refuses to consume them.
#[derive(Debug, Clone)]
pub struct BitReader<'a> {
    bytes: &'a [u8],
    /// Index of the next byte to load into `buf`.
    next_byte: usize,
    /// Buffered bits, left-aligned: bit 63 is the next bit of the stream.
    buf: u64,
    /// Valid bits in `buf` (0..=63).
    avail: u32,
    /// `bytes.len() * 8`.
    end: usize,
}

impl<'a> BitReader<'a> {
    /// A reader at the first bit of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            next_byte: 0,
            buf: 0,
            avail: 0,
            end: bytes.len().saturating_mul(8),
        }
    }

    /// The big-endian word at byte `at`, zero-padded past the end.
    #[inline]
    fn word_at(&self, at: usize) -> u64 {
        match self.bytes.get(at..).and_then(|s| s.first_chunk::<8>()) {
            Some(chunk) => u64::from_be_bytes(*chunk),
            None => self.tail_word(at),
        }
    }

    #[cold]
    fn tail_word(&self, at: usize) -> u64 {
        let mut word = [0u8; 8];
        let rest = self.bytes.get(at..).unwrap_or_default();
        for (dst, src) in word.iter_mut().zip(rest) {
            *dst = *src;
        }
        u64::from_be_bytes(word)
    }

    /// Tops the register up to at least [`PEEK_BITS`] bits.
    #[inline]
    fn refill(&mut self) {
        if self.avail < PEEK_BITS {
            self.buf |= self.word_at(self.next_byte) >> self.avail;
            let take = (63 - self.avail) / 8;
            self.next_byte += take as usize;
            self.avail += take * 8;
        }
    }

    /// Cursor position in bits from the start of the input.
    #[inline]
    fn pos(&self) -> usize {
        self.next_byte * 8 - self.avail as usize
    }

    /// The next 64 bits from the cursor on, of which at least
    /// [`PEEK_BITS`] are valid; bits past the end of the input read as zero.
    /// Does not move the cursor; see [`BitReader::consume`].
    #[inline]
    pub fn peek(&mut self) -> u64 {
        self.refill();
        self.buf
    }

    /// Fails with [`CodecError::Truncated`] unless `bits` more bits remain.
    #[inline]
    pub fn ensure(&self, bits: u32) -> Result<()> {
        if self.pos() + bits as usize <= self.end {
            Ok(())
        } else {
            Err(self.truncated(bits))
        }
    }

    #[cold]
    fn truncated(&self, bits: u32) -> CodecError {
        let pos = self.pos();
        let offset = pos / 8;
        let needed_end = (pos + bits as usize).div_ceil(8);
        CodecError::Truncated {
            offset,
            needed: needed_end - offset,
            available: self.bytes.len().saturating_sub(offset),
        }
    }

    /// Reads a `width`-bit field (`width <= 64`) as an unsigned number.
    #[inline]
    pub fn read(&mut self, width: u32) -> Result<u64> {
        debug_assert!(width <= 64);
        if width == 0 {
            return Ok(0);
        }
        self.ensure(width)?;
        if width <= PEEK_BITS {
            Ok(self.take(width))
        } else {
            let high = self.take(32);
            Ok((high << (width - 32)) | self.take(width - 32))
        }
    }

    /// Consumes `width` (1..=[`PEEK_BITS`]) bits already checked to exist.
    #[inline]
    fn take(&mut self, width: u32) -> u64 {
        self.refill();
        let value = self.buf >> (64 - width);
        self.buf <<= width;
        self.avail -= width;
        value
    }

    /// Valid bits in the word [`BitReader::peek`] returned last.
    #[inline]
    pub fn buffered(&self) -> u32 {
        self.avail
    }

    /// Consumes `bits` of the buffered bits without checking the end of the
    /// input; callers check [`BitReader::check_overrun`] once at the end.
    /// `bits` must not exceed [`BitReader::buffered`].
    #[inline]
    pub fn consume(&mut self, bits: u32) {
        debug_assert!(bits <= self.avail);
        // `bits <= avail <= 63`, so a plain shift is exact; this is on the
        // decoders' critical path, where a checked shift adds a compare and
        // a conditional move per item.
        self.buf = self.buf.wrapping_shl(bits);
        self.avail = self.avail.wrapping_sub(bits);
    }

    /// Reads a `width`-bit field (`width <= 64`) without checking the end
    /// of the input (bits past it read as zero); see
    /// [`BitReader::check_overrun`].
    #[inline]
    pub fn read_unchecked(&mut self, width: u32) -> u64 {
        if width <= PEEK_BITS {
            self.refill();
            let value = self.buf.checked_shr(64 - width).unwrap_or(0);
            self.consume(width);
            value
        } else {
            let high = self.take(32);
            (high << (width - 32)) | self.take(width - 32)
        }
    }

    /// [`CodecError::Truncated`] if the cursor went past the end of the
    /// input (through unchecked reads).
    pub fn check_overrun(&self) -> Result<()> {
        let pos = self.pos();
        if pos <= self.end {
            return Ok(());
        }
        let offset = self.bytes.len();
        Err(CodecError::Truncated {
            offset,
            needed: pos.div_ceil(8) - offset,
            available: 0,
        })
    }

    /// Byte offset of the cursor (rounded down).
    pub fn byte_offset(&self) -> usize {
        self.pos() / 8
    }

    /// Ends the stream: the padding bits of the last byte must be zero.
    /// Returns the number of bytes consumed.
    pub fn finish(&self) -> Result<usize> {
        let pos = self.pos();
        let consumed = pos.div_ceil(8);
        let used = (pos % 8) as u32;
        if used != 0 {
            let last = self.bytes.get(consumed - 1).copied().unwrap_or(0);
            if last & (0xffu8 >> used) != 0 {
                return Err(CodecError::Corrupt {
                    what: "zero padding bits",
                    offset: consumed - 1,
                });
            }
        }
        Ok(consumed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn field() -> impl Strategy<Value = (u64, u32)> {
        (any::<u64>(), 0u32..=64).prop_map(|(v, w)| {
            let mask = if w == 64 { u64::MAX } else { (1u64 << w) - 1 };
            (v & mask, w)
        })
    }

    proptest! {
        #[test]
        fn fields_round_trip(fields in proptest::collection::vec(field(), 0..200)) {
            let mut writer = BitWriter::new(vec![0xAA]);
            for &(v, w) in &fields {
                writer.write(v, w);
            }
            let total_bits: u32 = fields.iter().map(|f| f.1).sum();
            prop_assert_eq!(writer.len_bits(), 8 + total_bits as usize);
            let bytes = writer.finish();
            prop_assert_eq!(bytes[0], 0xAA);
            let mut reader = BitReader::new(&bytes[1..]);
            for &(v, w) in &fields {
                prop_assert_eq!(reader.read(w).unwrap(), v);
            }
            prop_assert_eq!(reader.finish().unwrap(), bytes.len() - 1);
        }
    }

    #[test]
    fn reading_past_the_end_is_truncated() {
        let mut reader = BitReader::new(&[0xff, 0x00]);
        assert_eq!(reader.read(12).unwrap(), 0xff0);
        assert_eq!(
            reader.read(5),
            Err(CodecError::Truncated {
                offset: 1,
                needed: 2,
                available: 1
            })
        );
        assert_eq!(reader.read(4).unwrap(), 0);
        assert!(reader.read(1).is_err());
    }

    #[test]
    fn nonzero_padding_is_corrupt() {
        let mut reader = BitReader::new(&[0b1010_0001]);
        assert_eq!(reader.read(3).unwrap(), 0b101);
        assert!(matches!(
            reader.finish(),
            Err(CodecError::Corrupt { offset: 0, .. })
        ));
    }

    #[test]
    fn bits_are_packed_most_significant_first() {
        let mut writer = BitWriter::new(Vec::new());
        writer.write(1, 1);
        writer.write(0, 2);
        writer.write(0b11, 2);
        assert_eq!(writer.finish(), vec![0b1001_1000]);
    }
}
