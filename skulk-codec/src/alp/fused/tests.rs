use super::{Fused, quotient};
use crate::alp::exponent::{MAX_EXPONENT, convert, pow10};

/// Deterministic pseudo-random integers (xorshift64*).
fn integers(seed: u64, n: usize) -> Vec<u64> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            x.wrapping_mul(0x2545_F491_4F6C_DD1D)
        })
        .collect()
}

/// Integers below 2^51 in magnitude that stress the rounding: small ones,
/// random ones of every width, both signs, the ends of the range, and
/// multiples of `5^e` (exact quotients).
fn hard_integers(e: u8) -> Vec<i64> {
    let mut all: Vec<i64> = (0..20_000).collect();
    for (i, r) in integers(u64::from(e) + 7, 60_000).into_iter().enumerate() {
        let width = 1 + (i % 51) as u32;
        all.push((r >> (64 - width)) as i64);
    }
    let five = 5i64.pow(u32::from(e).min(21));
    all.extend((1..2_000).map(|k| k * five % (1 << 51)));
    all.extend([
        (1 << 51) - 1,
        (1 << 50) + 1,
        (1 << 52) / 10,
        999_999_999_999_999,
    ]);
    let negatives: Vec<i64> = all.iter().map(|d| -d).collect();
    all.extend(negatives);
    all
}

#[test]
fn quotient_has_the_bits_of_division_at_every_exponent() {
    for e in 0..=MAX_EXPONENT {
        let b = pow10(e);
        let y = 1.0 / b;
        for d in hard_integers(e) {
            let a = d as f64;
            assert_eq!(
                quotient(a, b, y).to_bits(),
                (a / b).to_bits(),
                "{d} / 10^{e}"
            );
        }
    }
}

#[test]
fn the_reciprocal_alone_would_be_wrong_on_these_integers() {
    // The cases above include ones where `a * y` is off by an ulp: the
    // correction step is what the test above checks.
    let wrong = (1..=MAX_EXPONENT)
        .flat_map(|e| hard_integers(e).into_iter().map(move |d| (d, e)))
        .filter(|&(d, e)| {
            let (a, b) = (d as f64, pow10(e));
            (a * (1.0 / b)).to_bits() != (a / b).to_bits()
        })
        .count();
    assert!(wrong > 1_000, "only {wrong} integers differ");
}

#[test]
fn fused_frames_have_the_bits_of_divided_frames() {
    let Some(fused) = Fused::detect() else {
        eprintln!("skipped: this CPU has no AVX2 and FMA");
        return;
    };
    for e in 1..=MAX_EXPONENT {
        let ints: Vec<u64> = hard_integers(e).into_iter().map(|d| d as u64).collect();
        for frame in ints.chunks(64) {
            let divided: Vec<u64> = frame
                .iter()
                .map(|&d| (d as i64 as f64 / pow10(e)).to_bits())
                .collect();
            let mut out = Vec::with_capacity(64);
            fused.divide(frame, pow10(e), &mut out);
            let bits: Vec<u64> = out.iter().map(|v| v.to_bits()).collect();
            assert_eq!(bits, divided, "exponent {e}");
            // And through the decoders' entry point.
            out.clear();
            convert(frame, &mut out, pow10(e));
            let bits: Vec<u64> = out.iter().map(|v| v.to_bits()).collect();
            assert_eq!(bits, divided, "exponent {e}");
        }
    }
}
