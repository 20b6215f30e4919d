//! ALP-style decimal values (after Afroozeh, Kuffó & Boncz, "ALP: Adaptive
//! Lossless floating-Point Compression", SIGMOD 2024).
//!
//! Per block, one power of ten turns the values into integers that convert
//! back bit-exactly (see [`exponent`]); the integers are stored as a
//! patched frame-of-reference run, either directly, as deltas or as deltas
//! of deltas, whichever is smallest. Values that do not convert (NaN payloads, `-0.0`,
//! infinities, long computed fractions) are exceptions kept as raw bits.
//! Exponent 0 is the integer fast path: no division on decode.
//!
//! See `FORMAT.md`, section "ALP values (0x21)". Layout:
//!
//! ```text
//! (empty when count == 0)
//! u8      exponent e (<= 18): value = integer / 10^e
//! u8      mode: 0 = frame of reference, 1 = delta, 2 = delta of delta
//! varint  exception count x (<= count)
//! if x > 0:
//!   packed positions, x values of bit_width(count - 1) bits, strictly ascending
//!   x raw f64 bit patterns, u64 LE each
//! mode 0: PFOR run of the count integers
//! mode 1: varint zigzag(first integer), then (count >= 2) PFOR run of the
//!         count - 1 deltas between neighbouring integers
//! mode 2: varint zigzag(first integer), (count >= 2) varint zigzag(first
//!         delta), then (count >= 3) PFOR run of the count - 2 deltas of
//!         deltas
//! ```
//!
//! The integer stored at an exception's position repeats the previous
//! integer, so it costs nothing in either mode.

pub(crate) mod body;
pub(crate) mod exponent;
mod fused;
pub(crate) mod split;

use crate::bitpack::{bit_width, pack, unpack};
use crate::pfor::varint::{Reader, put, rebase, unzigzag};
use crate::{CodecError, CodecId, Result, ValueCodec, check_count, pfor};
use body::{Layer, MODE_DELTA2, MODE_FOR, Pfor, best_body};
use exponent::{MAX_EXPONENT, decode_one, pow10};
use split::{Split, split};

/// ALP-style decimal codec for `f64` values, with an integer fast path.
#[derive(Debug, Clone, Copy, Default)]
pub struct AlpValues;

impl ValueCodec for AlpValues {
    fn id(&self) -> CodecId {
        CodecId::AlpValues
    }

    fn max_encoded_len(&self, points: usize) -> usize {
        // Header, exceptions (position + raw bits each) and the integer run.
        let exceptions = points.saturating_mul(8 + 4);
        (16 + 10usize)
            .saturating_add(exceptions)
            .saturating_add(pfor::max_encoded_len(points))
    }

    fn encode(&self, values: &[f64], out: &mut Vec<u8>) -> Result<()> {
        check_count(values.len())?;
        if values.is_empty() {
            return Ok(());
        }
        let mut parts = split(values, exponent::choose(values));
        if parts.positions.len() * 16 > values.len() {
            // The sample misled us: choose again from the whole block.
            parts = split(values, exponent::choose_from(values));
        }
        write_parts::<Pfor>(&parts, out);
        Ok(())
    }

    fn decode(&self, input: &[u8], count: usize, out: &mut Vec<f64>) -> Result<usize> {
        check_count(count)?;
        if count == 0 {
            return Ok(0);
        }
        let start = out.len();
        let result = decode_block(input, count, out);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }
}

fn position_width(count: usize) -> u32 {
    bit_width(count.saturating_sub(1) as u64)
}

/// Appends exponent, mode, exceptions and the smallest integer body of
/// `parts` (the values of one ALP payload, or of one vector of one), with
/// the integer layer `L`.
pub(crate) fn write_parts<L: Layer>(parts: &Split, out: &mut Vec<u8>) {
    let (mode, body) = best_body::<L>(&parts.ints);
    out.extend_from_slice(&[parts.exponent, mode]);
    put(parts.positions.len() as u64, out);
    if !parts.positions.is_empty() {
        pack(&parts.positions, position_width(parts.ints.len()), out);
        parts
            .raw
            .iter()
            .for_each(|bits| out.extend_from_slice(&bits.to_le_bytes()));
    }
    body.write(out);
}

/// Exception positions and their raw bit patterns.
pub(crate) type Patches = Vec<(u64, u64)>;

/// Reads the header and exceptions; returns exponent, mode and patches.
fn read_head(reader: &mut Reader<'_>, count: usize) -> Result<(u8, u8, Patches)> {
    let at = reader.pos();
    let e = reader.byte()?;
    if e > MAX_EXPONENT {
        return Err(CodecError::Corrupt {
            what: "decimal exponent <= 18",
            offset: at,
        });
    }
    let mode = read_mode(reader)?;
    Ok((e, mode, read_patches(reader, count)?))
}

/// Reads a mode byte (0, 1 or 2).
pub(crate) fn read_mode(reader: &mut Reader<'_>) -> Result<u8> {
    let at = reader.pos();
    let mode = reader.byte()?;
    if mode > MODE_DELTA2 {
        return Err(CodecError::Corrupt {
            what: "ALP mode 0, 1 or 2",
            offset: at,
        });
    }
    Ok(mode)
}

/// Reads the exceptions of `count` values: their count, positions and raw
/// bit patterns.
pub(crate) fn read_patches(reader: &mut Reader<'_>, count: usize) -> Result<Patches> {
    let at = reader.pos();
    let exceptions = reader.varint()?;
    if exceptions > count as u64 {
        return Err(CodecError::Corrupt {
            what: "exception count <= point count",
            offset: at,
        });
    }
    let exceptions = exceptions as usize;
    // Each exception takes 8 bytes of raw bits: refuse before allocating.
    reader.require(exceptions * 8)?;
    let mut patches = Vec::with_capacity(exceptions);
    if exceptions == 0 {
        return Ok(patches);
    }
    let at = reader.pos();
    let used = unpack(reader.rest(), exceptions, position_width(count), |f| {
        patches.extend(f.iter().map(|&p| (p, 0)))
    })
    .map_err(|err| rebase(err, at))?;
    reader.advance(used);
    let ascending = patches
        .windows(2)
        .all(|w| w.first().map(|a| a.0) < w.get(1).map(|b| b.0));
    if !ascending || patches.last().is_some_and(|&(p, _)| p >= count as u64) {
        return Err(CodecError::Corrupt {
            what: "ascending exception positions",
            offset: at,
        });
    }
    for patch in &mut patches {
        patch.1 = reader.u64_le()?;
    }
    Ok(patches)
}

/// Overwrites every exception position of `decoded` with its raw bits.
pub(crate) fn apply_patches(decoded: &mut [f64], patches: Patches) {
    for (position, bits) in patches {
        if let Some(slot) = decoded.get_mut(position as usize) {
            *slot = f64::from_bits(bits);
        }
    }
}

fn decode_block(input: &[u8], count: usize, out: &mut Vec<f64>) -> Result<usize> {
    let mut reader = Reader::new(input);
    let (e, mode, patches) = read_head(&mut reader, count)?;
    let divisor = pow10(e);
    let start = out.len();
    let used = if mode == MODE_FOR {
        let at = reader.pos();
        let run = pfor::Run::parse(reader.rest(), count).map_err(|err| rebase(err, at))?;
        let len = run.len;
        out.reserve(count);
        decode_for(run, divisor, out);
        at + len
    } else {
        decode_deltas(&mut reader, count, mode, divisor, out)?
    };
    apply_patches(out.get_mut(start..).unwrap_or_default(), patches);
    Ok(used)
}

/// Mode 0: every integer is `offset + gcd * x`. One pass per frame of 64,
/// in place in the unpacked frame (kept in L1), then converted onto `out`,
/// which has room for the run.
fn decode_for(run: pfor::Run<'_>, divisor: f64, out: &mut Vec<f64>) {
    let (offset, gcd) = (run.offset(), run.gcd());
    run.decode_raw(|xs| {
        // Copies of the captured scalars, so they stay in registers.
        let (offset, gcd, divisor) = (offset, gcd, divisor);
        if gcd == 1 {
            xs.iter_mut().for_each(|x| *x = offset.wrapping_add(*x));
        } else {
            xs.iter_mut()
                .for_each(|x| *x = offset.wrapping_add(gcd.wrapping_mul(*x)));
        }
        exponent::convert(xs, out, divisor);
    });
}

/// Modes 1 and 2: leading integer (and delta), then a run of differences
/// of that order, summed back up in registers, frame by frame.
fn decode_deltas(
    reader: &mut Reader<'_>,
    count: usize,
    order: u8,
    divisor: f64,
    out: &mut Vec<f64>,
) -> Result<usize> {
    let mut previous = unzigzag(reader.varint()?);
    let mut step = 0i64;
    let mut leading = 1;
    if order == MODE_DELTA2 && count >= 2 {
        step = unzigzag(reader.varint()?);
        leading = 2;
    }
    let at = reader.pos();
    if count <= leading {
        out.push(decode_one(previous, divisor));
        if count == 2 {
            out.push(decode_one(previous.wrapping_add(step), divisor));
        }
        return Ok(at);
    }
    let run = pfor::Run::parse(reader.rest(), count - leading).map_err(|err| rebase(err, at))?;
    let len = run.len;
    out.reserve(count);
    out.push(decode_one(previous, divisor));
    if leading == 2 {
        previous = previous.wrapping_add(step);
        out.push(decode_one(previous, divisor));
    }
    let (offset, gcd) = (run.offset(), run.gcd());
    let mut state = (previous as u64, step as u64);
    run.decode_raw(|xs| {
        state = running_sums(xs, state, offset, gcd, leading == 2);
        exponent::convert(xs, out, divisor);
    });
    Ok(at + len)
}

/// Replaces every `x` of a frame by its integer, where `offset + gcd * x`
/// is a delta (`order2` false) or a delta of deltas (`order2` true), given
/// the integer and delta `(sum, slope)` before the frame; returns them after
/// it. The sums are locals so they stay in registers; each case is its own
/// loop so the common `gcd == 1` has no multiply.
#[inline(always)]
fn running_sums(
    xs: &mut [u64],
    (mut sum, mut slope): (u64, u64),
    offset: u64,
    gcd: u64,
    order2: bool,
) -> (u64, u64) {
    let delta = |x: u64| offset.wrapping_add(gcd.wrapping_mul(x));
    match (order2, gcd == 1) {
        (true, true) => xs.iter_mut().for_each(|x| {
            slope = slope.wrapping_add(offset.wrapping_add(*x));
            sum = sum.wrapping_add(slope);
            *x = sum;
        }),
        (true, false) => xs.iter_mut().for_each(|x| {
            slope = slope.wrapping_add(delta(*x));
            sum = sum.wrapping_add(slope);
            *x = sum;
        }),
        (false, true) => xs.iter_mut().for_each(|x| {
            sum = sum.wrapping_add(offset.wrapping_add(*x));
            *x = sum;
        }),
        (false, false) => xs.iter_mut().for_each(|x| {
            sum = sum.wrapping_add(delta(*x));
            *x = sum;
        }),
    }
    (sum, slope)
}

#[cfg(test)]
pub(crate) mod tests;
