//! Decimal exponents: turning `f64` values into integers and back.
//!
//! A value `v` is encoded at exponent `e` as the integer `d` when the
//! decoder's formula, `d as f64 / 10^e` (or `d as f64` when `e == 0`),
//! gives back `v` bit for bit. Division by an exact power of ten is
//! correctly rounded, so every value written with at most `e` decimals
//! (and fewer than 16 significant digits) converts.

use super::fused::Fused;
use crate::bitpack::bit_width;

/// Largest exponent tried; `10^18` is exact in an `f64`.
pub(crate) const MAX_EXPONENT: u8 = 18;

/// `10^e` for `e` in `0..=MAX_EXPONENT`, all exact.
const POW10: [f64; MAX_EXPONENT as usize + 1] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18,
];

/// Values sampled per block to choose the exponent.
const SAMPLE: usize = 64;

/// Cost in bits charged for a sampled value that does not convert (raw
/// bits plus a position).
const EXCEPTION_BITS: u64 = 80;

/// `10^e`; `e` must be at most [`MAX_EXPONENT`] (larger values give 1).
pub(crate) fn pow10(e: u8) -> f64 {
    POW10.get(usize::from(e)).copied().unwrap_or(1.0)
}

/// The decoder's formula.
#[inline(always)]
pub(crate) fn decode_one(d: i64, divisor: f64) -> f64 {
    d as f64 / divisor
}

/// 1.5 * 2^52: adding an integer in `[-2^51, 2^51)` to its bit pattern
/// gives `MAGIC + d` exactly.
const MAGIC: f64 = 6_755_399_441_055_744.0;

/// The `f64` of an integer `d` (two's complement) below 2^51 in
/// magnitude, exactly, as an integer add and a float subtract, which
/// vectorize on plain SSE2 where a scalar `i64` to `f64` conversion does
/// not. Wrong for larger integers: callers check the range first.
#[inline(always)]
pub(crate) fn narrow_to_f64(d: u64) -> f64 {
    f64::from_bits(MAGIC.to_bits().wrapping_add(d)) - MAGIC
}

/// Appends [`decode_one`] of every integer of a frame (`ints`, two's
/// complement) to `out` (which has room: no growth inside the loop),
/// written so that it vectorizes: when every integer is below 2^51 in
/// magnitude, the conversion is [`narrow_to_f64`], exponent 0 skips the
/// division, and on CPUs with fused multiply-add the division is
/// [`Fused::divide`](super::fused::Fused::divide) (the same bits).
#[inline(always)]
pub(crate) fn convert(ints: &[u64], out: &mut Vec<f64>, divisor: f64) {
    // One OR-reduction: a bit above bit 51 of `d + 2^51` means |d| >= 2^51.
    let wide = ints
        .iter()
        .fold(0u64, |acc, &d| acc | (d.wrapping_add(1 << 51) >> 52));
    if wide == 0 {
        convert_narrow(ints, out, divisor);
    } else {
        out.extend(ints.iter().map(|&d| decode_one(d as i64, divisor)));
    }
}

/// [`convert`] of integers the caller knows to be below 2^51 in magnitude
/// (from a bound on the whole vector), without the pass that checks it.
/// Wrong for larger integers.
#[inline(always)]
pub(crate) fn convert_narrow(ints: &[u64], out: &mut Vec<f64>, divisor: f64) {
    if divisor == 1.0 {
        // `extend` over a slice iterator checks capacity once per frame.
        return out.extend(ints.iter().map(|&d| narrow_to_f64(d)));
    }
    match Fused::detect() {
        Some(fused) => fused.divide(ints, divisor, out),
        None => out.extend(ints.iter().map(|&d| narrow_to_f64(d) / divisor)),
    }
}

/// True when `|d| <= bound` guarantees that [`convert_narrow`] is exact.
pub(crate) fn is_narrow(bound: u128) -> bool {
    bound < 1 << 51
}

/// `v` as an integer at exponent `e`, if it round-trips exactly.
pub(crate) fn to_int(v: f64, e: u8) -> Option<i64> {
    let divisor = pow10(e);
    let scaled = v * divisor;
    // Also refuses NaN, whose comparisons are all false.
    if scaled.is_nan() || scaled.abs() >= 9.0e18 {
        return None;
    }
    // Round to nearest without a libm call: below 2^51 adding and removing
    // 1.5 * 2^52 rounds; from 2^52 up every f64 is already an integer. In
    // between the sum is rounded to an even integer (positive values) or
    // kept at a half (negative ones), and the check below makes such a
    // value an exception: the encoder's output is pinned, so it stays.
    let rounded = if scaled.abs() < 4_503_599_627_370_496.0 {
        (scaled + MAGIC) - MAGIC
    } else {
        scaled
    };
    let d = rounded as i64;
    (decode_one(d, divisor).to_bits() == v.to_bits()).then_some(d)
}

/// Up to `size` values of `values` at scattered (not strided, so periodic
/// data cannot fool it) but fixed positions, one per cell of
/// `len / size` values; all of them when there are at most `size`.
pub(crate) fn sample(values: &[f64], size: usize) -> Vec<f64> {
    if values.len() <= size {
        return values.to_vec();
    }
    let n = values.len() as u64;
    let cell = n.div_ceil(size as u64);
    (0..size as u64)
        .filter_map(|k| {
            let hash = k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
            // `hash` < 2^32: a 32-bit remainder when `cell` fits (always,
            // for block-sized columns) is the same and cheaper.
            let spread = match (u32::try_from(hash), u32::try_from(cell)) {
                (Ok(hash), Ok(cell)) => u64::from(hash % cell),
                _ => hash % cell,
            };
            values
                .get((k * n / size as u64 + spread).min(n - 1) as usize)
                .copied()
        })
        .collect()
}

/// Picks the exponent for a block from a sample of [`SAMPLE`] values at
/// scattered but fixed positions. Deterministic.
pub(crate) fn choose(values: &[f64]) -> u8 {
    choose_from(&sample(values, SAMPLE))
}

/// Estimated bits of `sample` at exponent `e`: the bits of the integers'
/// range per value, plus [`EXCEPTION_BITS`] per value that does not
/// convert; and how many do not.
fn estimate(sample: &[f64], e: u8) -> (u64, u64) {
    let (mut min, mut max, mut misses) = (i64::MAX, i64::MIN, 0u64);
    for &v in sample {
        match to_int(v, e) {
            Some(d) => (min, max) = (min.min(d), max.max(d)),
            None => misses += 1,
        }
    }
    let range = if min <= max {
        bit_width(max.wrapping_sub(min) as u64)
    } else {
        0
    };
    let cost = sample.len() as u64 * u64::from(range) + misses * EXCEPTION_BITS;
    (cost, misses)
}

/// The exponent with the smallest estimated size over `sample` (range bits
/// plus exceptions); the smaller exponent on ties.
pub(crate) fn choose_from(sample: &[f64]) -> u8 {
    let mut best = (u64::MAX, 0u8);
    for e in 0..=MAX_EXPONENT {
        let (cost, misses) = estimate(sample, e);
        if cost < best.0 {
            best = (cost, e);
        }
        if misses == 0 {
            // Larger exponents only scale the same integers up.
            break;
        }
    }
    best.1
}

/// Values sampled per block to find the candidate exponents of its vectors.
const BLOCK_SAMPLE: usize = 256;
/// Values sampled per vector to choose among the candidates.
const VECTOR_SAMPLE: usize = 32;
/// Candidate exponents per block at most.
const CANDIDATES: usize = 3;

/// The exponents the vectors of a block choose from: the [`CANDIDATES`]
/// with the smallest estimated size on a sample of the block (smallest
/// first), up to the first exponent at which every sampled value converts.
pub(crate) fn candidates(values: &[f64]) -> Vec<u8> {
    let sample = sample(values, BLOCK_SAMPLE);
    let mut costs = Vec::new();
    for e in 0..=MAX_EXPONENT {
        let (cost, misses) = estimate(&sample, e);
        costs.push((cost, e));
        if misses == 0 {
            break;
        }
    }
    costs.sort_unstable();
    costs.iter().take(CANDIDATES).map(|&(_, e)| e).collect()
}

/// The candidate with the smallest estimated size on a sample of `vector`;
/// the earlier candidate on ties, 0 without candidates.
pub(crate) fn choose_among(vector: &[f64], candidates: &[u8]) -> u8 {
    match candidates {
        [] => 0,
        [only] => *only,
        _ => {
            let sample = sample(vector, VECTOR_SAMPLE);
            let costs = candidates.iter().map(|&e| (estimate(&sample, e).0, e));
            costs.min_by_key(|&(cost, _)| cost).map_or(0, |(_, e)| e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_convert_at_their_exponent() {
        assert_eq!(to_int(-3.485, 3), Some(-3485));
        assert_eq!(to_int(21.5, 1), Some(215));
        assert_eq!(to_int(21.5, 0), None);
        assert_eq!(to_int(39197.0, 0), Some(39197));
        assert_eq!(to_int(4.186662803811, 12), Some(4_186_662_803_811));
        for bad in [
            f64::NAN,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e300,
            5e-324,
        ] {
            assert_eq!(to_int(bad, 0), None);
            assert_eq!(to_int(bad, 18), None);
        }
        assert_eq!(to_int(0.0, 5), Some(0));
    }

    #[test]
    fn frame_conversion_matches_the_formula() {
        let ints: Vec<i64> = vec![0, 1, -1, (1 << 51) - 1, -(1 << 51), 123_456_789, -42];
        let wide: Vec<i64> = vec![1 << 51, i64::MIN, i64::MAX, -(1 << 51) - 1, 7];
        for set in [ints, wide] {
            let as_u64: Vec<u64> = set.iter().map(|&d| (d as u64).wrapping_sub(5)).collect();
            for e in 0..=MAX_EXPONENT {
                let shifted: Vec<u64> = as_u64.iter().map(|x| x.wrapping_add(5)).collect();
                let mut out = Vec::new();
                convert(&shifted, &mut out, pow10(e));
                for (&d, v) in set.iter().zip(&out) {
                    assert_eq!(v.to_bits(), decode_one(d, pow10(e)).to_bits(), "{d} e{e}");
                }
            }
        }
    }

    #[test]
    fn exponent_follows_the_decimals() {
        assert_eq!(choose(&[1.0, 2.0, 400.0]), 0);
        assert_eq!(choose(&[1.5, 2.25, 3.0]), 2);
        assert_eq!(choose(&[-0.245, -0.215, 3.65]), 3);
        assert_eq!(choose(&[f64::NAN; 10]), 0);
        assert_eq!(choose(&[]), 0);
    }
}
