//! The multiplier scheme of a vector: values that are (close to) integer
//! multiples of one base that is not a power of ten, such as prices in
//! cents times an adjustment factor, rounded to 14 significant digits.
//!
//! Each value is stored as `k = round(v / base)` and the adjustment
//! `bits(v) - bits(k as f64 * base)` (wrapping), so decoding,
//! `from_bits(bits(k as f64 * base) + adjustment)`, gives back every bit
//! pattern whatever the base; a good base only makes the adjustments
//! small. The base is found as the approximate greatest common divisor of
//! pairs of values (Euclid's algorithm with an error bound, as pcodec's
//! float-multiplier mode does it), then centred on the median of
//! `v / round(v / base)` over a sample.

use crate::alp::exponent::sample;

/// Values sampled to find the base (in pairs).
const SAMPLE: usize = 64;
/// Bits of an `f64` mantissa, with the implicit one.
const PRECISION: i32 = 53;
/// Bits a remainder must keep above its accumulated error to go on.
const REQUIRED_BITS: i32 = 6;

/// A value and the bound of its accumulated rounding error.
#[derive(Debug, Clone, Copy)]
struct Approx {
    value: f64,
    error: f64,
}

/// The approximate greatest common divisor of `greater >= lesser > 0`, as
/// Euclid's algorithm on floats with the error of every step tracked; `None`
/// when the remainders lose their precision before one is (nearly) zero.
fn pair_divisor(greater: f64, lesser: f64) -> Option<f64> {
    let epsilon = 2f64.powi(-PRECISION);
    if lesser <= greater * 2f64.powi(REQUIRED_BITS - PRECISION) || lesser == greater {
        return None;
    }
    let mut big = Approx {
        value: greater,
        error: 0.0,
    };
    let mut small = Approx {
        value: lesser,
        error: 0.0,
    };
    for _ in 0..64 {
        let previous = big.value;
        let ratio = (big.value / small.value).round();
        big.error += ratio * small.error + big.value * epsilon;
        big.value = (big.value - ratio * small.value).abs();
        if big.value <= previous * 2f64.powi(-16) || big.value <= big.error {
            return Some(small.value);
        }
        let negligible = big.value <= greater * 2f64.powi(1 - PRECISION);
        if negligible || big.value <= big.error * 2f64.powi(REQUIRED_BITS) {
            return None;
        }
        std::mem::swap(&mut big, &mut small);
    }
    None
}

/// The median of `v / round(v / base)` over `values` with a nonzero
/// multiple: a base that the values' rounding errors do not bias.
fn centre(base: f64, values: &[f64]) -> Option<f64> {
    let mut ratios: Vec<f64> = values
        .iter()
        .filter_map(|&v| {
            let k = (v / base).round();
            (k != 0.0).then_some(v / k)
        })
        .filter(|r| r.is_finite() && *r > 0.0)
        .collect();
    if ratios.is_empty() {
        return None;
    }
    let middle = ratios.len() / 2;
    let (_, median, _) = ratios.select_nth_unstable_by(middle, f64::total_cmp);
    Some(*median)
}

/// A base of which the values are close to integer multiples, from a
/// sample of them; `None` when the pairs agree on none.
pub(crate) fn find(values: &[f64]) -> Option<f64> {
    let sample: Vec<f64> = sample(values, SAMPLE)
        .into_iter()
        .filter(|v| v.is_finite() && *v != 0.0)
        .map(f64::abs)
        .collect();
    let mut divisors: Vec<f64> = sample
        .chunks_exact(2)
        .filter_map(|pair| match *pair {
            [a, b] => pair_divisor(a.max(b), a.min(b)),
            _ => None,
        })
        .collect();
    if divisors.len() < 2 {
        return None;
    }
    divisors.sort_unstable_by(f64::total_cmp);
    // The smallest divisor that several pairs agree on (within 1%): pairs
    // whose multiples share a factor give a multiple of the base.
    for percentile in [10, 30, 50] {
        let candidate = *divisors.get(divisors.len() * percentile / 100)?;
        let agreeing = divisors
            .iter()
            .filter(|&&d| (d - candidate).abs() < 0.01 * candidate)
            .count();
        if agreeing >= 2 {
            let base = centre(centre(candidate, &sample)?, &sample)?;
            return (base.is_finite() && base > 0.0).then_some(base);
        }
    }
    None
}

/// The multiple and adjustment of every value at `base`.
pub(crate) fn split(values: &[f64], base: f64) -> (Vec<i64>, Vec<u64>) {
    values
        .iter()
        .map(|&v| {
            let multiple = (v / base).round();
            // NaN, infinities and huge ratios take 0; their adjustment
            // then holds all of their bits.
            let k = if multiple.abs() < 4.0e18 {
                multiple as i64
            } else {
                0
            };
            let adjustment = v.to_bits().wrapping_sub(product(k, base).to_bits());
            (k, adjustment)
        })
        .unzip()
}

/// `k as f64 * base`, the decoder's product.
#[inline(always)]
pub(crate) fn product(k: i64, base: f64) -> f64 {
    k as f64 * base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_times_a_factor_give_the_factor() {
        // Cents times a factor, rounded to 14 significant digits as text.
        let factor = 0.000_642_569_688_252_78;
        let values: Vec<f64> = (0..512u64)
            .map(|i| {
                let cents = 1_500 + (i.wrapping_mul(2_654_435_761) % 3_000);
                format!("{:.13e}", cents as f64 * factor).parse().unwrap()
            })
            .collect();
        let base = find(&values).unwrap();
        assert!((base / factor - 1.0).abs() < 1e-12, "{base}");
        let (_, adjustments) = split(&values, base);
        let small = adjustments
            .iter()
            .filter(|&&a| (a as i64).abs() < 1024)
            .count();
        assert!(small >= 500, "{small} of 512 adjustments below 2^10");
    }

    #[test]
    fn random_bits_have_no_base_and_every_value_round_trips() {
        let values: Vec<f64> = (0..512u64)
            .map(|i| f64::from_bits(i.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17)))
            .collect();
        assert_eq!(find(&values), None);
        for base in [0.1, 3.0, 1e-300, 7e300] {
            let (ks, adjustments) = split(&values, base);
            for ((v, k), a) in values.iter().zip(ks).zip(adjustments) {
                let back = f64::from_bits(product(k, base).to_bits().wrapping_add(a));
                assert_eq!(back.to_bits(), v.to_bits());
            }
        }
    }
}
