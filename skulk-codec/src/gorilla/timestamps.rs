//! Gorilla delta-of-delta timestamps with nanosecond buckets.
//!
//! See `FORMAT.md`, "Gorilla timestamps". The first timestamp is stored as
//! 64 raw bits; each later one as the difference between its delta and the
//! previous delta (the first delta is taken against a previous delta of 0),
//! zigzag-mapped (`z`) and written into the smallest bucket that holds it:
//!
//! ```text
//! prefix     payload                 total  holds
//! 0          -                           1  dod == 0
//! 10         z:4                         6  dod in [-8, 7]
//! 110        k:4 zigzag(m):14           21  dod == m * 10^k, m in [-2^13, 2^13)
//! 1110       z:12                       16  dod in [-2^11, 2^11)
//! 11110      z:20                       25  dod in [-2^19, 2^19)
//! 111110     z:32                       38  dod in [-2^31, 2^31)
//! 1111110    z:48                       55  dod in [-2^47, 2^47)
//! 11111110   z:64                       72  any i64
//! 11111111   r-1:20                     28  a run of r zero dods
//! ```
//!
//! The encoder writes a run of 29 or more zero dods (a regular interval) as
//! one run code and shorter runs as single `0` bits.
//!
//! The scaled bucket catches the changes of interval that real nanosecond
//! data has: whole seconds, minutes or days (`k` is the largest power of ten
//! dividing `dod`, at most 15). All arithmetic wraps in `i64`, so any
//! sequence round-trips.

use super::{check_min_len, max_len};
use crate::bitio::{BitReader, BitSink, BitWriter, PEEK_BITS};
use crate::{CodecError, CodecId, Result, TimestampCodec, check_count};

/// Most bits one timestamp after the first can take: an 8-bit prefix and a
/// 64-bit payload.
const MAX_ITEM_BITS: usize = 72;
/// Bits of the run length field.
const RUN_BITS: u32 = 20;
/// Bits of a run code: prefix and length.
const RUN_CODE_BITS: u32 = 8 + RUN_BITS;
/// Shortest run written as a run code (shorter ones are cheaper as bits).
const MIN_RUN: u32 = RUN_CODE_BITS + 1;
/// Bits of the mantissa `m` in the scaled bucket.
const SCALED_BITS: u32 = 14;
/// Powers of ten for the scaled bucket's 4-bit exponent.
const POW10: [i64; 16] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
    100_000_000_000,
    1_000_000_000_000,
    10_000_000_000_000,
    100_000_000_000_000,
    1_000_000_000_000_000,
];
/// Payload width of the plain buckets by prefix length - 1 (the scaled
/// bucket, at index 2, is decoded separately).
const WIDTHS: [u32; 8] = [0, 4, 0, 12, 20, 32, 48, 64];
/// Prefix bits by number of leading ones.
const PREFIXES: [u32; 8] = [1, 2, 3, 4, 5, 6, 7, 8];

/// Gorilla delta-of-delta timestamps, [`CodecId::GorillaTimestamps`].
#[derive(Debug, Clone, Copy, Default)]
pub struct GorillaTimestamps;

/// Per-item encoder state shared by the block codec and the appender.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TimestampEncoder {
    started: bool,
    prev: i64,
    prev_delta: i64,
    /// Zero dods not written yet.
    zeros: u32,
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(z: u64) -> i64 {
    ((z >> 1) as i64) ^ -((z & 1) as i64)
}

/// `(k, zigzag(m))` with `dod == m * 10^k` for the largest `k <= 15`, if
/// `m` fits the scaled bucket.
fn scaled(dod: i64) -> Option<(u64, u64)> {
    let max_k = dod.trailing_zeros().min(15) as usize;
    let k = (0..=max_k)
        .rev()
        .find(|&k| POW10.get(k).is_some_and(|&p| dod % p == 0))?;
    let z = zigzag(dod / POW10.get(k).copied().unwrap_or(1));
    (z < 1 << SCALED_BITS).then_some((k as u64, z))
}

fn write_dod(writer: &mut impl BitSink, dod: i64) {
    let z = zigzag(dod);
    if z == 0 {
        writer.write(0, 1);
    } else if z < 1 << 4 {
        writer.write((0b10 << 4) | z, 2 + 4);
    } else if z < 1 << 12 {
        writer.write((0b1110 << 12) | z, 4 + 12);
    } else if let Some((k, m)) = scaled(dod) {
        writer.write((0b110 << 18) | (k << SCALED_BITS) | m, 3 + 4 + SCALED_BITS);
    } else if z < 1 << 20 {
        writer.write((0b11110 << 20) | z, 5 + 20);
    } else if z < 1 << 32 {
        writer.write((0b111110 << 32) | z, 6 + 32);
    } else if z < 1 << 48 {
        writer.write((0b1111110 << 48) | z, 7 + 48);
    } else {
        writer.write(0b1111_1110, 8);
        writer.write(z, 64);
    }
}

impl TimestampEncoder {
    /// Appends one timestamp.
    #[inline]
    pub(crate) fn push(&mut self, writer: &mut impl BitSink, ts: i64) {
        if !self.started {
            writer.write(ts as u64, 64);
            *self = Self {
                started: true,
                prev: ts,
                ..Self::default()
            };
            return;
        }
        let delta = ts.wrapping_sub(self.prev);
        let dod = delta.wrapping_sub(self.prev_delta);
        self.prev = ts;
        self.prev_delta = delta;
        if dod == 0 {
            self.zeros += 1;
            if self.zeros == 1 << RUN_BITS {
                self.flush(writer);
            }
        } else {
            self.flush(writer);
            write_dod(writer, dod);
        }
    }

    /// Writes the pending zero dods.
    pub(crate) fn flush(&mut self, writer: &mut impl BitSink) {
        match self.zeros {
            0 => {}
            n if n >= MIN_RUN => writer.write((0xff << RUN_BITS) | u64::from(n - 1), RUN_CODE_BITS),
            n => writer.write(0, n),
        }
        self.zeros = 0;
    }

    /// Bits [`TimestampEncoder::flush`] would write now.
    pub(crate) fn pending_bits(&self) -> u32 {
        match self.zeros {
            n if n >= MIN_RUN => RUN_CODE_BITS,
            n => n,
        }
    }
}

/// Reads one delta-of-delta whose prefix is `ones` 1 bits (fewer than 8)
/// and a 0, without checking the end of the input.
#[inline]
fn read_dod(reader: &mut BitReader<'_>, word: u64, ones: u32) -> i64 {
    if ones == 2 {
        reader.consume(3 + 4 + SCALED_BITS);
        let payload = (word << 3) >> (64 - 4 - SCALED_BITS);
        let k = (payload >> SCALED_BITS) as usize;
        let m = unzigzag(payload & ((1 << SCALED_BITS) - 1));
        return m.wrapping_mul(POW10.get(k).copied().unwrap_or(1));
    }
    let prefix = PREFIXES.get(ones as usize).copied().unwrap_or(8);
    let width = WIDTHS.get(ones as usize).copied().unwrap_or(64);
    let z = if prefix + width <= PEEK_BITS {
        reader.consume(prefix + width);
        // Two shifts so that a width of 0 yields 0 without branching.
        ((word << prefix) >> 1) >> (63 - width)
    } else {
        reader.consume(prefix);
        reader.read_unchecked(width)
    };
    unzigzag(z)
}

/// Length of the run of zero dods at the front of `word`: `0` bits or a
/// run code. Consumes it; `None` when `word` starts with another bucket.
#[inline]
fn read_run(reader: &mut BitReader<'_>, word: u64, remaining: usize) -> Result<Option<usize>> {
    if word >> 63 == 0 {
        let zeros = word.leading_zeros().min(reader.buffered());
        let run = (zeros as usize).min(remaining);
        reader.consume(run as u32);
        // Zero bits past the end of the input must not fill the block.
        reader.check_overrun()?;
        return Ok(Some(run));
    }
    if (!word).leading_zeros() < 8 {
        return Ok(None);
    }
    reader.consume(RUN_CODE_BITS);
    let run = ((word << 8) >> (64 - RUN_BITS)) as usize + 1;
    if run > remaining {
        let offset = reader.byte_offset().saturating_sub(3);
        return Err(CodecError::Corrupt {
            what: "a zero run within the point count",
            offset,
        });
    }
    Ok(Some(run))
}

/// Appends `count` timestamps to `out` and says whether they are known to
/// be non-decreasing (every delta `>= 0`, no sum wrapping), so the block
/// decoder takes their bounds from the ends without a pass. Reads past the
/// end of the input see zero bits; the overrun is detected before it can
/// fill the block.
fn decode_into(reader: &mut BitReader<'_>, out: &mut Vec<i64>, count: usize) -> Result<bool> {
    let end = out.len() + count;
    let mut prev = reader.read(64)? as i64;
    out.push(prev);
    let mut delta = 0i64;
    // Set by a negative delta or a wrapping sum: then the caller scans.
    let mut unsorted = false;
    while out.len() < end {
        let word = reader.peek();
        if (word >> 62).wrapping_sub(1) < 2 {
            // `01` (a single zero dod) or `10 z:4`: the codes of jittered
            // intervals, decoded without branching on which of the two.
            let change = word >> 63;
            reader.consume(1 + 5 * change as u32);
            let z = (word >> 58) & 0xf & change.wrapping_neg();
            delta = delta.wrapping_add(unzigzag(z));
            let (next, wrapped) = prev.overflowing_add(delta);
            unsorted |= wrapped | (delta < 0);
            prev = next;
            out.push(prev);
            continue;
        }
        if let Some(run) = read_run(reader, word, end - out.len())? {
            // One check per run: its last sum does not wrap, so none does.
            let last = i64::try_from(run)
                .ok()
                .and_then(|n| delta.checked_mul(n))
                .and_then(|span| prev.checked_add(span));
            unsorted |= last.is_none() | (delta < 0);
            out.extend((0..run).map(|_| {
                prev = prev.wrapping_add(delta);
                prev
            }));
            continue;
        }
        delta = delta.wrapping_add(read_dod(reader, word, (!word).leading_zeros()));
        let (next, wrapped) = prev.overflowing_add(delta);
        unsorted |= wrapped | (delta < 0);
        prev = next;
        out.push(prev);
    }
    reader.check_overrun()?;
    Ok(!unsorted)
}

/// Decodes `count` timestamps onto `out`: the bytes consumed, and whether
/// the timestamps are known to be non-decreasing.
fn decode_sorted(input: &[u8], count: usize, out: &mut Vec<i64>) -> Result<(usize, bool)> {
    check_count(count)?;
    if count == 0 {
        return Ok((0, true));
    }
    // Runs make the payload's length no bound on the count; only on
    // what is reserved up front.
    check_min_len(input, count.min(2))?;
    let start = out.len();
    out.reserve(count.min(input.len().saturating_mul(8)));
    let mut reader = BitReader::new(input);
    let result = decode_into(&mut reader, out, count)
        .and_then(|sorted| reader.finish().map(|used| (used, sorted)));
    if result.is_err() {
        out.truncate(start);
    }
    result
}

impl TimestampCodec for GorillaTimestamps {
    fn id(&self) -> CodecId {
        CodecId::GorillaTimestamps
    }

    fn max_encoded_len(&self, points: usize) -> usize {
        max_len(points, MAX_ITEM_BITS)
    }

    fn encode(&self, timestamps: &[i64], out: &mut Vec<u8>) -> Result<()> {
        check_count(timestamps.len())?;
        let mut writer = BitWriter::new(std::mem::take(out));
        let mut encoder = TimestampEncoder::default();
        timestamps
            .iter()
            .for_each(|&ts| encoder.push(&mut writer, ts));
        encoder.flush(&mut writer);
        *out = writer.finish();
        Ok(())
    }

    fn decode(&self, input: &[u8], count: usize, out: &mut Vec<i64>) -> Result<usize> {
        decode_sorted(input, count, out).map(|(used, _)| used)
    }

    fn decode_sorted(
        &self,
        input: &[u8],
        count: usize,
        out: &mut Vec<i64>,
    ) -> Result<(usize, bool)> {
        decode_sorted(input, count, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn round_trip(ts: &[i64]) -> Vec<u8> {
        let mut bytes = Vec::new();
        GorillaTimestamps.encode(ts, &mut bytes).unwrap();
        assert!(bytes.len() <= GorillaTimestamps.max_encoded_len(ts.len()));
        let mut out = vec![42];
        let consumed = GorillaTimestamps
            .decode(&bytes, ts.len(), &mut out)
            .unwrap();
        assert_eq!(consumed, bytes.len());
        assert_eq!(&out[1..], ts);
        bytes
    }

    #[test]
    fn every_bucket_boundary_round_trips() {
        let mut dods = vec![0i64, i64::MIN, i64::MAX];
        for bits in [4u32, 12, 14, 20, 32, 48, 63] {
            let edge = 1i64 << (bits - 1);
            dods.extend([edge - 1, edge, -edge, -edge - 1]);
        }
        let mut ts = vec![0i64];
        let mut delta = 0i64;
        for dod in dods {
            delta = delta.wrapping_add(dod);
            ts.push(ts.last().unwrap().wrapping_add(delta));
        }
        round_trip(&ts);
    }

    #[test]
    fn regular_series_cost_one_bit_per_point() {
        let ts: Vec<i64> = (0..1001)
            .map(|i| 1_700_000_000_000_000_000 + i * 3_600_000_000_000)
            .collect();
        let bytes = round_trip(&ts);
        // 64 bits, the first delta (36 * 10^11, scaled: 21 bits), then a
        // run code for 999 zero dods.
        assert_eq!(bytes.len(), (64 + 21 + 28usize).div_ceil(8));
    }

    #[test]
    fn round_changes_use_the_scaled_bucket() {
        assert_eq!(scaled(172_800_000_000_000), Some((11, zigzag(1728))));
        assert_eq!(scaled(-60_000_000_000), Some((10, zigzag(-6))));
        assert_eq!(scaled(8191), Some((0, zigzag(8191))));
        assert_eq!(scaled(8192), None);
        assert_eq!(scaled(i64::MIN), None);
        assert_eq!(scaled(1 << 20), None);
        let day = 86_400_000_000_000i64;
        let weekdays: Vec<i64> = [0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 14]
            .iter()
            .map(|d| 951_868_800_000_000_000 + d * day)
            .collect();
        let bytes = round_trip(&weekdays);
        // 64 + first delta (21) + 8 zeros or scaled changes of 21 bits.
        assert!(
            bytes.len() <= (64 + 21 + 4 * 21 + 6usize).div_ceil(8),
            "{}",
            bytes.len()
        );
    }

    #[test]
    fn runs_longer_than_the_count_are_corrupt() {
        let ts: Vec<i64> = (0..100).map(|i| i * 10).collect();
        let bytes = round_trip(&ts);
        let result = GorillaTimestamps.decode(&bytes, 50, &mut Vec::new());
        assert!(
            matches!(result, Err(CodecError::Corrupt { .. })),
            "{result:?}"
        );
    }

    #[test]
    fn zigzag_is_a_bijection_at_the_extremes() {
        for v in [0, 1, -1, i64::MAX, i64::MIN, 12345, -98765] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
    }

    /// Whether the decoder called `ts` non-decreasing.
    fn known_sorted(ts: &[i64]) -> bool {
        let mut bytes = Vec::new();
        GorillaTimestamps.encode(ts, &mut bytes).unwrap();
        let mut out = Vec::new();
        let (used, sorted) = decode_sorted(&bytes, ts.len(), &mut out).unwrap();
        assert_eq!((used, out.as_slice()), (bytes.len(), ts));
        sorted
    }

    #[test]
    fn regular_and_jittered_series_are_known_sorted() {
        let regular: Vec<i64> = (0..5000)
            .map(|i| 1_700_000_000_000_000_000 + i * 1_000)
            .collect();
        assert!(known_sorted(&regular));
        let jittered: Vec<i64> = (0..5000).map(|i| i * 1_000 + (i * 7919) % 13).collect();
        assert!(known_sorted(&jittered));
        let repeated = [5, 5, 5, 9, 9, 12];
        assert!(known_sorted(&repeated));
    }

    #[test]
    fn a_step_back_or_a_wrapping_sum_is_not_known_sorted() {
        // A backward step in a jittered stretch, after a long run, and
        // after a large dod.
        assert!(!known_sorted(&[0, 10, 20, 19, 29]));
        let mut run: Vec<i64> = (0..300).map(|i| i * 60).collect();
        run.push(0);
        assert!(!known_sorted(&run));
        assert!(!known_sorted(&[0, 1 << 40, 5]));
        // Deltas all "positive" but the sums wrap past i64::MAX, in single
        // steps and inside a run of equal deltas.
        let step = i64::MAX / 4;
        let wrapping: Vec<i64> = (0..6).map(|i: i64| i.wrapping_mul(step)).collect();
        assert!(!known_sorted(&wrapping));
        let near_top: Vec<i64> = (0..300).map(|i| (i64::MAX - 100).wrapping_add(i)).collect();
        assert!(!known_sorted(&near_top));
    }

    proptest! {
        #[test]
        fn arbitrary_sequences_round_trip(ts in proptest::collection::vec(any::<i64>(), 0..300)) {
            round_trip(&ts);
        }

        #[test]
        fn known_sorted_sequences_are_sorted(
            start in any::<i64>(),
            deltas in proptest::collection::vec(prop_oneof![0i64..3, -2i64..3, any::<i64>()], 0..300),
        ) {
            let ts: Vec<i64> = std::iter::once(start)
                .chain(deltas.iter().scan(start, |t, &d| {
                    *t = t.wrapping_add(d);
                    Some(*t)
                }))
                .collect();
            if known_sorted(&ts) {
                prop_assert!(ts.is_sorted(), "{ts:?}");
            }
        }
    }
}
