//! Chooses the frame of reference, common divisor, bit width and exceptions
//! of a patched frame-of-reference run.

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

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Greatest common divisor of all of `diffs` (1 when all are zero).
fn common_divisor(diffs: &[u64]) -> u64 {
    let mut g = 0u64;
    for &d in diffs {
        // Zeros and multiples leave `g` as it is: test them cheaply first.
        if d != 0 && (g == 0 || d % g != 0) {
            g = gcd(g, d);
            if g == 1 {
                return 1;
            }
        }
    }
    g.max(1)
}

/// Runs longer than this choose their width from a sample of this many
/// values at fixed scattered positions; exceptions are still exact.
const SAMPLE: usize = 512;

fn sample_sorted(scaled: &[u64]) -> Vec<u64> {
    let n = scaled.len();
    let mut sample: Vec<u64> = if n <= SAMPLE {
        scaled.to_vec()
    } else {
        let cell = n / SAMPLE;
        (0..SAMPLE)
            .filter_map(|k| {
                let jitter = (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
                scaled
                    .get(k * cell + (jitter % cell as u64) as usize)
                    .copied()
            })
            .collect()
    };
    sample.sort_unstable();
    sample
}

/// Window `[base, base + 2^width)` holding the most of `sorted`, and how many it holds.
fn best_window(sorted: &[u64], width: u32) -> (u64, usize) {
    // Largest spread `top - bottom` inside the window (width < 64 here).
    let spread = (1u64 << width) - 1;
    let (mut best_base, mut best_count, mut lo) = (sorted.first().copied().unwrap_or(0), 0, 0);
    for (hi, &top) in sorted.iter().enumerate() {
        while sorted.get(lo).is_some_and(|&bottom| top - bottom > spread) {
            lo += 1;
        }
        if hi + 1 - lo > best_count {
            best_count = hi + 1 - lo;
            best_base = sorted.get(lo).copied().unwrap_or(0);
        }
    }
    (best_base, best_count)
}

/// Whether some `count` consecutive values of `sorted` fit in `width` bits.
fn window_fits(sorted: &[u64], count: usize, width: u32) -> bool {
    let spread = (1u64 << width) - 1;
    count == 0
        || sorted
            .iter()
            .zip(sorted.iter().skip(count - 1))
            .any(|(lo, hi)| hi - lo <= spread)
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
pub(crate) fn plan(values: &[u64]) -> Plan {
    let min = values.iter().map(|&v| v as i64).min().unwrap_or(0) as u64;
    let diffs: Vec<u64> = values.iter().map(|&v| v.wrapping_sub(min)).collect();
    let gcd = common_divisor(&diffs);
    let scaled: Vec<u64> = if gcd == 1 {
        diffs
    } else {
        diffs.iter().map(|&d| d / gcd).collect()
    };
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
        packed: Vec::with_capacity(values.len()),
        exception_positions: Vec::new(),
        exception_values: Vec::new(),
    };
    for (i, &k) in scaled.iter().enumerate() {
        let x = k.wrapping_sub(base);
        if k >= base && x <= limit {
            plan.packed.push(x);
        } else {
            plan.packed.push(0);
            plan.exception_positions.push(i as u64);
            plan.exception_values.push(super::varint::zigzag(x as i64));
        }
    }
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
