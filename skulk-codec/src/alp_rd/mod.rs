//! ALP-RD for real doubles (after Afroozeh, Kuffó & Boncz, SIGMOD 2024):
//! each value's 64 bits are cut in two; the right part is bit-packed as it
//! is, the left part (sign, exponent and the top of the mantissa, which
//! take few distinct values) is coded through a dictionary of at most 8
//! entries, and left parts outside it are exceptions.
//!
//! See `FORMAT.md`, section "ALP-RD values (0x32)". Layout:
//!
//! ```text
//! (empty when count == 0)
//! u8      right width p (48..=63)
//! u8      dictionary size k (1..=8)
//! k x u16 LE  the dictionary's left parts (each < 2^(64 - p))
//! varint  exception count x (<= count)
//! if x > 0:
//!   packed positions, x values of bit_width(count - 1) bits, ascending
//!   packed left parts, x values of 64 - p bits
//! packed codes, count values of bit_width(k - 1) bits (each < k; 0 at exceptions)
//! packed right parts, count values of p bits
//! ```
//!
//! Decoding: `bits_i = (left_i << p) | right_i`, with `left_i` the
//! dictionary entry of code `i`, or the exception's left part. Only bits
//! move, so every bit pattern round-trips.

mod cut;

use crate::bitpack::{bit_width, pack, packed_len, unpack};
use crate::pfor::varint::{Reader, put, rebase};
use crate::{CodecError, CodecId, Result, ValueCodec, check_count};
use cut::{Cut, MAX_DICTIONARY, MAX_RIGHT, MIN_RIGHT};

/// ALP-RD: real doubles as dictionary-coded left bits and packed right bits.
#[derive(Debug, Clone, Copy, Default)]
pub struct AlpRdValues;

fn position_width(count: usize) -> u32 {
    bit_width(count.saturating_sub(1) as u64)
}

/// The packed parts of a block at a cut.
struct Parts {
    codes: Vec<u64>,
    rights: Vec<u64>,
    positions: Vec<u64>,
    lefts: Vec<u64>,
}

fn split(values: &[f64], cut: &Cut) -> Parts {
    let mask = u64::MAX >> (64 - cut.right);
    let mut parts = Parts {
        codes: Vec::with_capacity(values.len()),
        rights: Vec::with_capacity(values.len()),
        positions: Vec::new(),
        lefts: Vec::new(),
    };
    for (i, v) in values.iter().enumerate() {
        let bits = v.to_bits();
        let left = bits >> cut.right;
        parts.rights.push(bits & mask);
        match cut.code(left as u16) {
            Some(code) => parts.codes.push(code),
            None => {
                parts.codes.push(0);
                parts.positions.push(i as u64);
                parts.lefts.push(left);
            }
        }
    }
    parts
}

impl ValueCodec for AlpRdValues {
    fn id(&self) -> CodecId {
        CodecId::AlpRdValues
    }

    fn max_encoded_len(&self, points: usize) -> usize {
        // Header and dictionary, then at most a position and 16 left bits
        // per value, 3 code bits and 63 right bits: 84 bits (rounded up
        // per packed part).
        (2 + 2 * MAX_DICTIONARY + 10 + 4).saturating_add(points.saturating_mul(11))
    }

    fn encode(&self, values: &[f64], out: &mut Vec<u8>) -> Result<()> {
        check_count(values.len())?;
        if values.is_empty() {
            return Ok(());
        }
        let cut = cut::choose(values);
        let parts = split(values, &cut);
        out.extend_from_slice(&[cut.right as u8, cut.dictionary.len() as u8]);
        for left in &cut.dictionary {
            out.extend_from_slice(&left.to_le_bytes());
        }
        put(parts.positions.len() as u64, out);
        if !parts.positions.is_empty() {
            pack(&parts.positions, position_width(values.len()), out);
            pack(&parts.lefts, 64 - cut.right, out);
        }
        pack(&parts.codes, cut.code_width(), out);
        pack(&parts.rights, cut.right, out);
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

/// Reads the cut: right width and dictionary.
fn read_cut(reader: &mut Reader<'_>) -> Result<Cut> {
    let right = u32::from(reader.byte()?);
    if !(MIN_RIGHT..=MAX_RIGHT).contains(&right) {
        return Err(CodecError::Corrupt {
            what: "ALP-RD right width in 48..=63",
            offset: 0,
        });
    }
    let size = usize::from(reader.byte()?);
    if !(1..=MAX_DICTIONARY).contains(&size) {
        return Err(CodecError::Corrupt {
            what: "ALP-RD dictionary of 1 to 8 entries",
            offset: 1,
        });
    }
    let mut dictionary = Vec::with_capacity(size);
    for _ in 0..size {
        let at = reader.pos();
        let [low, high] = [reader.byte()?, reader.byte()?];
        let left = u16::from_le_bytes([low, high]);
        if u64::from(left) >> (64 - right) != 0 {
            return Err(CodecError::Corrupt {
                what: "ALP-RD dictionary entry of 64 - right width bits",
                offset: at,
            });
        }
        dictionary.push(left);
    }
    Ok(Cut { right, dictionary })
}

/// Reads the exceptions: positions and left parts, as `(position, left)`.
fn read_exceptions(reader: &mut Reader<'_>, count: usize, right: u32) -> Result<Vec<(u64, u64)>> {
    let at = reader.pos();
    let total = reader.varint()?;
    if total > count as u64 {
        return Err(CodecError::Corrupt {
            what: "exception count <= point count",
            offset: at,
        });
    }
    let total = total as usize;
    let mut exceptions: Vec<(u64, u64)> = Vec::new();
    if total == 0 {
        return Ok(exceptions);
    }
    let at = reader.pos();
    let used = unpack(reader.rest(), total, position_width(count), |frame| {
        exceptions.extend(frame.iter().map(|&p| (p, 0)))
    })
    .map_err(|e| rebase(e, at))?;
    reader.advance(used);
    let ascending = exceptions
        .windows(2)
        .all(|w| w.first().map(|a| a.0) < w.get(1).map(|b| b.0));
    if !ascending || exceptions.last().is_some_and(|&(p, _)| p >= count as u64) {
        return Err(CodecError::Corrupt {
            what: "ascending exception positions",
            offset: at,
        });
    }
    let at = reader.pos();
    let mut slots = exceptions.iter_mut();
    let used = unpack(reader.rest(), total, 64 - right, |frame| {
        // The frame first: `zip` stops on it without taking another slot.
        for (&left, slot) in frame.iter().zip(slots.by_ref()) {
            slot.1 = left;
        }
    })
    .map_err(|e| rebase(e, at))?;
    reader.advance(used);
    Ok(exceptions)
}

fn decode_block(input: &[u8], count: usize, out: &mut Vec<f64>) -> Result<usize> {
    let mut reader = Reader::new(input);
    let cut = read_cut(&mut reader)?;
    let exceptions = read_exceptions(&mut reader, count, cut.right)?;
    let code_width = cut.code_width();
    let at = reader.pos();
    let rest = reader.rest();
    let (codes_len, rights_len) = (packed_len(count, code_width), packed_len(count, cut.right));
    if rest.len() < codes_len + rights_len {
        return Err(CodecError::Truncated {
            offset: input.len(),
            needed: codes_len + rights_len - rest.len(),
            available: rest.len(),
        });
    }
    // The dictionary, shifted into place and padded to a power of two, so
    // a code picks its entry with a mask; codes past the dictionary are
    // caught by one comparison per frame.
    let mut lefts = [0u64; MAX_DICTIONARY];
    for (slot, &left) in lefts.iter_mut().zip(&cut.dictionary) {
        *slot = u64::from(left) << cut.right;
    }
    // Codes are below 2^3, so a byte holds one; `c - size` wraps to a
    // number with its top bit set exactly when `c < size`, which an OR over
    // the frame collects without a (scalar-only on SSE2) 64-bit compare.
    let size = cut.dictionary.len() as u64;
    let mut codes: Vec<u8> = Vec::with_capacity(count);
    let mut outside = 0u64;
    unpack(rest, count, code_width, |frame| {
        outside |= frame
            .iter()
            .fold(0, |acc, &c| acc | !c.wrapping_sub(size) >> 63);
        codes.extend(frame.iter().map(|&c| c as u8));
    })
    .map_err(|e| rebase(e, at))?;
    if outside != 0 {
        return Err(CodecError::Corrupt {
            what: "ALP-RD codes below the dictionary size",
            offset: at,
        });
    }
    let start = out.len();
    out.reserve(count);
    let mut codes = codes.chunks(64);
    let rights = rest.get(codes_len..).unwrap_or_default();
    unpack(rights, count, cut.right, |frame| {
        let frame_codes = codes.next().unwrap_or_default();
        out.extend(frame.iter().zip(frame_codes).map(|(&right, &code)| {
            let left = lefts.get((code & 7) as usize).copied().unwrap_or(0);
            f64::from_bits(left | right)
        }));
    })
    .map_err(|e| rebase(e, at + codes_len))?;
    let decoded = out.get_mut(start..).unwrap_or_default();
    for (position, left) in exceptions {
        if let Some(slot) = decoded.get_mut(position as usize) {
            *slot = f64::from_bits(
                (left << cut.right) | (slot.to_bits() & (u64::MAX >> (64 - cut.right))),
            );
        }
    }
    Ok(at + codes_len + rights_len)
}

#[cfg(test)]
mod tests;
