//! Chooses the centre, common divisor, width and exceptions of a centred
//! run.

use crate::bitpack::bit_width;
use crate::pfor::divisor::scale;
use crate::pfor::varint::zigzag;

/// How a run of `u64` values is written (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    /// The value a zero `z` stands for.
    pub centre: u64,
    /// Common divisor of `value - min` over the run (at least 1).
    pub gcd: u64,
    /// Bits per packed low part.
    pub width: u32,
    /// The low `width` bits of every `z`.
    pub body: Vec<u64>,
    /// Positions (ascending) of the values whose `z` needs more bits.
    pub positions: Vec<u64>,
    /// `z >> width` of each exception.
    pub highs: Vec<u64>,
    /// Bits per high part (0 without exceptions).
    pub high_width: u32,
}

impl Plan {
    /// True when every value is the centre: width 0 and no exceptions.
    pub(crate) fn is_constant(&self) -> bool {
        self.width == 0 && self.positions.is_empty()
    }
}

/// The `z` of `k` around the centre `kc` (both as multiples of the gcd).
fn centred(k: u64, kc: u64) -> u64 {
    zigzag(k.wrapping_sub(kc) as i64)
}

/// Runs longer than this choose their centre and width from this many
/// values at fixed, evenly spread positions; exceptions are still exact.
const SAMPLE: usize = 512;

/// The width minimising the estimated bits of `n` sampled values (packed
/// low parts, plus position and high part of each value outside), given
/// how many need each number of bits around a window's anchor; and that
/// estimate.
fn best_width(histogram: &[u64; 65], n: u64, positions: u64) -> (u32, u64) {
    let widest = histogram.iter().rposition(|&c| c > 0).unwrap_or(0) as u32;
    let (mut best, mut best_cost, mut outside) = (widest, n * u64::from(widest), 0u64);
    for width in (0..widest).rev() {
        // Values needing more than `width` bits become exceptions.
        outside += histogram.get(width as usize + 1).copied().unwrap_or(0);
        let high = u64::from(widest - width);
        let cost = n * u64::from(width) + outside * (positions + high) + 8;
        if cost <= best_cost {
            (best, best_cost) = (width, cost);
        }
    }
    (best, best_cost)
}

/// How many values of `sample` need each number of bits, as `bits(k)`.
fn histogram(sample: &[u64], bits: impl Fn(u64) -> u64) -> [u64; 65] {
    let mut histogram = [0u64; 65];
    for &k in sample {
        if let Some(count) = histogram.get_mut(bit_width(bits(k)) as usize) {
            *count += 1;
        }
    }
    histogram
}

/// The centre of the window of `width` bits whose lowest value is `base`:
/// the window is `[kc - 2^(w-1), kc + 2^(w-1))`.
fn centre_above(base: u64, width: u32) -> u64 {
    match width {
        0 => base,
        w => base.wrapping_add(1u64 << (w - 1)),
    }
}

/// Picks the centre `kc` and width of the window minimising the estimated
/// bits, in linear time: a
/// histogram of the bits each sampled value needs above the smallest,
/// below the largest and around the median gives the best width of a
/// window anchored there; the cheapest of the three wins (a
/// median-anchored window also tries the centre one above, which holds one
/// more value on that side).
fn choose_width(scaled: &[u64]) -> (u64, u32) {
    let stride = scaled.len().div_ceil(SAMPLE).max(1);
    let mut sample: Vec<u64> = scaled.iter().step_by(stride).copied().collect();
    let (Some(&min), Some(&max)) = (sample.iter().min(), sample.iter().max()) else {
        return (0, 0);
    };
    let middle = sample.len() / 2;
    let median = *sample.select_nth_unstable(middle).1;
    let n = sample.len() as u64;
    let positions = u64::from(bit_width(scaled.len().saturating_sub(1) as u64));
    let (low, low_cost) = best_width(&histogram(&sample, |k| k - min), n, positions);
    let (high, high_cost) = best_width(&histogram(&sample, |k| max - k), n, positions);
    let around = histogram(&sample, |k| centred(k, median));
    let (middle, middle_cost) = best_width(&around, n, positions);
    if low_cost <= high_cost.min(middle_cost) {
        return (centre_above(min, low), low);
    }
    if high_cost <= middle_cost {
        let base = max.wrapping_sub(1u64.checked_shl(high).unwrap_or(0).wrapping_sub(1));
        return (centre_above(base, high), high);
    }
    let limit = 1u64.checked_shl(middle).unwrap_or(0).wrapping_sub(1);
    let held = |kc: u64| sample.iter().filter(|&&k| centred(k, kc) <= limit).count();
    let above = median.wrapping_add(1);
    let centre = if middle > 0 && held(above) > held(median) {
        above
    } else {
        median
    };
    (centre, middle)
}

/// A cheap estimate of the bits of the run of `values`: the cost of the
/// best window around the median of (up to [`SAMPLE`] of) them, scaled to
/// the run; no common divisor is looked for.
pub(crate) fn estimate_bits(values: &[u64]) -> u64 {
    let stride = values.len().div_ceil(SAMPLE).max(1);
    let mut sample: Vec<u64> = values.iter().step_by(stride).copied().collect();
    if sample.is_empty() {
        return 0;
    }
    let middle = sample.len() / 2;
    let median = *sample.select_nth_unstable(middle).1;
    let n = sample.len() as u64;
    let positions = u64::from(bit_width(values.len().saturating_sub(1) as u64));
    let around = histogram(&sample, |k| centred(k, median));
    best_width(&around, n, positions).1 * values.len() as u64 / n + 32
}

/// Plans the encoding of `values` (any `u64`, compared as `i64`), reusing
/// their memory.
pub(crate) fn plan_owned(values: Vec<u64>) -> Plan {
    let (min, gcd, scaled) = scale(values);
    let (kc, width) = choose_width(&scaled);
    let mask = match width {
        0 => 0,
        w => u64::MAX >> (64 - w),
    };
    let mut plan = Plan {
        centre: min.wrapping_add(gcd.wrapping_mul(kc)),
        gcd,
        width,
        body: Vec::new(),
        positions: Vec::new(),
        highs: Vec::new(),
        high_width: 0,
    };
    // `scaled` becomes the `z` values in place, then their low parts;
    // values outside the window are rare, so they are collected in a
    // second pass only when there are some.
    let mut body = scaled;
    let mut outside = 0u64;
    for k in body.iter_mut() {
        *k = centred(*k, kc);
        outside |= *k & !mask;
    }
    if outside != 0 {
        for (i, z) in body.iter_mut().enumerate() {
            let high = *z & !mask;
            if high != 0 {
                plan.positions.push(i as u64);
                plan.highs.push(high >> width);
                *z &= mask;
            }
        }
        plan.high_width = plan.highs.iter().map(|&h| bit_width(h)).max().unwrap_or(0);
    }
    plan.body = body;
    plan
}
