//! Fixed-width bit packing of `u64` values in frames of 64.
//!
//! See `FORMAT.md`, section "Bit-packed frames". A run of `count` values of
//! `width` bits is stored as `count / 64` full frames followed by one partial
//! frame. A full frame holds 64 values in exactly `width` little-endian
//! 64-bit words (value `i` occupies bits `i * width ..` of the frame, least
//! significant bit first, and may straddle two words). The partial frame
//! uses the same layout but stops after the last byte that holds a bit of
//! its last value.
//!
//! Unpacking is monomorphised per width, so every shift and mask of a frame
//! is a compile-time constant and the 64-value loop has no branches.

use crate::{CodecError, Result};

/// Values per frame.
pub(crate) const FRAME: usize = 64;

/// Bits needed to represent `value` (0 for 0).
pub(crate) const fn bit_width(value: u64) -> u32 {
    u64::BITS - value.leading_zeros()
}

/// Bytes that `count` values of `width` bits occupy.
pub(crate) const fn packed_len(count: usize, width: u32) -> usize {
    let width = width as usize;
    let full = count / FRAME;
    let tail = count % FRAME;
    full * width * 8 + (tail * width).div_ceil(8)
}

/// Appends `values` packed at `width` bits each to `out`.
///
/// Bits of a value above `width` are ignored; callers pass values that fit.
/// Values are gathered into one 64-bit word at a time, and each full word
/// is appended as it fills; a frame of 64 values ends on a word boundary.
pub(crate) fn pack(values: &[u64], width: u32, out: &mut Vec<u8>) {
    debug_assert!(width <= 64);
    if width == 0 {
        return;
    }
    out.reserve(packed_len(values.len(), width));
    let mask = u64::MAX >> (64 - width);
    for frame in values.chunks(FRAME) {
        // `word` holds `fill` (< 64) bits not yet written.
        let (mut word, mut fill) = (0u64, 0u32);
        for &value in frame {
            let value = value & mask;
            word |= value << fill;
            fill += width;
            if fill >= 64 {
                out.extend_from_slice(&word.to_le_bytes());
                fill -= 64;
                // The top `fill` bits of `value` did not fit in the word.
                word = if fill == 0 {
                    0
                } else {
                    value >> (width - fill)
                };
            }
        }
        let tail = fill.div_ceil(8) as usize;
        out.extend_from_slice(word.to_le_bytes().get(..tail).unwrap_or_default());
    }
}

/// Unpacks `count` values of `width` bits from the front of `input`.
///
/// `sink` receives the values frame by frame (64 at a time, fewer for the
/// last frame), in order. Returns the bytes consumed. Bytes of `input` past
/// the packed values (the rest of a payload) may be read by whole-frame
/// loads, but only ever reach bits that are masked off.
pub(crate) fn unpack<F: FnMut(&mut [u64])>(
    input: &[u8],
    count: usize,
    width: u32,
    sink: F,
) -> Result<usize> {
    if width > 64 {
        return Err(CodecError::Corrupt {
            what: "bit width <= 64",
            offset: 0,
        });
    }
    let needed = packed_len(count, width);
    if input.len() < needed {
        return Err(CodecError::Truncated {
            offset: input.len(),
            needed: needed - input.len(),
            available: input.len(),
        });
    }
    dispatch(width, input, count, sink);
    Ok(needed)
}

macro_rules! dispatch_widths {
    ($width:expr, $input:expr, $count:expr, $sink:expr; $($w:literal)*) => {
        match $width {
            $($w => unpack_all::<$w, F>($input, $count, $sink),)*
            _ => {}
        }
    };
}

fn dispatch<F: FnMut(&mut [u64])>(width: u32, input: &[u8], count: usize, sink: F) {
    dispatch_widths!(width, input, count, sink;
        0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
        32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60
        61 62 63 64);
}

/// Bytes of the scratch buffer one frame is copied into: a full frame
/// (at most 64 * 8 bytes) plus room for the 16-byte loads of its last value.
const PADDED: usize = FRAME * 8 + 16;

/// `input` holds at least `packed_len(count, W)` bytes.
fn unpack_all<const W: usize, F: FnMut(&mut [u64])>(input: &[u8], count: usize, mut sink: F) {
    // Made (and zeroed) only for frames too near the end of `input`.
    let mut scratch: Option<[u8; PADDED]> = None;
    let frame_bytes = W * 8;
    let full = count / FRAME;
    for index in 0..full {
        let source = frame_source::<W>(input, index * frame_bytes, FRAME, &mut scratch);
        // Made per frame: every slot is written, so the zeroing is removed.
        let mut values = [0u64; FRAME];
        unpack_frame::<W>(source, &mut values);
        // The whole array, so that the sink's loops know its length.
        sink(&mut values);
    }
    let rest = count % FRAME;
    if rest > 0 {
        let source = frame_source::<W>(input, full * frame_bytes, rest, &mut scratch);
        let mut values = [0u64; FRAME];
        unpack_frame::<W>(source, &mut values);
        sink(values.get_mut(..rest).unwrap_or_default());
    }
}

/// The `len` values of `W` bits at byte `start` of `input` as a fixed-size
/// array, which lets every load of [`unpack_frame`] use constant offsets
/// with no bounds checks: the input itself while a whole padded frame of
/// it remains (bytes past the frame only reach bits that are masked off),
/// else a copy into `scratch`.
#[inline(always)]
fn frame_source<'a, const W: usize>(
    input: &'a [u8],
    start: usize,
    len: usize,
    scratch: &'a mut Option<[u8; PADDED]>,
) -> &'a [u8; PADDED] {
    if let Some(direct) = input
        .get(start..)
        .and_then(|rest| rest.first_chunk::<PADDED>())
    {
        return direct;
    }
    let buf = scratch.get_or_insert([0; PADDED]);
    let bytes = (len * W).div_ceil(8);
    let frame = input.get(start..start + bytes).unwrap_or_default();
    if let Some(dest) = buf.get_mut(..frame.len()) {
        dest.copy_from_slice(frame);
    }
    buf
}

/// The 8 (or 16) little-endian bytes of `buf` starting at `offset`.
#[inline(always)]
fn load<const N: usize>(buf: &[u8; PADDED], offset: usize) -> [u8; N] {
    buf.get(offset..)
        .and_then(|rest| rest.first_chunk::<N>())
        .copied()
        .unwrap_or([0; N])
}

/// Unpacks one frame from the front of `buf`. Bytes past the frame may hold
/// anything: they only reach bits above `W`, which are masked off.
///
/// Eight values of `W` bits take exactly `W` bytes, so the frame is walked
/// in groups of eight whose offsets and shifts are compile-time constants
/// (the inner loop unrolls). Each value is one unaligned load, a shift and a
/// mask; widths above 56 bits can straddle nine bytes and load 16.
#[inline(always)]
fn unpack_frame<const W: usize>(buf: &[u8; PADDED], out: &mut [u64; FRAME]) {
    if W == 0 {
        *out = [0; FRAME];
        return;
    }
    let mask = u64::MAX >> (64 - W);
    for (group, slots) in out.chunks_exact_mut(8).enumerate() {
        let base = group * W;
        for (j, slot) in slots.iter_mut().enumerate() {
            let bit = j * W;
            let (offset, shift) = (base + bit / 8, bit % 8);
            *slot = if W <= 56 {
                (u64::from_le_bytes(load::<8>(buf, offset)) >> shift) & mask
            } else {
                ((u128::from_le_bytes(load::<16>(buf, offset)) >> shift) as u64) & mask
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(values: &[u64], width: u32) -> Vec<u64> {
        let mut bytes = vec![0xAA];
        pack(values, width, &mut bytes);
        assert_eq!(bytes.len(), 1 + packed_len(values.len(), width));
        let mut out = Vec::new();
        let used = unpack(&bytes[1..], values.len(), width, |f| {
            out.extend_from_slice(f)
        })
        .unwrap();
        assert_eq!(used, bytes.len() - 1);
        // Bytes after the packed values (the rest of a payload), which
        // whole-frame loads read, never reach a value.
        for extra in [1, 17, PADDED] {
            let mut followed = bytes.clone();
            followed.resize(bytes.len() + extra, 0xFF);
            let mut again = Vec::new();
            let used = unpack(&followed[1..], values.len(), width, |f| {
                again.extend_from_slice(f)
            })
            .unwrap();
            assert_eq!(used, bytes.len() - 1);
            assert_eq!(again, out, "followed by {extra} bytes");
        }
        out
    }

    #[test]
    fn every_width_and_tail_round_trips() {
        for width in 0..=64u32 {
            let mask = if width == 0 {
                0
            } else {
                u64::MAX >> (64 - width)
            };
            // Long enough that early frames are read in place and late ones
            // from the scratch copy.
            for count in [0, 1, 7, 63, 64, 65, 130, 200, 1000, 4100] {
                let values: Vec<u64> = (0..count as u64)
                    .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) & mask)
                    .collect();
                assert_eq!(
                    round_trip(&values, width),
                    values,
                    "width {width} count {count}"
                );
            }
        }
    }

    /// The packer as first written: a frame laid out bit by bit in words.
    fn reference_pack(values: &[u64], width: u32, out: &mut Vec<u8>) {
        for frame in values.chunks(FRAME) {
            let mut words = [0u64; FRAME + 1];
            if width > 0 {
                let mask = u64::MAX >> (64 - width);
                for (i, &value) in frame.iter().enumerate() {
                    let bit = i * width as usize;
                    let (index, shift) = (bit / 64, (bit % 64) as u32);
                    words[index] |= (value & mask) << shift;
                    if shift + width > 64 {
                        words[index + 1] |= (value & mask) >> (64 - shift);
                    }
                }
            }
            let bytes = (frame.len() * width as usize).div_ceil(8);
            let all: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            out.extend_from_slice(&all[..bytes]);
        }
    }

    #[test]
    fn packing_matches_the_reference_layout() {
        for width in 0..=64u32 {
            for count in [0, 1, 5, 63, 64, 65, 127, 128, 200, 1000] {
                // Unmasked values: bits above `width` must be ignored.
                let values: Vec<u64> = (0..count as u64)
                    .map(|i| (i + u64::from(width)).wrapping_mul(0x9E37_79B9_7F4A_7C15))
                    .collect();
                let (mut fast, mut slow) = (vec![7], vec![7]);
                pack(&values, width, &mut fast);
                reference_pack(&values, width, &mut slow);
                assert_eq!(fast, slow, "width {width} count {count}");
            }
        }
    }

    #[test]
    fn extremes_round_trip() {
        let values = vec![u64::MAX; 129];
        assert_eq!(round_trip(&values, 64), values);
        let ones = vec![1u64; 77];
        assert_eq!(round_trip(&ones, 1), ones);
    }

    #[test]
    fn short_input_is_truncated_and_bad_width_corrupt() {
        let mut bytes = Vec::new();
        pack(&[5; 100], 3, &mut bytes);
        for cut in 0..bytes.len() {
            let err = unpack(&bytes[..cut], 100, 3, |_| {}).unwrap_err();
            assert!(matches!(err, CodecError::Truncated { .. }), "{err:?}");
        }
        assert!(matches!(
            unpack(&bytes, 1, 65, |_| {}),
            Err(CodecError::Corrupt { .. })
        ));
    }

    #[test]
    fn lengths_and_widths() {
        assert_eq!(packed_len(64, 3), 24);
        assert_eq!(packed_len(65, 3), 25);
        assert_eq!(packed_len(1_000_000, 0), 0);
        assert_eq!(bit_width(0), 0);
        assert_eq!(bit_width(1), 1);
        assert_eq!(bit_width(u64::MAX), 64);
    }
}
