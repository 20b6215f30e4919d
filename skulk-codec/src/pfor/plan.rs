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

/// Division by a fixed divisor `g >= 1` of numbers that are (or may be)
/// multiples of it, by multiplication instead of a hardware divide: with
/// `g = odd << shift`, `n` is a multiple of `g` exactly when its low `shift`
/// bits are zero and `(n >> shift) * odd^-1 mod 2^64 <= u64::MAX / odd`,
/// and the product is then the quotient (Granlund and Montgomery, 1994).
#[derive(Debug, Clone, Copy)]
struct ExactDivisor {
    shift: u32,
    inverse: u64,
    limit: u64,
}

impl ExactDivisor {
    fn new(g: u64) -> Self {
        let g = g.max(1);
        let shift = g.trailing_zeros();
        let odd = g >> shift;
        // Newton's iteration doubles the correct low bits each step; `odd`
        // itself is its own inverse modulo 8 (3 bits): 3, 6, 12, 24, 48, 96.
        let mut inverse = odd;
        for _ in 0..5 {
            inverse = inverse.wrapping_mul(2u64.wrapping_sub(odd.wrapping_mul(inverse)));
        }
        Self {
            shift,
            inverse,
            limit: u64::MAX / odd,
        }
    }

    /// Whether `n` is a multiple of the divisor.
    #[inline(always)]
    fn divides(self, n: u64) -> bool {
        n.trailing_zeros() >= self.shift
            && (n >> self.shift).wrapping_mul(self.inverse) <= self.limit
    }

    /// `n / g`, for `n` a multiple of the divisor.
    #[inline(always)]
    fn quotient(self, n: u64) -> u64 {
        (n >> self.shift).wrapping_mul(self.inverse)
    }
}

/// Subtracts `min` from every value in place and returns the greatest
/// common divisor of the differences (1 when all are zero), in one pass.
fn subtract_and_divisor(values: &mut [u64], min: u64) -> u64 {
    let mut g = 0u64;
    let mut divisor = ExactDivisor::new(1);
    let mut rest = values.iter_mut();
    for v in rest.by_ref() {
        *v = v.wrapping_sub(min);
        let d = *v;
        // Zeros and multiples leave `g` as it is: test them cheaply first.
        if d != 0 && (g == 0 || !divisor.divides(d)) {
            g = gcd(g, d);
            if g == 1 {
                break;
            }
            divisor = ExactDivisor::new(g);
        }
    }
    rest.for_each(|v| *v = v.wrapping_sub(min));
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
                // `jitter` < 2^24: a 32-bit remainder when `cell` fits
                // (always, for block-sized runs) is the same and cheaper.
                let offset = match u32::try_from(cell) {
                    Ok(cell32) => (jitter as u32 % cell32) as usize,
                    Err(_) => (jitter % cell as u64) as usize,
                };
                scaled.get(k * cell + offset).copied()
            })
            .collect()
    };
    radix_sort(&mut sample);
    sample
}

/// Sorts ascending with a least-significant-digit radix sort on bytes,
/// skipping the bytes above the largest value and those every value shares:
/// the sample spans a few bytes at most, so this takes a few linear passes.
/// The result is the one sorted order, as with any other sort.
fn radix_sort(values: &mut Vec<u64>) {
    let max = values.iter().fold(0, |acc, &v| acc | v);
    let mut spare = vec![0u64; values.len()];
    let mut shift = 0;
    while shift < u64::BITS && max >> shift != 0 {
        let at = shift;
        let digit = move |v: u64| ((v >> at) & 0xFF) as usize;
        let mut starts = [0usize; 256];
        for &v in values.iter() {
            if let Some(count) = starts.get_mut(digit(v)) {
                *count += 1;
            }
        }
        shift += 8;
        if starts.contains(&values.len()) {
            continue;
        }
        let mut total = 0;
        for start in &mut starts {
            (*start, total) = (total, total + *start);
        }
        for &v in values.iter() {
            if let Some(start) = starts.get_mut(digit(v))
                && let Some(slot) = spare.get_mut(*start)
            {
                *slot = v;
                *start += 1;
            }
        }
        std::mem::swap(values, &mut spare);
    }
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
#[cfg(test)]
pub(crate) fn plan(values: &[u64]) -> Plan {
    plan_owned(values.to_vec())
}

/// Plans the encoding of `values` (any `u64`, compared as `i64`), reusing
/// their memory.
pub(crate) fn plan_owned(mut values: Vec<u64>) -> Plan {
    let min = values.iter().map(|&v| v as i64).min().unwrap_or(0) as u64;
    let gcd = subtract_and_divisor(&mut values, min);
    let diffs = values;
    let scaled: Vec<u64> = if gcd == 1 {
        diffs
    } else {
        // Every difference is a multiple of `gcd`.
        let divisor = ExactDivisor::new(gcd);
        let mut diffs = diffs;
        diffs.iter_mut().for_each(|d| *d = divisor.quotient(*d));
        diffs
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
    fn exact_division_agrees_with_the_hardware_divide() {
        let divisors = [
            1u64,
            2,
            3,
            5,
            7,
            10,
            12,
            300,
            1 << 20,
            999_999_937,
            u64::MAX,
            1 << 63,
        ];
        for g in divisors {
            let divisor = ExactDivisor::new(g);
            for k in [0u64, 1, 2, 3, 17, 1_000_003, u64::MAX / g, u64::MAX / g - 1] {
                let n = k.wrapping_mul(g);
                for m in [n, n.wrapping_add(1), n.wrapping_sub(1), n ^ (1 << 40)] {
                    assert_eq!(divisor.divides(m), m % g == 0, "{m} by {g}");
                    if m % g == 0 {
                        assert_eq!(divisor.quotient(m), m / g, "{m} by {g}");
                    }
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn radix_sort_sorts(mut values in proptest::collection::vec(
            proptest::prop_oneof![0u64..300, proptest::num::u64::ANY, 1u64 << 40..(1 << 40) + 70_000],
            0..700,
        )) {
            let mut expected = values.clone();
            expected.sort_unstable();
            radix_sort(&mut values);
            proptest::prop_assert_eq!(values, expected);
        }
    }

    #[test]
    fn constant_and_empty_runs() {
        let p = plan(&[7; 10]);
        assert_eq!((p.width, p.offset, p.gcd), (0, 7, 1));
        assert_eq!(plan(&[]).width, 0);
    }
}
