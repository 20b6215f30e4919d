//! Decoding step timestamps: the header, then one pass over the residual
//! run per frame of 64, or none at all when the run is constant.

use super::fraction::Step;
use super::{MODEL_DELTAS, MODEL_LINE};
use crate::pfor::varint::{Reader, rebase, unzigzag};
use crate::{CodecError, Result, centred, check_count};

/// A varint that must fit in 32 bits.
fn read_u32(reader: &mut Reader<'_>) -> Result<u32> {
    let at = reader.pos();
    u32::try_from(reader.varint()?).map_err(|_| CodecError::Corrupt {
        what: "step fraction and phase below 2^32",
        offset: at,
    })
}

/// The step and model of the header after the first timestamp.
fn read_header(reader: &mut Reader<'_>) -> Result<(Step, u8)> {
    let whole = unzigzag(reader.varint()?);
    let fraction = read_u32(reader)?;
    let phase = read_u32(reader)?;
    let at = reader.pos();
    let model = reader.byte()?;
    if model > MODEL_LINE {
        return Err(CodecError::Corrupt {
            what: "step timestamp model 0 or 1",
            offset: at,
        });
    }
    let step = Step {
        whole,
        fraction,
        phase,
    };
    Ok((step, model))
}

/// Decodes like [`crate::TimestampCodec::decode`] and also tells whether
/// the timestamps are known to be non-decreasing from the header and the
/// run's bounds alone, so that a block reader needs no pass for its
/// min/max. On error `out` is left as it was.
pub(super) fn decode_sorted(
    input: &[u8],
    count: usize,
    out: &mut Vec<i64>,
) -> Result<(usize, bool)> {
    check_count(count)?;
    if count == 0 {
        return Ok((0, true));
    }
    let Some((head, rest)) = input.split_first_chunk::<8>() else {
        return Err(CodecError::Truncated {
            offset: input.len(),
            needed: 8 - input.len(),
            available: input.len(),
        });
    };
    let first = i64::from_le_bytes(*head);
    if count == 1 {
        out.push(first);
        return Ok((8, true));
    }
    let mut reader = Reader::new(rest);
    let (step, model) = read_header(&mut reader).map_err(|e| rebase(e, 8))?;
    let at = 8 + reader.pos();
    let run = centred::Run::parse(reader.rest(), count - 1).map_err(|e| rebase(e, at))?;
    let sorted = known_sorted(first, step, model, &run, count);
    let used = at + run.len;
    out.reserve(count);
    out.push(first);
    match (model, run.is_constant()) {
        (MODEL_DELTAS, true) => line(first, step, run.centre(), count, out),
        (MODEL_DELTAS, false) => summed(first, step, run, out),
        (_, true) => {
            let last = out.len();
            line(first, step, 0, count, out);
            let offset = run.centre() as i64;
            let points = out.get_mut(last..).unwrap_or_default();
            points.iter_mut().for_each(|t| *t = t.wrapping_add(offset));
        }
        (_, false) => offsets(first, step, run, out),
    }
    Ok((used, sorted))
}

/// Whether every timestamp is at least the one before and none can pass
/// `i64::MAX`, from the run's bounds: a delta is `q + carry + r` (model 0)
/// or `q + carry + r_i - r_{i-1}`, with `r_0 = 0` (model 1).
fn known_sorted(first: i64, step: Step, model: u8, run: &centred::Run<'_>, count: usize) -> bool {
    let Some((low, high)) = run.bounds() else {
        return false;
    };
    let (low, high) = (i128::from(low), i128::from(high));
    let carry = i128::from(step.fraction != 0);
    let whole = i128::from(step.whole);
    let (smallest, largest) = if model == MODEL_DELTAS {
        (whole + low, whole + carry + high)
    } else {
        (
            whole + low.min(0) - high.max(0),
            whole + carry + high.max(0) - low.min(0),
        )
    };
    smallest >= 0 && i128::from(first) + largest * (count as i128 - 1) <= i128::from(i64::MAX)
}

/// `t_i = t0 + i * (q + residual) + F(i) - F(0)`, with no dependency
/// between points: the products by `i` are running sums (induction
/// variables the compiler steps four or eight at a time), since SSE2 has no
/// 64-bit multiply.
fn line(first: i64, step: Step, residual: u64, count: usize, out: &mut Vec<i64>) {
    let per_step = step.whole.wrapping_add(residual as i64);
    let mut t = first;
    if step.fraction == 0 {
        out.extend((1..count).map(|_| {
            t = t.wrapping_add(per_step);
            t
        }));
    } else {
        let origin = first.wrapping_sub(step.carry_sum(0) as i64);
        let (fraction, mut carried) = (u64::from(step.fraction), u64::from(step.phase));
        let mut line = 0i64;
        out.extend((1..count).map(|_| {
            line = line.wrapping_add(per_step);
            carried = carried.wrapping_add(fraction);
            origin
                .wrapping_add(line)
                .wrapping_add((carried >> 32) as i64)
        }));
    }
}

/// Model 0 over a flat run with a whole step (a regular series with a few
/// outliers): lines between the outliers, found from their positions
/// alone, without unpacking the empty body frame by frame. Out of line, so
/// that the decoder of every other column stays as compact as it was.
#[inline(never)]
fn summed_flat(first: i64, whole: i64, run: centred::Run<'_>, out: &mut Vec<i64>) {
    let gcd = run.gcd();
    let per_step = whole.wrapping_add(run.centre() as i64);
    let mut sum = first;
    // Each stretch between outliers is a line, whose sum is an induction
    // variable the compiler steps several points at a time.
    let line_to = |end: u64, sum: &mut i64, out: &mut Vec<i64>| {
        let mut t = *sum;
        out.extend((0..end).map(|_| {
            t = t.wrapping_add(per_step);
            t
        }));
        *sum = t;
    };
    let mut at = 0u64;
    for (position, z) in run.flat_outliers() {
        line_to(position.saturating_sub(at), &mut sum, out);
        let r = gcd.wrapping_mul(unzigzag(z) as u64) as i64;
        sum = sum.wrapping_add(per_step.wrapping_add(r));
        out.push(sum);
        at = position + 1;
    }
    line_to((run.count() as u64).saturating_sub(at), &mut sum, out);
}

/// Model 0 in general: a running sum of `q + carry + r`, frame by frame.
fn summed(first: i64, step: Step, run: centred::Run<'_>, out: &mut Vec<i64>) {
    if step.fraction == 0 && run.is_flat() {
        return summed_flat(first, step.whole, run, out);
    }
    let (centre, gcd) = (run.centre(), run.gcd());
    let mut previous = first;
    let mut index = 0u64;
    run.decode_raw(|zs| {
        // Locals, so the running sum and the scalars stay in registers.
        let (mut sum, whole, centre, gcd) = (previous, step.whole, centre, gcd);
        if step.fraction == 0 {
            let per_step = whole.wrapping_add(centre as i64);
            if gcd == 1 {
                out.extend(zs.iter().map(|&z| {
                    sum = sum.wrapping_add(per_step.wrapping_add(unzigzag(z)));
                    sum
                }));
            } else {
                out.extend(zs.iter().map(|&z| {
                    let r = gcd.wrapping_mul(unzigzag(z) as u64) as i64;
                    sum = sum.wrapping_add(per_step.wrapping_add(r));
                    sum
                }));
            }
        } else {
            let mut carried = step.carry_sum(index);
            out.extend(zs.iter().map(|&z| {
                index += 1;
                let next = step.carry_sum(index);
                let r = centred::value(centre, gcd, z) as i64;
                sum = sum.wrapping_add(whole.wrapping_add((next - carried) as i64).wrapping_add(r));
                carried = next;
                sum
            }));
        }
        previous = sum;
    });
}

/// Model 1 in general: the line plus each offset, with no dependency
/// between points but two running sums, `whole * i` and `i * f + h` (the
/// line's products by the point's index, which SSE2 has no 64-bit multiply
/// to compute side by side).
fn offsets(first: i64, step: Step, run: centred::Run<'_>, out: &mut Vec<i64>) {
    let (centre, gcd) = (run.centre(), run.gcd());
    // `t_i = t0 + whole * i + F(i) - F(0) + centre + gcd * r_i`.
    let origin = first
        .wrapping_sub(step.carry_sum(0) as i64)
        .wrapping_add(centre as i64);
    let (mut line, mut carried) = (0i64, u64::from(step.phase));
    run.decode_raw(|zs| {
        // Locals, so the sums and the scalars stay in registers.
        let (whole, fraction, gcd) = (step.whole, u64::from(step.fraction), gcd);
        let (mut l, mut c) = (line, carried);
        out.extend(zs.iter().map(|&z| {
            l = l.wrapping_add(whole);
            c = c.wrapping_add(fraction);
            let offset = gcd.wrapping_mul(unzigzag(z) as u64) as i64;
            origin
                .wrapping_add(l)
                .wrapping_add((c >> 32) as i64)
                .wrapping_add(offset)
        }));
        (line, carried) = (l, c);
    });
}
