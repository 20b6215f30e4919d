//! ALP values in vectors (after Afroozeh, Kuffó & Boncz, SIGMOD 2024):
//! a block is cut into vectors of [`VECTOR`] values, and each vector has
//! its own decimal exponent and integer body, so a block whose stretches
//! have different numbers of decimals, or different local ranges, costs
//! what its parts would cost alone.
//!
//! See `FORMAT.md`, section "ALP vector values (0x31)". Layout:
//!
//! ```text
//! (empty when count == 0)
//! ceil(count / 512) vectors, each of 512 values but the last:
//!   u8      scheme: exponent e (<= 18), value = integer / 10^e;
//!           or 0x80, multiplier: value = from_bits(bits(integer * base)
//!           + adjustment), then
//!   [0x80:  f64 LE base]
//!   u8      mode: 0 = frame of reference, 1 = delta, 2 = delta of delta
//!   varint  exception count x (<= vector length)
//!   if x > 0:
//!     packed positions, x values of bit_width(length - 1) bits, ascending
//!     x raw f64 bit patterns, u64 LE each
//!   mode 0: centred run of the integers
//!   mode 1: varint zigzag(first integer), then (length >= 2) centred run
//!           of the deltas
//!   mode 2: varint zigzag(first integer), (length >= 2) varint
//!           zigzag(first delta), then (length >= 3) centred run of the
//!           deltas of deltas
//!   [0x80:  centred run of the length adjustments (u64, wrapping)]
//! ```
//!
//! The exponent of each vector is chosen among a few candidates sampled
//! once per block (see [`crate::alp::exponent::candidates`]). A vector
//! whose decimals cost more than [`MULTIPLIER_TRIAL_BITS`] bits per value
//! also tries the multiplier scheme (see [`multiplier`]): the base of the
//! vector before, then one found in the vector's values; the smaller
//! encoding is written.

mod decode;
mod multiplier;

use crate::alp::body::{Centred, best_body};
use crate::alp::exponent::{candidates, choose_among, choose_from, sample};
use crate::alp::split::split;
use crate::alp::write_parts;
use crate::pfor::varint::{Reader, put};
use crate::{CodecId, Result, ValueCodec, centred, check_count};

/// Values per vector; the last vector of a block may be shorter. ALP uses
/// 1,024; on the real datasets 512 gives the smallest blocks of 8,192
/// points (local ranges and exponents pay off more than the per-vector
/// header costs), 256 is smaller only for the smoothest series.
pub(crate) const VECTOR: usize = 512;

/// ALP decimal values in vectors of 512, each with its own exponent,
/// integer mode and frame of reference.
#[derive(Debug, Clone, Copy, Default)]
pub struct AlpVectorValues;

/// The scheme byte of the multiplier scheme.
pub(crate) const SCHEME_MULTIPLIER: u8 = 0x80;

/// Vectors whose decimal encoding takes more bits per value than this
/// also try the multiplier scheme.
const MULTIPLIER_TRIAL_BITS: usize = 16;

/// Values sampled to choose a vector's exponent again when the candidate
/// leaves too many exceptions.
const REPICK_SAMPLE: usize = 64;

/// Appends one vector: its exponent among `candidates` (or from a sample
/// of its values when the candidate leaves more than 1 in 16 as exceptions),
/// exceptions and smallest integer body; or, when that is large and the
/// multiplier scheme is smaller, the multiplier scheme. `base` is the
/// multiplier of the vector before, and becomes this vector's.
fn encode_vector(values: &[f64], candidates: &[u8], base: &mut Option<f64>, out: &mut Vec<u8>) {
    let start = out.len();
    let mut parts = split(values, choose_among(values, candidates));
    if parts.positions.len() * 16 > values.len() {
        parts = split(values, choose_from(&sample(values, REPICK_SAMPLE)));
    }
    write_parts::<Centred>(&parts, out);
    let decimal = out.len() - start;
    if decimal * 8 <= values.len() * MULTIPLIER_TRIAL_BITS {
        return;
    }
    // The base of the vector before first; a search only when it does not
    // beat the decimals.
    let previous = base.take();
    let tried = previous.and_then(|b| smaller_multiplier(values, b, decimal));
    let found = match tried {
        Some(found) => Some(found),
        None => multiplier::find(values).and_then(|b| smaller_multiplier(values, b, decimal)),
    };
    if let Some((candidate, bytes)) = found {
        *base = Some(candidate);
        out.truncate(start);
        out.extend_from_slice(&bytes);
    }
}

/// The multiplier scheme at `base` and its bytes, when shorter than `limit`.
fn smaller_multiplier(values: &[f64], base: f64, limit: usize) -> Option<(f64, Vec<u8>)> {
    let mut bytes = Vec::new();
    write_multiplier(values, base, &mut bytes);
    (bytes.len() < limit).then_some((base, bytes))
}

/// Appends `values` in the multiplier scheme at `base`.
fn write_multiplier(values: &[f64], base: f64, out: &mut Vec<u8>) {
    let (multiples, adjustments) = multiplier::split(values, base);
    let (mode, body) = best_body::<Centred>(&multiples);
    out.push(SCHEME_MULTIPLIER);
    out.extend_from_slice(&base.to_bits().to_le_bytes());
    out.push(mode);
    put(0, out);
    body.write(out);
    centred::write(&centred::plan_owned(adjustments), out);
}

/// Upper bound of one vector of `len` values: scheme, mode, base, a
/// ten-byte exception count, exceptions (position and raw bits), two
/// leading varints and the integer run, and a second run (multipliers'
/// adjustments).
fn max_vector_len(len: usize) -> usize {
    2 + 8 + 10 + len * 10 + 20 + 2 * centred::max_encoded_len(len)
}

impl ValueCodec for AlpVectorValues {
    fn id(&self) -> CodecId {
        CodecId::AlpVectorValues
    }

    fn max_encoded_len(&self, points: usize) -> usize {
        let full = points / VECTOR;
        let rest = points % VECTOR;
        let last = if rest == 0 { 0 } else { max_vector_len(rest) };
        full.saturating_mul(max_vector_len(VECTOR))
            .saturating_add(last)
    }

    fn encode(&self, values: &[f64], out: &mut Vec<u8>) -> Result<()> {
        check_count(values.len())?;
        let candidates = candidates(values);
        let mut base = None;
        for vector in values.chunks(VECTOR) {
            encode_vector(vector, &candidates, &mut base, out);
        }
        Ok(())
    }

    fn decode(&self, input: &[u8], count: usize, out: &mut Vec<f64>) -> Result<usize> {
        check_count(count)?;
        let start = out.len();
        let mut reader = Reader::new(input);
        let mut left = count;
        while left > 0 {
            let len = left.min(VECTOR);
            if let Err(e) = decode::vector(&mut reader, len, out) {
                out.truncate(start);
                return Err(e);
            }
            left -= len;
        }
        Ok(reader.pos())
    }
}

#[cfg(test)]
mod tests;
