//! Gorilla XOR values with leading/trailing-zero window reuse.
//!
//! See `FORMAT.md`, "Gorilla values". The first value is stored as its 64
//! raw bits; each later one as the XOR with the previous value:
//!
//! ```text
//! 0                                  XOR is zero: same bits as before
//! 10 <meaningful bits>               XOR fits the current window
//! 11 <lead:5> <len-1:6> <len bits>   new window: `lead` leading zeros
//!                                    (clamped to 31), `len` meaningful bits
//! ```
//!
//! The trailing-zero count of a window is `64 - lead - len`; a decoder
//! refuses windows with `lead + len > 64` and a reuse before any window.
//! The encoder opens a new window instead of reusing one when that is
//! cheaper for the current value (the decoder does not care which it
//! chose), so a window never grows stale after one outlier.

use super::{check_min_len, max_len};
use crate::bitio::{BitCounter, BitReader, BitSink, BitWriter, PEEK_BITS};
use crate::{CodecError, CodecId, Result, ValueCodec, check_count};

/// Most bits one value after the first can take: 2 control bits, a 5-bit
/// leading-zero count, a 6-bit length and 64 meaningful bits.
const MAX_ITEM_BITS: usize = 77;
/// Largest leading-zero count the 5-bit field holds.
const MAX_LEAD: u32 = 31;
/// Bits of a new-window header: control, lead, length.
const NEW_WINDOW_HEADER_BITS: u32 = 2 + 5 + 6;

/// Gorilla XOR values, [`CodecId::GorillaValues`].
#[derive(Debug, Clone, Copy, Default)]
pub struct GorillaValues;

/// Per-item encoder state shared by the block codec and the appender.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ValueEncoder {
    started: bool,
    prev: u64,
    /// Leading zeros of the current window.
    lead: u32,
    /// Trailing zeros of the current window.
    trail: u32,
    /// Meaningful bits of the current window; 0 before the first window.
    len: u32,
}

impl ValueEncoder {
    /// Nothing is held back: every value is written when pushed.
    pub(crate) fn flush(&mut self, _writer: &mut impl BitSink) {}

    /// Bits [`ValueEncoder::flush`] would write now: none.
    pub(crate) fn pending_bits(&self) -> u32 {
        0
    }

    /// Appends one value.
    #[inline]
    pub(crate) fn push(&mut self, writer: &mut impl BitSink, value: f64) {
        let bits = value.to_bits();
        if !self.started {
            writer.write(bits, 64);
            *self = Self {
                started: true,
                prev: bits,
                ..Self::default()
            };
            return;
        }
        let xor = bits ^ self.prev;
        self.prev = bits;
        if xor == 0 {
            writer.write(0, 1);
            return;
        }
        let lead = xor.leading_zeros().min(MAX_LEAD);
        let trail = xor.trailing_zeros();
        let len = 64 - lead - trail;
        let fits = self.len != 0 && lead >= self.lead && trail >= self.trail;
        if fits && 2 + self.len <= NEW_WINDOW_HEADER_BITS + len {
            writer.write(0b10, 2);
            writer.write(xor >> self.trail, self.len);
        } else {
            let header = (0b11 << 11) | (u64::from(lead) << 6) | u64::from(len - 1);
            writer.write(header, NEW_WINDOW_HEADER_BITS);
            writer.write(xor >> trail, len);
            (self.lead, self.trail, self.len) = (lead, trail, len);
        }
    }
}

/// Decoder state: the previous bits and the current window.
struct ValueDecoder<'r, 'a> {
    reader: &'r mut BitReader<'a>,
    prev: u64,
    trail: u32,
    /// Meaningful bits of the current window; 0 before the first window.
    len: u32,
}

impl ValueDecoder<'_, '_> {
    /// Decodes one XOR whose control starts with a 1 bit (`word` is the
    /// peeked stream), without checking the end of the input.
    #[inline]
    fn next_xor(&mut self, word: u64) -> Result<u64> {
        let header = if (word >> 62) & 1 == 0 {
            if self.len == 0 {
                return Err(self.corrupt("a new window before any window reuse"));
            }
            2
        } else {
            let lead = ((word >> 57) & 0x1f) as u32;
            let len = ((word >> 51) & 0x3f) as u32 + 1;
            if lead + len > 64 {
                return Err(self.corrupt("leading zeros + meaningful bits <= 64"));
            }
            (self.trail, self.len) = (64 - lead - len, len);
            NEW_WINDOW_HEADER_BITS
        };
        Ok(self.payload(word, header) << self.trail)
    }

    /// The window's meaningful bits after a `header`-bit control. `word`
    /// holds at least [`PEEK_BITS`] (usually up to 63) buffered bits, so
    /// most items are cut out of it; wider ones take a second refill.
    #[inline]
    fn payload(&mut self, word: u64, header: u32) -> u64 {
        let len = self.len;
        if header + len <= self.reader.buffered() {
            self.reader.consume(header + len);
            return (word << header) >> (64 - len);
        }
        self.reader.consume(header);
        if len <= PEEK_BITS {
            let word = self.reader.peek();
            self.reader.consume(len);
            return word >> (64 - len);
        }
        self.reader.read_unchecked(len)
    }

    #[cold]
    fn corrupt(&self, what: &'static str) -> CodecError {
        CodecError::Corrupt {
            what,
            offset: self.reader.byte_offset(),
        }
    }
}

/// Decodes into `out`. Reads past the end of the input see zero bits; the
/// overrun is detected once, at the end.
fn decode_into(reader: &mut BitReader<'_>, out: &mut [f64]) -> Result<()> {
    let Some((first, rest)) = out.split_first_mut() else {
        return Ok(());
    };
    let prev = reader.read(64)?;
    *first = f64::from_bits(prev);
    let mut decoder = ValueDecoder {
        reader,
        prev,
        trail: 0,
        len: 0,
    };
    let mut slots = rest.iter_mut();
    // The commonest item, a reuse that fits the peeked word, is decoded
    // first with the window's figures hoisted; `reuse_tag` is the control
    // `10`, or an impossible 4 while there is no window or it is too wide.
    let (mut reuse_tag, mut reuse_len) = (4, 1);
    while slots.len() > 0 {
        let word = decoder.reader.peek();
        if word >> 62 == reuse_tag {
            decoder.reader.consume(2 + reuse_len);
            decoder.prev ^= ((word << 2) >> (64 - reuse_len)) << decoder.trail;
            if let Some(slot) = slots.next() {
                *slot = f64::from_bits(decoder.prev);
            }
            continue;
        }
        // A run of `0` bits is a run of repeated values. Testing the top
        // bit alone keeps the leading-zero count off the common path.
        if word >> 63 == 0 {
            let run = word.leading_zeros().min(decoder.reader.buffered());
            let run = (run as usize).min(slots.len());
            let value = f64::from_bits(decoder.prev);
            slots.by_ref().take(run).for_each(|slot| *slot = value);
            decoder.reader.consume(run as u32);
            continue;
        }
        decoder.prev ^= decoder.next_xor(word)?;
        reuse_len = decoder.len;
        reuse_tag = if 2 + reuse_len <= PEEK_BITS { 0b10 } else { 4 };
        if let Some(slot) = slots.next() {
            *slot = f64::from_bits(decoder.prev);
        }
    }
    decoder.reader.check_overrun()
}

/// Bytes [`GorillaValues`] encodes `items` into, counted by running the same
/// encoder into a [`BitCounter`] instead of writing the stream.
pub(crate) fn encoded_len(items: &[f64]) -> usize {
    let mut counter = BitCounter::default();
    let mut encoder = ValueEncoder::default();
    items
        .iter()
        .for_each(|&item| encoder.push(&mut counter, item));
    encoder.flush(&mut counter);
    counter.bits.div_ceil(8)
}

impl ValueCodec for GorillaValues {
    fn id(&self) -> CodecId {
        CodecId::GorillaValues
    }

    fn max_encoded_len(&self, points: usize) -> usize {
        max_len(points, MAX_ITEM_BITS)
    }

    fn encode(&self, values: &[f64], out: &mut Vec<u8>) -> Result<()> {
        check_count(values.len())?;
        let mut writer = BitWriter::new(std::mem::take(out));
        let mut encoder = ValueEncoder::default();
        values.iter().for_each(|&v| encoder.push(&mut writer, v));
        *out = writer.finish();
        Ok(())
    }

    fn decode(&self, input: &[u8], count: usize, out: &mut Vec<f64>) -> Result<usize> {
        check_count(count)?;
        if count == 0 {
            return Ok(0);
        }
        check_min_len(input, count)?;
        let start = out.len();
        out.resize(start + count, 0.0);
        let mut reader = BitReader::new(input);
        let result = decode_into(&mut reader, out.get_mut(start..).unwrap_or_default())
            .and_then(|()| reader.finish());
        if result.is_err() {
            out.truncate(start);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn round_trip(values: &[f64]) -> Vec<u8> {
        let mut bytes = Vec::new();
        GorillaValues.encode(values, &mut bytes).unwrap();
        assert!(bytes.len() <= GorillaValues.max_encoded_len(values.len()));
        let mut out = Vec::new();
        let consumed = GorillaValues
            .decode(&bytes, values.len(), &mut out)
            .unwrap();
        assert_eq!(consumed, bytes.len());
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&out), bits(values));
        bytes
    }

    #[test]
    fn full_width_and_clamped_windows_round_trip() {
        // XOR of 0 and -NaN with every bit set: 64 meaningful bits.
        let all_ones = f64::from_bits(u64::MAX);
        // XORs with more than 31 leading zeros: the lead field is clamped.
        let tiny = [
            f64::from_bits(1),
            f64::from_bits(3),
            f64::from_bits(1 << 40),
        ];
        let mut values = vec![0.0, all_ones, 0.0, all_ones];
        values.extend(tiny);
        values.extend([
            1.0,
            1.0,
            f64::from_bits(1.0f64.to_bits() ^ 1),
            -0.0,
            f64::NAN,
        ]);
        round_trip(&values);
    }

    #[test]
    fn constant_values_cost_one_bit_per_point() {
        let bytes = round_trip(&[21.5; 801]);
        assert_eq!(bytes.len(), 8 + 100);
    }

    #[test]
    fn reuse_before_any_window_is_corrupt() {
        // First value 0.0, then control bits `10`.
        let mut bytes = vec![0u8; 8];
        bytes.push(0b1000_0000);
        bytes.push(0);
        let result = GorillaValues.decode(&bytes, 2, &mut Vec::new());
        assert!(
            matches!(result, Err(CodecError::Corrupt { .. })),
            "{result:?}"
        );
    }

    #[test]
    fn window_wider_than_64_bits_is_corrupt() {
        // `11`, lead 31, len-1 = 63: 31 + 64 > 64.
        let mut writer = BitWriter::new(vec![0u8; 8]);
        writer.write((0b11 << 11) | (31 << 6) | 63, 13);
        writer.write(0, 64);
        let result = GorillaValues.decode(&writer.finish(), 2, &mut Vec::new());
        assert!(
            matches!(result, Err(CodecError::Corrupt { .. })),
            "{result:?}"
        );
    }

    proptest! {
        #[test]
        fn arbitrary_bit_patterns_round_trip(bits in proptest::collection::vec(any::<u64>(), 0..300)) {
            let values: Vec<f64> = bits.into_iter().map(f64::from_bits).collect();
            round_trip(&values);
        }

        #[test]
        fn decimal_walks_round_trip(steps in proptest::collection::vec(-50i32..50, 0..300)) {
            let mut x = 0i64;
            let values: Vec<f64> = steps.iter().map(|&s| { x += i64::from(s); x as f64 / 10.0 }).collect();
            round_trip(&values);
        }
    }
}
