//! Centred patched runs: the integer layer of the version-2 codecs.
//!
//! See `FORMAT.md`, section "Centred runs". Layout:
//!
//! ```text
//! varint  zigzag(centre as i64)
//! varint  gcd (>= 1)
//! u8      width w (<= 64)
//! varint  exception count e (<= count)
//! if e > 0:
//!   u8    high width h (1 ..= 64 - w)
//!   packed positions, e values of bit_width(count - 1) bits, strictly ascending
//!   packed high parts, e values of h bits
//! packed low parts, count values of w bits
//! ```
//!
//! Value `i` is `centre + gcd * unzigzag(z_i)` (wrapping), where `z_i` is
//! its low part, plus `high << w` at an exception position. Values in the
//! window of `2^w` multiples of `gcd` around the centre cost `w` bits;
//! an exception stores only the bits above `w`, so a run whose outliers
//! are close to the window pays little for them. Any `u64` run
//! round-trips.

mod plan;

use crate::bitpack::{bit_width, pack, packed_len, unpack};
use crate::pfor::varint::{Reader, put, rebase, unzigzag, varint_len, zigzag};
use crate::{CodecError, Result};

pub(crate) use plan::{Plan, estimate_bits, plan_owned};

/// Bit width of the exception positions of a run of `count` values.
fn position_width(count: usize) -> u32 {
    bit_width(count.saturating_sub(1) as u64)
}

/// Appends the run `plan` describes: exactly [`encoded_len`] bytes.
pub(crate) fn write(plan: &Plan, out: &mut Vec<u8>) {
    out.reserve(encoded_len(plan));
    put(zigzag(plan.centre as i64), out);
    put(plan.gcd, out);
    out.push(plan.width as u8);
    put(plan.positions.len() as u64, out);
    if !plan.positions.is_empty() {
        out.push(plan.high_width as u8);
        pack(&plan.positions, position_width(plan.body.len()), out);
        pack(&plan.highs, plan.high_width, out);
    }
    pack(&plan.body, plan.width, out);
}

/// Bytes [`write`] appends for `plan`, from its fields alone.
pub(crate) fn encoded_len(plan: &Plan) -> usize {
    let exceptions = plan.positions.len();
    let mut len = varint_len(zigzag(plan.centre as i64))
        + varint_len(plan.gcd)
        + 1
        + varint_len(exceptions as u64)
        + packed_len(plan.body.len(), plan.width);
    if exceptions > 0 {
        len += 1
            + packed_len(exceptions, position_width(plan.body.len()))
            + packed_len(exceptions, plan.high_width);
    }
    len
}

/// Upper bound of a run of `count` values: the header, and at most 64
/// bits per value in the body (the planner never chooses exceptions that
/// cost more than a full-width body) plus the byte rounding of the three
/// packed parts.
pub(crate) const fn max_encoded_len(count: usize) -> usize {
    48 + packed_len(count, 64)
}

/// The exceptions of a parsed run: ascending positions, then their high
/// parts, in one list (one allocation per run).
#[derive(Debug, Default)]
struct Exceptions {
    list: Vec<u64>,
    count: usize,
}

impl Exceptions {
    fn positions(&self) -> &[u64] {
        self.list.get(..self.count).unwrap_or_default()
    }

    fn highs(&self) -> &[u64] {
        self.list.get(self.count..).unwrap_or_default()
    }
}

fn read_exceptions(reader: &mut Reader<'_>, count: usize, width: u32) -> Result<Exceptions> {
    let at = reader.pos();
    let total = reader.varint()?;
    if total > count as u64 {
        return Err(CodecError::Corrupt {
            what: "exception count <= point count",
            offset: at,
        });
    }
    if total == 0 {
        return Ok(Exceptions::default());
    }
    let at = reader.pos();
    let high_width = reader.width()?;
    if high_width == 0 || high_width + width > 64 {
        return Err(CodecError::Corrupt {
            what: "exception high width in 1..=64 - width",
            offset: at,
        });
    }
    let total = total as usize;
    let at = reader.pos();
    // Reserve once, after checking that the positions are there (so a
    // corrupt count costs at most 128 bytes per byte of input).
    reader.require(packed_len(total, position_width(count)))?;
    let mut list = Vec::with_capacity(2 * total);
    let used = unpack(reader.rest(), total, position_width(count), |frame| {
        list.extend_from_slice(frame)
    })
    .map_err(|e| rebase(e, at))?;
    reader.advance(used);
    let ascending = list.windows(2).all(|w| w.first() < w.get(1));
    if !ascending || list.last().is_some_and(|&p| p >= count as u64) {
        return Err(CodecError::Corrupt {
            what: "ascending exception positions",
            offset: at,
        });
    }
    let at = reader.pos();
    let used = unpack(reader.rest(), total, high_width, |frame| {
        list.extend(frame.iter().map(|&h| h << width))
    })
    .map_err(|e| rebase(e, at))?;
    reader.advance(used);
    Ok(Exceptions { list, count: total })
}

/// A parsed run whose body is known to be complete, so decoding it cannot
/// fail: callers may reserve room for its values once it is parsed.
#[derive(Debug)]
pub(crate) struct Run<'a> {
    centre: u64,
    gcd: u64,
    width: u32,
    count: usize,
    exceptions: Exceptions,
    /// The packed `z`, then the rest of the input (never read as values).
    body: &'a [u8],
    /// Bytes of the whole run, header and body.
    pub len: usize,
}

impl<'a> Run<'a> {
    /// Parses the run of `count` values at the front of `input`.
    pub(crate) fn parse(input: &'a [u8], count: usize) -> Result<Self> {
        let mut reader = Reader::new(input);
        let centre = unzigzag(reader.varint()?) as u64;
        let at = reader.pos();
        let gcd = reader.varint()?;
        if gcd == 0 {
            return Err(CodecError::Corrupt {
                what: "common divisor >= 1",
                offset: at,
            });
        }
        let width = reader.width()?;
        let exceptions = read_exceptions(&mut reader, count, width)?;
        let at = reader.pos();
        let needed = packed_len(count, width);
        // The body and whatever follows it: unpacking reads whole frames
        // past the body's end where it can (and masks those bits off).
        reader.require(needed)?;
        let body = reader.rest();
        Ok(Self {
            centre,
            gcd,
            width,
            count,
            exceptions,
            body,
            len: at + needed,
        })
    }

    /// True when every value of the run is [`Run::centre`].
    pub(crate) fn is_constant(&self) -> bool {
        self.width == 0 && self.exceptions.count == 0
    }

    /// The value a zero `z` stands for.
    pub(crate) fn centre(&self) -> u64 {
        self.centre
    }

    /// True when the packed `z` take no bits: every value is the centre
    /// but for the exceptions.
    pub(crate) fn is_flat(&self) -> bool {
        self.width == 0
    }

    /// How many values the run holds.
    pub(crate) fn count(&self) -> usize {
        self.count
    }

    /// The exceptions of a flat run ([`Run::is_flat`]) as `(position, z)`,
    /// positions ascending and below [`Run::count`] (checked when parsed):
    /// every other `z` is zero. Lets a caller skip the empty body.
    pub(crate) fn flat_outliers(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        let exceptions = &self.exceptions;
        let highs = if self.is_flat() {
            exceptions.highs()
        } else {
            &[]
        };
        exceptions
            .positions()
            .iter()
            .copied()
            .zip(highs.iter().copied())
    }

    /// Multiplies every `unzigzag(z)` (at least 1).
    pub(crate) fn gcd(&self) -> u64 {
        self.gcd
    }

    /// The smallest and largest value of the run as `i64`, from the header,
    /// the exceptions and their low bits alone (every other `z` is taken as
    /// anything below `2^w`); `None` when a value may wrap around the `i64`
    /// range, so that no bound is certain.
    pub(crate) fn bounds(&self) -> Option<(i64, i64)> {
        let (centre, gcd) = (i128::from(self.centre as i64), i128::from(self.gcd));
        let value = |k: i128| gcd.checked_mul(k).and_then(|x| x.checked_add(centre));
        let (mut low, mut high) = match self.width {
            0 => (centre, centre),
            w => (value(-(1i128 << (w - 1)))?, value((1i128 << (w - 1)) - 1)?),
        };
        let exceptions = &self.exceptions;
        for (&position, &high_part) in exceptions.positions().iter().zip(exceptions.highs()) {
            let z = high_part | self.low_bits(position);
            let v = value(i128::from(unzigzag(z)))?;
            (low, high) = (low.min(v), high.max(v));
        }
        Some((i64::try_from(low).ok()?, i64::try_from(high).ok()?))
    }

    /// A bound on the magnitude of every value of the run, from the header
    /// and the exceptions' high parts alone: cheaper and looser than
    /// [`Run::bounds`], which reads each exception's low bits.
    pub(crate) fn magnitude(&self) -> u128 {
        let mask = u64::MAX.checked_shr(64 - self.width).unwrap_or(0);
        let highs = self.exceptions.highs().iter().fold(0, |acc, &h| acc | h);
        // Every `z` is at most `highs | mask`; `|unzigzag(z)| <= z / 2 + 1`.
        let z = u128::from((highs | mask) >> 1) + 1;
        u128::from((self.centre as i64).unsigned_abs()) + u128::from(self.gcd) * z
    }

    /// The packed low bits of value `position`: the body is one little-endian
    /// bit stream with value `i` at bits `i * w ..` (full frames of 64 values
    /// take exactly `w` words).
    fn low_bits(&self, position: u64) -> u64 {
        let w = u64::from(self.width);
        if w == 0 {
            return 0;
        }
        let bit = position * w;
        let mut word = [0u8; 16];
        let at = (bit / 8) as usize;
        let available = self.body.get(at..).unwrap_or_default();
        let take = available.len().min(16);
        if let (Some(dest), Some(src)) = (word.get_mut(..take), available.get(..take)) {
            dest.copy_from_slice(src);
        }
        let mask = u64::MAX >> (64 - w);
        ((u128::from_le_bytes(word) >> (bit % 8)) as u64) & mask
    }

    /// Hands the `z` of every value to `sink` in order, at most 64 at a
    /// time, exception high parts already added; `sink` may transform the
    /// frame in place. Value `i` is `centre + gcd * unzigzag(z_i)`
    /// (wrapping): the caller applies that inside its own loop, so the whole
    /// decode is one pass.
    pub(crate) fn decode_raw<F: FnMut(&mut [u64])>(self, mut sink: F) {
        let exceptions = &self.exceptions;
        let mut pending = exceptions
            .positions()
            .iter()
            .zip(exceptions.highs())
            .peekable();
        let mut start = 0u64;
        // The body length was checked by `parse`, so this cannot fail.
        let _ = unpack(self.body, self.count, self.width, |frame| {
            let end = start + frame.len() as u64;
            while let Some((&position, &high)) = pending.next_if(|&(&p, _)| p < end) {
                if let Some(slot) = frame.get_mut((position - start) as usize) {
                    *slot |= high;
                }
            }
            start = end;
            sink(frame);
        });
    }

    /// Hands the values (`centre + gcd * unzigzag(z)`) to `sink` in order,
    /// at most 64 at a time.
    #[cfg(test)]
    pub(crate) fn decode<F: FnMut(&[u64])>(self, mut sink: F) {
        let (centre, gcd) = (self.centre, self.gcd);
        self.decode_raw(|frame| {
            let values: Vec<u64> = frame.iter().map(|&z| value(centre, gcd, z)).collect();
            sink(&values);
        });
    }
}

/// `centre + gcd * unzigzag(z)`, wrapping: the value a stored `z` stands for.
#[inline(always)]
pub(crate) fn value(centre: u64, gcd: u64, z: u64) -> u64 {
    centre.wrapping_add(gcd.wrapping_mul(unzigzag(z) as u64))
}

#[cfg(test)]
mod tests;
