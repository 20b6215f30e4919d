//! Patched frame of reference (PFOR) for runs of `u64`: the integer layer
//! under the delta-pack timestamp codec and the ALP value codec.
//!
//! See `FORMAT.md`, section "Patched frame of reference". Layout:
//!
//! ```text
//! varint  zigzag(offset as i64)
//! varint  gcd (>= 1)
//! u8      width (<= 64)
//! varint  exception count e (<= count)
//! if e > 0:
//!   u8    exception width (<= 64)
//!   packed positions, e values of bit_width(count - 1) bits, strictly ascending
//!   packed zigzag(x) of the exceptions, e values of the exception width
//! packed x, count values of `width` bits (0 at exception positions)
//! ```
//!
//! Value `i` is `offset + gcd * x_i`, wrapping; all arithmetic is modulo
//! 2^64, so any `u64` (and thus any `i64`) run round-trips.

pub(crate) mod divisor;
mod plan;
pub(crate) mod varint;
pub(crate) mod window;

use crate::bitpack::{bit_width, pack, packed_len, unpack};
use crate::{CodecError, Result};
use varint::{Reader, put, rebase, unzigzag, varint_len, zigzag};

#[cfg(test)]
pub(crate) use plan::plan;
pub(crate) use plan::{Plan, plan_owned};

/// Appends the PFOR encoding of `values` to `out`.
#[cfg(test)]
pub(crate) fn encode(values: &[u64], out: &mut Vec<u8>) {
    write(&plan(values), out);
}

/// Bit width of the zigzagged exception values of `plan`.
fn exception_width(plan: &Plan) -> u32 {
    plan.exception_values
        .iter()
        .map(|&z| bit_width(z))
        .max()
        .unwrap_or(0)
}

/// Appends the run `plan` describes (see [`plan_owned`]) to `out`: exactly
/// [`encoded_len`] bytes.
pub(crate) fn write(plan: &Plan, out: &mut Vec<u8>) {
    out.reserve(encoded_len(plan));
    put(zigzag(plan.offset as i64), out);
    put(plan.gcd, out);
    out.push(plan.width as u8);
    put(plan.exception_positions.len() as u64, out);
    if !plan.exception_positions.is_empty() {
        let width = exception_width(plan);
        out.push(width as u8);
        pack(
            &plan.exception_positions,
            position_width(plan.packed.len()),
            out,
        );
        pack(&plan.exception_values, width, out);
    }
    pack(&plan.packed, plan.width, out);
}

/// Bytes [`write`] appends for `plan`, computed from the header fields and
/// the packed widths without writing anything.
pub(crate) fn encoded_len(plan: &Plan) -> usize {
    let exceptions = plan.exception_positions.len();
    let mut len = varint_len(zigzag(plan.offset as i64))
        + varint_len(plan.gcd)
        + 1
        + varint_len(exceptions as u64)
        + packed_len(plan.packed.len(), plan.width);
    if exceptions > 0 {
        len += 1
            + packed_len(exceptions, position_width(plan.packed.len()))
            + packed_len(exceptions, exception_width(plan));
    }
    len
}

/// Upper bound of [`encode`]'s output for `count` values.
pub(crate) const fn max_encoded_len(count: usize) -> usize {
    // Header (<= 10 + 10 + 1 + 10 + 1 bytes), three byte-rounded packed
    // runs, and 64 bits per value: the planner only picks exceptions when
    // they cost fewer bits than packing every value at full width.
    48 + packed_len(count, 64)
}

fn position_width(count: usize) -> u32 {
    bit_width(count.saturating_sub(1) as u64)
}

/// Exceptions of one run: ascending positions and their packed values `x`.
#[derive(Debug, Default)]
struct Patches {
    positions: Vec<u64>,
    values: Vec<u64>,
}

fn read_patches(reader: &mut Reader<'_>, count: usize) -> Result<Patches> {
    let at = reader.pos();
    let exceptions = reader.varint()?;
    if exceptions > count as u64 {
        return Err(CodecError::Corrupt {
            what: "exception count <= point count",
            offset: at,
        });
    }
    let exceptions = exceptions as usize;
    let mut patches = Patches::default();
    if exceptions == 0 {
        return Ok(patches);
    }
    let width = reader.width()?;
    let at = reader.pos();
    let positions = &mut patches.positions;
    let used = unpack(reader.rest(), exceptions, position_width(count), |f| {
        positions.extend_from_slice(f)
    })
    .map_err(|e| rebase(e, at))?;
    reader.advance(used);
    let ascending = positions.windows(2).all(|w| w.first() < w.get(1));
    if !ascending || positions.last().is_some_and(|&p| p >= count as u64) {
        return Err(CodecError::Corrupt {
            what: "ascending exception positions",
            offset: at,
        });
    }
    let at = reader.pos();
    let values = &mut patches.values;
    let used = unpack(reader.rest(), exceptions, width, |f| {
        values.extend(f.iter().map(|&z| unzigzag(z) as u64))
    })
    .map_err(|e| rebase(e, at))?;
    reader.advance(used);
    Ok(patches)
}

/// A parsed run whose packed body is known to be complete, so decoding it
/// cannot fail: callers may reserve room for its values once parsed.
#[derive(Debug)]
pub(crate) struct Run<'a> {
    offset: u64,
    gcd: u64,
    width: u32,
    count: usize,
    patches: Patches,
    body: &'a [u8],
    /// Bytes of the whole run, header and body.
    pub len: usize,
}

impl<'a> Run<'a> {
    /// Parses the run of `count` values at the front of `input`.
    pub(crate) fn parse(input: &'a [u8], count: usize) -> Result<Self> {
        let mut reader = Reader::new(input);
        let offset = unzigzag(reader.varint()?) as u64;
        let at = reader.pos();
        let gcd = reader.varint()?;
        if gcd == 0 {
            return Err(CodecError::Corrupt {
                what: "common divisor >= 1",
                offset: at,
            });
        }
        let width = reader.width()?;
        let patches = read_patches(&mut reader, count)?;
        let at = reader.pos();
        let needed = packed_len(count, width);
        reader.require(needed)?;
        let body = reader.rest().get(..needed).unwrap_or_default();
        Ok(Self {
            offset,
            gcd,
            width,
            count,
            patches,
            body,
            len: at + needed,
        })
    }

    /// True when every value of the run equals [`Run::offset`] (width 0,
    /// no exceptions): a constant run, e.g. the deltas of a regular series.
    pub(crate) fn is_constant(&self) -> bool {
        self.width == 0 && self.patches.positions.is_empty()
    }

    /// An upper bound of every value of the run when all of them are known,
    /// from the header and exceptions alone, to lie in `0..=i64::MAX` (so
    /// they are non-negative as `i64`); `None` when that is not certain.
    pub(crate) fn nonnegative_bound(&self) -> Option<u64> {
        let limit = i64::MAX as u128;
        let top_x = (1u128 << self.width) - 1;
        let packed = u128::from(self.gcd)
            .checked_mul(top_x)?
            .checked_add(u128::from(self.offset))?;
        let mut bound = if packed <= limit {
            packed as u64
        } else {
            return None;
        };
        for &x in &self.patches.values {
            let value = self.offset.wrapping_add(self.gcd.wrapping_mul(x));
            if u128::from(value) > limit {
                return None;
            }
            bound = bound.max(value);
        }
        Some(bound)
    }

    /// Added to every scaled value.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// Multiplies every packed value (at least 1).
    pub(crate) fn gcd(&self) -> u64 {
        self.gcd
    }

    /// Hands the packed values `x` to `sink` in order, at most 64 at a
    /// time, exceptions already patched in; `sink` may transform the frame
    /// in place. Value `i` of the run is
    /// `offset + gcd * x_i` (wrapping); the caller applies that inside its
    /// own loop so the whole decode is one pass.
    pub(crate) fn decode_raw<F: FnMut(&mut [u64])>(self, mut sink: F) {
        let mut pending = self
            .patches
            .positions
            .iter()
            .zip(&self.patches.values)
            .peekable();
        let mut start = 0u64;
        // The body length was checked by `parse`, so this cannot fail.
        let _ = unpack(self.body, self.count, self.width, |frame| {
            let end = start + frame.len() as u64;
            while let Some((&position, &value)) = pending.next_if(|&(&p, _)| p < end) {
                if let Some(slot) = frame.get_mut((position - start) as usize) {
                    *slot = value;
                }
            }
            start = end;
            sink(frame);
        });
    }

    /// Hands the values (`offset + gcd * x`) to `sink` in order, at most 64
    /// at a time.
    #[cfg(test)]
    pub(crate) fn decode<F: FnMut(&[u64])>(self, mut sink: F) {
        let (offset, gcd) = (self.offset, self.gcd);
        self.decode_raw(|frame| {
            let values: Vec<u64> = frame
                .iter()
                .map(|&x| offset.wrapping_add(gcd.wrapping_mul(x)))
                .collect();
            sink(&values);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;

    fn round_trip(values: &[u64]) -> usize {
        let mut bytes = Vec::new();
        encode(values, &mut bytes);
        assert_eq!(encoded_len(&plan(values)), bytes.len());
        assert!(bytes.len() <= max_encoded_len(values.len()));
        let mut out = Vec::new();
        let run = Run::parse(&bytes, values.len()).unwrap();
        assert_eq!(run.len, bytes.len());
        run.decode(|f| out.extend_from_slice(f));
        assert_eq!(out, values);
        for cut in 0..bytes.len() {
            assert!(Run::parse(&bytes[..cut], values.len()).is_err());
        }
        bytes.len()
    }

    #[test]
    fn runs_round_trip() {
        round_trip(&[]);
        round_trip(&[u64::MAX]);
        round_trip(&[0, u64::MAX, 1 << 63, (1 << 63) - 1, 5]);
        let regular: Vec<u64> = (0..1000)
            .map(|i| if i % 97 == 0 { 2400 } else { 300 })
            .collect();
        assert!(round_trip(&regular) < 100);
        let mixed: Vec<u64> = (0..3000u64).map(|i| (i * i) % 1013 * 7 + 1).collect();
        round_trip(&mixed);
    }

    proptest::proptest! {
        #[test]
        fn computed_length_matches_the_written_run(
            values in proptest::collection::vec(
                proptest::prop_oneof![
                    0u64..16,
                    proptest::strategy::Just(300u64),
                    proptest::num::u64::ANY,
                    (0u64..1000).prop_map(|x| x * 7 + (1 << 40)),
                ],
                0..1500,
            )
        ) {
            round_trip(&values);
        }
    }

    #[test]
    fn corrupt_headers_are_typed_errors() {
        let mut bytes = Vec::new();
        encode(&[1, 2, 3, 1000], &mut bytes);
        // gcd of zero
        let mut bad = bytes.clone();
        bad[1] = 0;
        assert!(matches!(
            Run::parse(&bad, 4),
            Err(CodecError::Corrupt { .. })
        ));
        // exception count above the point count
        assert!(matches!(
            Run::parse(&[0, 1, 3, 9], 4),
            Err(CodecError::Corrupt { .. })
        ));
        // width above 64
        assert!(matches!(
            Run::parse(&[0, 1, 65, 0], 4),
            Err(CodecError::Corrupt { .. })
        ));
        // descending exception positions: count 4 => 2-bit positions 3, 1
        let bad = [0, 1, 0, 2, 1, 0b0111, 0];
        assert!(matches!(
            Run::parse(&bad, 4),
            Err(CodecError::Corrupt { .. })
        ));
    }
}
