//! Decoding one vector: a tight pass per frame of 64 values, from packed
//! bits to `f64`s on the output.

use super::SCHEME_MULTIPLIER;
use super::multiplier::product;
use crate::alp::body::{MODE_DELTA2, MODE_FOR};
use crate::alp::exponent::{self, MAX_EXPONENT, is_narrow, pow10};
use crate::alp::{apply_patches, read_mode, read_patches};
use crate::centred::{self, Run};
use crate::pfor::varint::{Reader, rebase, unzigzag};
use crate::{CodecError, Result};

/// How a vector's integers become values.
#[derive(Debug, Clone, Copy)]
enum Scale {
    /// Divided by `10^e` (the divisor).
    Decimal(f64),
    /// Multiplied by the base; the adjustments follow the integers.
    Multiplier(f64),
}

impl Scale {
    /// The value of one integer (before any adjustment).
    #[inline(always)]
    fn one(self, d: i64) -> f64 {
        match self {
            Scale::Decimal(divisor) => exponent::decode_one(d, divisor),
            Scale::Multiplier(base) => product(d, base),
        }
    }

    /// Appends the values of a frame of integers (two's complement) to
    /// `out`, which has room; `narrow` when every integer is known to be
    /// below 2^51 in magnitude (see [`known_narrow`]).
    #[inline(always)]
    fn convert(self, ints: &[u64], out: &mut Vec<f64>, narrow: bool) {
        match self {
            Scale::Decimal(divisor) if narrow => exponent::convert_narrow(ints, out, divisor),
            Scale::Decimal(divisor) => exponent::convert(ints, out, divisor),
            Scale::Multiplier(base) => out.extend(ints.iter().map(|&k| product(k as i64, base))),
        }
    }
}

/// Reads the scheme byte (and a multiplier's base).
fn read_scale(reader: &mut Reader<'_>) -> Result<Scale> {
    let at = reader.pos();
    match reader.byte()? {
        SCHEME_MULTIPLIER => Ok(Scale::Multiplier(f64::from_bits(reader.u64_le()?))),
        e if e <= MAX_EXPONENT => Ok(Scale::Decimal(pow10(e))),
        _ => Err(CodecError::Corrupt {
            what: "vector scheme: decimal exponent <= 18 or multiplier 0x80",
            offset: at,
        }),
    }
}

/// Decodes the vector of `len` values at the reader's position onto `out`
/// and moves the reader past it. On error `out` may hold part of the
/// vector; the caller truncates.
pub(crate) fn vector(reader: &mut Reader<'_>, len: usize, out: &mut Vec<f64>) -> Result<()> {
    let scale = read_scale(reader)?;
    let mode = read_mode(reader)?;
    let patches = read_patches(reader, len)?;
    let start = out.len();
    if mode == MODE_FOR {
        let at = reader.pos();
        let run = Run::parse(reader.rest(), len).map_err(|err| rebase(err, at))?;
        reader.advance(run.len);
        out.reserve(len);
        let narrow = known_narrow(&run, 0, 0, len, MODE_FOR);
        decode_for(run, scale, narrow, out);
    } else {
        decode_deltas(reader, len, mode, scale, out)?;
    }
    let decoded = out.get_mut(start..).unwrap_or_default();
    if let Scale::Multiplier(_) = scale {
        let at = reader.pos();
        let run = Run::parse(reader.rest(), len).map_err(|err| rebase(err, at))?;
        reader.advance(run.len);
        adjust(decoded, run);
    }
    apply_patches(decoded, patches);
    Ok(())
}

/// Adds each adjustment of `run` to the bits of its value.
fn adjust(values: &mut [f64], run: Run<'_>) {
    let (centre, gcd) = (run.centre(), run.gcd());
    let mut rest = values;
    run.decode_raw(|zs| {
        let n = zs.len().min(rest.len());
        let (frame, tail) = std::mem::take(&mut rest).split_at_mut(n);
        for (v, &z) in frame.iter_mut().zip(zs.iter()) {
            *v = f64::from_bits(v.to_bits().wrapping_add(centred::value(centre, gcd, z)));
        }
        rest = tail;
    });
}

/// Mode 0: every integer is `centre + gcd * unzigzag(z)`, converted onto
/// `out` (which has room) frame by frame.
fn decode_for(run: Run<'_>, scale: Scale, narrow: bool, out: &mut Vec<f64>) {
    let (centre, gcd) = (run.centre(), run.gcd());
    run.decode_raw(|zs| {
        // Copies of the captured scalars, so they stay in registers.
        let (centre, gcd) = (centre, gcd);
        if gcd == 1 {
            zs.iter_mut()
                .for_each(|z| *z = centre.wrapping_add(unzigzag(*z) as u64));
        } else {
            zs.iter_mut()
                .for_each(|z| *z = centred::value(centre, gcd, *z));
        }
        scale.convert(zs, out, narrow);
    });
}

/// True when every integer of a vector of `len` is below 2^51 in
/// magnitude, from its run's header alone: mode 0 integers are the run's
/// values; in mode 1 each is `first` plus at most `len` deltas, in mode 2
/// `first` plus at most `len` slopes, each `step` plus at most `len`
/// deltas of deltas. Computed exactly (no wrapping can hide a large value:
/// below the bound the decoder's wrapping sums never wrap). Lets the
/// conversion skip its per-frame check; `false` only costs that check.
fn known_narrow(run: &Run<'_>, first: i64, step: i64, len: usize, mode: u8) -> bool {
    let most = run.magnitude();
    let (first, step, len) = (
        u128::from(first.unsigned_abs()),
        u128::from(step.unsigned_abs()),
        len as u128,
    );
    let sum = |start: u128, each: u128| start.saturating_add(len.saturating_mul(each));
    let bound = match mode {
        MODE_FOR => most,
        MODE_DELTA2 => sum(first, sum(step, most)),
        _ => sum(first, most),
    };
    is_narrow(bound)
}

/// Modes 1 and 2: leading integer (and delta), then a run of differences
/// of that order, summed back up in registers, frame by frame.
fn decode_deltas(
    reader: &mut Reader<'_>,
    len: usize,
    order: u8,
    scale: Scale,
    out: &mut Vec<f64>,
) -> Result<()> {
    let mut previous = unzigzag(reader.varint()?);
    let mut step = 0i64;
    let mut leading = 1;
    if order == MODE_DELTA2 && len >= 2 {
        step = unzigzag(reader.varint()?);
        leading = 2;
    }
    if len <= leading {
        out.push(scale.one(previous));
        if len == 2 {
            out.push(scale.one(previous.wrapping_add(step)));
        }
        return Ok(());
    }
    let at = reader.pos();
    let run = Run::parse(reader.rest(), len - leading).map_err(|err| rebase(err, at))?;
    reader.advance(run.len);
    let narrow = known_narrow(&run, previous, step, len, order);
    out.reserve(len);
    out.push(scale.one(previous));
    if leading == 2 {
        previous = previous.wrapping_add(step);
        out.push(scale.one(previous));
    }
    let (centre, gcd) = (run.centre(), run.gcd());
    let mut state = (previous as u64, step as u64);
    run.decode_raw(|zs| {
        state = running_sums(zs, state, centre, gcd, leading == 2);
        scale.convert(zs, out, narrow);
    });
    Ok(())
}

/// Replaces every `z` of a frame by its integer, where
/// `centre + gcd * unzigzag(z)` is a delta (`order2` false) or a delta of
/// deltas (`order2` true), given the integer and delta `(sum, slope)`
/// before the frame; returns them after it. The sums are locals so they
/// stay in registers. With `gcd == 1`, the common case, the deltas are
/// made in a pass of their own, which vectorizes, before the sums, which
/// carry from value to value (measured faster than one fused loop; with a
/// `gcd` the multiply, which SSE2 has no vector form of, keeps them fused).
#[inline(always)]
fn running_sums(
    zs: &mut [u64],
    (mut sum, mut slope): (u64, u64),
    centre: u64,
    gcd: u64,
    order2: bool,
) -> (u64, u64) {
    if gcd != 1 {
        let value = |z: u64| centred::value(centre, gcd, z);
        if order2 {
            zs.iter_mut().for_each(|z| {
                slope = slope.wrapping_add(value(*z));
                sum = sum.wrapping_add(slope);
                *z = sum;
            });
        } else {
            zs.iter_mut().for_each(|z| {
                sum = sum.wrapping_add(value(*z));
                *z = sum;
            });
        }
        return (sum, slope);
    }
    zs.iter_mut()
        .for_each(|z| *z = centre.wrapping_add(unzigzag(*z) as u64));
    if order2 {
        zs.iter_mut().for_each(|z| {
            slope = slope.wrapping_add(*z);
            sum = sum.wrapping_add(slope);
            *z = sum;
        });
    } else {
        zs.iter_mut().for_each(|z| {
            sum = sum.wrapping_add(*z);
            *z = sum;
        });
    }
    (sum, slope)
}
