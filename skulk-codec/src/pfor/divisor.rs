//! The common divisor of a run: `gcd(value - min)` over the run, found and
//! divided out with multiplications instead of hardware divides.

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

/// Splits a run into its smallest value (as `i64`), the common divisor `g`
/// of `value - min` and the quotients `(value - min) / g`, reusing the
/// memory of `values`. Any run of `u64` (compared as `i64`) works: all
/// arithmetic wraps.
pub(crate) fn scale(mut values: Vec<u64>) -> (u64, u64, Vec<u64>) {
    let min = values.iter().map(|&v| v as i64).min().unwrap_or(0) as u64;
    let gcd = subtract_and_divisor(&mut values, min);
    if gcd != 1 {
        // Every difference is a multiple of `gcd`.
        let divisor = ExactDivisor::new(gcd);
        values.iter_mut().for_each(|d| *d = divisor.quotient(*d));
    }
    (min, gcd, values)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
