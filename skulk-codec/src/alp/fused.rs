//! Division by a power of ten without the divider, on CPUs with fused
//! multiply-add: the quotient by the reciprocal, then one fused
//! correction, which gives the correctly rounded quotient, the same bits
//! as `/` (Markstein's theorem: P. Markstein, IBM Journal of Research and
//! Development 34(1), 1990).
//!
//! Decoding a decimal value is an integer conversion and a division by
//! `10^e`; the division was the largest part of it (a divider takes about
//! two cycles per value whatever the vector width, where the three
//! multiply-adds below take a fraction of one). With `y = RN(1/b)`
//! (within half an ulp of `1/b`) and `q = RN(a * y)` (within one ulp of
//! `a/b`), the remainder `r = a - q*b` is exact in one fused operation and
//! `RN(q + r*y)` is `RN(a/b)`. No overflow or underflow can occur here:
//! `a` is an integer below 2^51 in magnitude and `b = 10^e` with
//! `1 <= b <= 10^18`. A quotient by a power of ten is never halfway
//! between two doubles (it is either exact or not a finite binary
//! fraction), so there is no tie to break differently.

use super::exponent::narrow_to_f64;

/// `a / b` correctly rounded, given `y = RN(1/b)`; the same bits as `a / b`.
/// Without the CPU feature `mul_add` is a library call: still exact, only
/// slow, so this is used where the feature is enabled.
#[inline(always)]
pub(crate) fn quotient(a: f64, b: f64, y: f64) -> f64 {
    let q = a * y;
    let r = (-q).mul_add(b, a);
    r.mul_add(y, q)
}

/// Proof that the CPU has the instructions [`Fused::divide`] is compiled
/// for; only [`Fused::detect`] makes one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fused(());

impl Fused {
    /// `Some` when the CPU has AVX2 and FMA (detected once, then cached
    /// by the standard library).
    #[inline]
    pub(crate) fn detect() -> Option<Fused> {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            return Some(Fused(()));
        }
        None
    }

    /// Appends `d / divisor` for every integer `d` of `ints` (two's
    /// complement, each below 2^51 in magnitude) to `out`: the same bits
    /// as [`exponent::convert`](super::exponent::convert).
    #[inline]
    pub(crate) fn divide(self, ints: &[u64], divisor: f64, out: &mut Vec<f64>) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `self` exists only when `detect` found AVX2 and FMA on
        // this CPU, the features `divide_x86` is compiled for.
        #[allow(unsafe_code)]
        unsafe {
            divide_x86(ints, divisor, out)
        }
        #[cfg(not(target_arch = "x86_64"))]
        out.extend(ints.iter().map(|&d| narrow_to_f64(d) / divisor));
    }
}

/// [`Fused::divide`] compiled with AVX2 and FMA: the multiply-adds are
/// single instructions and the loop runs four values at a time.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn divide_x86(ints: &[u64], divisor: f64, out: &mut Vec<f64>) {
    let inverse = 1.0 / divisor;
    out.extend(
        ints.iter()
            .map(|&d| quotient(narrow_to_f64(d), divisor, inverse)),
    );
}

#[cfg(test)]
mod tests;
