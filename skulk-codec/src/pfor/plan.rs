//! Chooses the frame of reference, common divisor, bit width and exceptions
//! of a patched frame-of-reference run.

use super::divisor::scale;
use super::window::{best_window, sample_sorted, window_fits};
use crate::bitpack::bit_width;

/// How a run of `u64` values is written.
///
/// Every value is `offset + gcd * x` (wrapping). `x` is bit-packed at
/// `width` bits unless its position is listed in `exceptions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Added to every value after scaling.
    pub offset: u64,
    /// Common divisor of `value - min` over the run (at least 1).
    pub gcd: u64,
    /// Bits per packed value.
    pub width: u32,
    /// Packed `x` per position (0 at exception positions).
    pub packed: Vec<u64>,
    /// Positions (ascending) of values that do not fit in `width` bits.
    pub exception_positions: Vec<u64>,
    /// `zigzag(x)` of each exception.
    pub exception_values: Vec<u64>,
}

/// Picks `(base, width)` minimising packed bits plus exception bits.
fn choose_width(scaled: &[u64]) -> (u64, u32) {
    let sorted = sample_sorted(scaled);
    let (Some(&min), Some(&max)) = (sorted.first(), sorted.last()) else {
        return (0, 0);
    };
    let full = bit_width(max - min);
    let n = sorted.len() as u64;
    let positions = bit_width(scaled.len().saturating_sub(1) as u64);
    let exception_bits = u64::from(positions + full + 1);
    let (mut best, mut best_cost) = ((min, full), n * u64::from(full));
    for width in 0..full {
        if n * u64::from(width) >= best_cost {
            break;
        }
        // Skip widths that cannot win: they would need a window holding
        // all but `allowed` values, checked in O(allowed) before the O(n) scan.
        let Some(slack) = best_cost.checked_sub(n * u64::from(width) + 9) else {
            break;
        };
        let allowed = (slack / exception_bits) as usize;
        if !window_fits(&sorted, sorted.len().saturating_sub(allowed), width) {
            continue;
        }
        let (base, count) = best_window(&sorted, width);
        let cost = n * u64::from(width) + (n - count as u64) * exception_bits + 8;
        if cost < best_cost {
            (best, best_cost) = ((base, width), cost);
        }
    }
    best
}

/// Plans the encoding of `values` (any `u64`, compared as `i64`).
#[cfg(test)]
pub(crate) fn plan(values: &[u64]) -> Plan {
    plan_owned(values.to_vec())
}

/// Plans the encoding of `values` (any `u64`, compared as `i64`), reusing
/// their memory.
pub(crate) fn plan_owned(values: Vec<u64>) -> Plan {
    let (min, gcd, scaled) = scale(values);
    let (base, width) = choose_width(&scaled);
    let limit = if width == 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    };
    let mut plan = Plan {
        offset: min.wrapping_add(gcd.wrapping_mul(base)),
        gcd,
        width,
        packed: Vec::new(),
        exception_positions: Vec::new(),
        exception_values: Vec::new(),
    };
    // `scaled` becomes the packed values in place, optimistically, in one
    // pass; exceptions are rare, and when there are some, a second pass
    // recovers each one (`k = x + base`) and zeroes its slot.
    let mut packed = scaled;
    let mut misfit = false;
    for k in packed.iter_mut() {
        let x = k.wrapping_sub(base);
        misfit |= *k < base || x > limit;
        *k = x;
    }
    if misfit {
        for (i, x) in packed.iter_mut().enumerate() {
            let k = x.wrapping_add(base);
            if k < base || *x > limit {
                plan.exception_positions.push(i as u64);
                plan.exception_values.push(super::varint::zigzag(*x as i64));
                *x = 0;
            }
        }
    }
    plan.packed = packed;
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divisor_and_window_are_found() {
        let values: Vec<u64> = (0..100).map(|i| 1000 + 300 * (i % 3)).collect();
        let p = plan(&values);
        assert_eq!(p.gcd, 300);
        assert_eq!(p.width, 2);
        assert!(p.exception_positions.is_empty());

        let mut regular = vec![300u64; 1000];
        regular[10] = 2400;
        regular[500] = 60;
        let p = plan(&regular);
        assert_eq!((p.width, p.offset), (0, 300));
        assert_eq!(p.exception_positions, vec![10, 500]);
    }

    #[test]
    fn long_runs_plan_from_a_sample_but_keep_every_outlier() {
        let mut values: Vec<u64> = (0..10_000).map(|i| 1000 + (i * 7) % 16).collect();
        values[1234] = 1 << 40;
        values[9999] = 3;
        let p = plan(&values);
        assert_eq!(p.width, 4);
        assert_eq!(p.exception_positions, vec![1234, 9999]);
    }

    #[test]
    fn constant_and_empty_runs() {
        let p = plan(&[7; 10]);
        assert_eq!((p.width, p.offset, p.gcd), (0, 7, 1));
        assert_eq!(plan(&[]).width, 0);
    }
}
