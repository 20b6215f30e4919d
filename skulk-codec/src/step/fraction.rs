//! Finding a fractional step: timestamps written as `t0 + round(i * P)`
//! for a period `P` that is not a whole number of nanoseconds (360 Hz is
//! 2,777,777.78 ns), whose deltas alternate between two neighbours in a
//! fixed pattern.
//!
//! The step is `q + f / 2^32` with a phase `h`: timestamp `i` is predicted
//! as `t0 + i * q + F(i) - F(0)`, `F(i) = (i * f + h) >> 32`. All three
//! are found from the first [`PROBE`] deltas of a block, which must only
//! take two neighbouring values `a` and `a + 1`; the fraction is the
//! simplest rational with that share of `a + 1` steps, and the phase the
//! middle of the interval that reproduces every probed timestamp.

/// Deltas looked at to find the step.
const PROBE: usize = 256;
/// Largest denominator of the fraction (a period of up to this many steps).
const MAX_DENOMINATOR: i128 = 1 << 12;

/// `q`, `f` and `h` of a fractional step (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Step {
    /// Whole nanoseconds per step.
    pub whole: i64,
    /// The fraction of a nanosecond per step, in units of 2^-32.
    pub fraction: u32,
    /// The phase, in units of 2^-32 ns.
    pub phase: u32,
}

impl Step {
    /// No fraction: the prediction is `t0 + i * whole`.
    pub(crate) const fn whole(whole: i64) -> Self {
        Self {
            whole,
            fraction: 0,
            phase: 0,
        }
    }

    /// `F(i) = (i * f + h) >> 32`, for `i < 2^31`.
    #[inline(always)]
    pub(crate) fn carry_sum(self, i: u64) -> u64 {
        (i * u64::from(self.fraction) + u64::from(self.phase)) >> 32
    }
}

/// The simplest fraction `p / q` (smallest denominator, up to
/// [`MAX_DENOMINATOR`]) within `[low, high]`, both in `[0, 1]`, by the
/// Stern-Brocot descent, as `(p, q)`.
fn simplest_between(low: (i128, i128), high: (i128, i128)) -> Option<(i128, i128)> {
    // low = a / b, high = c / d; the mediants of (0/1, 1/1) walk towards them.
    let ((a, b), (c, d)) = (low, high);
    let (mut left, mut right) = ((0i128, 1i128), (1i128, 1i128));
    loop {
        let mid = (left.0 + right.0, left.1 + right.1);
        if mid.1 > MAX_DENOMINATOR {
            return None;
        }
        // mid < low: go right; mid > high: go left; else found.
        if mid.0 * b < a * mid.1 {
            left = mid;
        } else if mid.0 * d > c * mid.1 {
            right = mid;
        } else {
            return Some(mid);
        }
    }
}

/// The fractional step of `timestamps`, when their first deltas alternate
/// between two neighbouring values and a fraction with a phase reproduces
/// every one of the first [`PROBE`] timestamps exactly. `None` otherwise
/// (then plain deltas are the better model).
pub(crate) fn find(timestamps: &[i64]) -> Option<Step> {
    let probe = timestamps.get(..timestamps.len().min(PROBE + 1))?;
    let first = *probe.first()?;
    let deltas = probe.windows(2).map(|w| match w {
        [a, b] => i128::from(*b) - i128::from(*a),
        _ => 0,
    });
    let low = deltas.clone().min()?;
    let ups = deltas.clone().filter(|&d| d == low + 1).count() as i128;
    let n = deltas.clone().count() as i128;
    if ups == 0 || ups == n || deltas.clone().any(|d| d > low + 1) {
        return None;
    }
    let whole = i64::try_from(low).ok()?;
    // The share of up steps is in ((ups - 1) / n, (ups + 1) / n): the
    // probe may start or end in the middle of the pattern.
    let (p, q) = simplest_between((ups - 1, n), (ups + 1, n))?;
    let fraction = u32::try_from((p << 32) / q).ok()?;
    let step = Step {
        whole,
        fraction,
        phase: 0,
    };
    // Timestamp i needs F(i) - F(0) = e_i, with F(0) = 0 (h < 2^32):
    // i * f + h in [e_i * 2^32, (e_i + 1) * 2^32).
    let (mut min_phase, mut max_phase) = (0i128, (1i128 << 32) - 1);
    for (i, &t) in probe.iter().enumerate() {
        let i = i as i128;
        let extra = i128::from(t) - i128::from(first) - i * i128::from(whole);
        let reach = i * i128::from(fraction);
        min_phase = min_phase.max((extra << 32) - reach);
        max_phase = max_phase.min(((extra + 1) << 32) - 1 - reach);
    }
    if min_phase > max_phase {
        return None;
    }
    let phase = u32::try_from((min_phase + max_phase) / 2).ok()?;
    Some(Step { phase, ..step })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn predicted(step: Step, t0: i64, n: usize) -> Vec<i64> {
        (0..n as u64)
            .map(|i| {
                t0 + i as i64 * step.whole + step.carry_sum(i) as i64 - step.carry_sum(0) as i64
            })
            .collect()
    }

    #[test]
    fn sample_rates_in_nanoseconds_are_found_exactly() {
        for (rate, round) in [
            (360i128, true),
            (360, false),
            (48_000, true),
            (30, true),
            (7, false),
        ] {
            let t0 = 1_577_836_800_000_000_000i64;
            let ts: Vec<i64> = (0..8192i128)
                .map(|i| {
                    let num = i * 1_000_000_000 + if round { rate / 2 } else { 0 };
                    t0 + (num / rate) as i64
                })
                .collect();
            let step = find(&ts).unwrap_or_else(|| panic!("{rate} Hz not found"));
            assert_eq!(predicted(step, t0, ts.len()), ts, "{rate} Hz");
        }
    }

    #[test]
    fn other_shapes_have_no_fractional_step() {
        let regular: Vec<i64> = (0..1000).map(|i| i * 10).collect();
        assert_eq!(find(&regular), None);
        let jittered: Vec<i64> = (0..1000).map(|i| i * 10 + (i * 7 % 5)).collect();
        assert_eq!(find(&jittered), None);
        assert_eq!(find(&[5]), None);
        assert_eq!(find(&[]), None);
        assert_eq!(find(&[i64::MIN, i64::MAX, i64::MIN]), None);
    }
}
