//! The inputs of the version-2 codec vectors: every version-1 case (so the
//! new codecs are pinned on the same edges), then cases for what version 2
//! adds. Each is listed, with its purpose, in `vectors/codec/v2/README.md`.
//!
//! Like the version-1 inputs, they are part of the golden files and must
//! never change: built from literals, exact arithmetic and the frozen
//! SplitMix64 of [`super::cases`].

use super::Case;
use super::cases::{Rng, START, case, timestamps_v1, values_v1};

const MS: i64 = 1_000_000;
const SECOND: i64 = 1_000_000_000;

/// The timestamp cases of every version-2 timestamp vector file, in file order.
pub(super) fn timestamps_v2() -> Vec<Case<i64>> {
    let mut cases = timestamps_v1();
    cases.extend([
        case("rate_360_hz", sample_rate(8192, 360, true)),
        case("rate_30_fps_floored", sample_rate(700, 30, false)),
        case("grid_jitter", grid(0x5eed_0101, 1000, false)),
        case("grid_duplicates_late", grid(0x5eed_0102, 1000, true)),
        case("gaps_with_outliers", gaps_with_outliers()),
    ]);
    cases
}

/// `START + i * 1e9 / rate`, rounded (`round`) or floored: a sample rate
/// whose period is a fraction of a nanosecond.
fn sample_rate(n: i64, rate: i64, round: bool) -> Vec<i64> {
    let half = if round { rate / 2 } else { 0 };
    (0..n).map(|i| START + (i * SECOND + half) / rate).collect()
}

/// `n` points on a 100 ms grid, each up to 2 ms off (`sym(2)` ms); with
/// `outliers`, 5% repeat the point before and 2% come 1 to 10 ms before it.
fn grid(seed: u64, n: i64, outliers: bool) -> Vec<i64> {
    let mut rng = Rng(seed);
    let mut previous = START;
    (0..n)
        .map(|i| {
            let nominal = START + i * 100 * MS + rng.symmetric(2) * MS;
            let roll = rng.next_u64() % 100;
            previous = match (outliers, roll) {
                (true, 0..=4) => previous,
                (true, 5 | 6) => previous - (1 + (rng.next_u64() % 10) as i64) * MS,
                _ => nominal,
            };
            previous
        })
        .collect()
}

/// 5 min steps with 4 min and 1 min steps and gaps of up to 12 h
/// (continuous-glucose-monitor time stamps): small and far outliers of the
/// delta run in one block.
fn gaps_with_outliers() -> Vec<i64> {
    let mut rng = Rng(0x5eed_0103);
    let mut t = START;
    (0..2000)
        .map(|_| {
            t += match rng.next_u64() % 200 {
                0..=3 => 240 * SECOND,
                4..=7 => 60 * SECOND,
                8 => (20 + (rng.next_u64() % 700) as i64) * 60 * SECOND,
                _ => 300 * SECOND,
            };
            t
        })
        .collect()
}

/// The value cases of every version-2 value vector file, in file order.
pub(super) fn values_v2() -> Vec<Case<f64>> {
    let mut cases = values_v1();
    cases.extend([
        case("vector_exponents", vector_exponents()),
        case("vector_modes", vector_modes()),
        case("factored_prices", factored_prices(1200)),
        case("factored_then_decimal", factored_then_decimal()),
        case("uniform_doubles", uniform_doubles(0x5eed_0104, 700)),
        case("clustered_exponents", clustered_exponents()),
    ]);
    cases
}

/// Exact powers of ten up to 10^4.
const POW10: [f64; 5] = [1e0, 1e1, 1e2, 1e3, 1e4];

/// Three vectors of 512 with 1, 3 and 0 decimals, then 100 with 2:
/// each vector its own exponent.
fn vector_exponents() -> Vec<f64> {
    let mut rng = Rng(0x5eed_0105);
    [(1usize, 512), (3, 512), (0, 512), (2, 100)]
        .iter()
        .flat_map(|&(places, n)| {
            let scale = POW10.get(places).copied().unwrap_or(1.0);
            (0..n)
                .map(|_| (20_000 + rng.symmetric(5_000)) as f64 / scale)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Three vectors whose integers suit each mode: uniform (frame of
/// reference), a random walk (deltas), a parabola (deltas of deltas).
fn vector_modes() -> Vec<f64> {
    let mut rng = Rng(0x5eed_0106);
    let uniform: Vec<f64> = (0..512)
        .map(|_| rng.symmetric(1000) as f64 / 10.0)
        .collect();
    let mut walk = 0i64;
    let steps: Vec<f64> = (0..512)
        .map(|_| {
            walk += rng.symmetric(3);
            walk as f64 / 10.0
        })
        .collect();
    let parabola = (0..512i64).map(|i| (3 * i * i - 700 * i + 40_000) as f64 / 10.0);
    uniform.into_iter().chain(steps).chain(parabola).collect()
}

/// Cents times an adjustment factor, printed with 14 significant digits
/// and parsed back: the multiplier scheme, with ULP adjustments.
fn factored_prices(n: usize) -> Vec<f64> {
    let mut rng = Rng(0x5eed_0107);
    let mut cents = 2_000i64;
    (0..n)
        .map(|_| {
            cents += rng.symmetric(30);
            let value = cents as f64 * 0.000_642_569_688_252_78;
            format!("{value:.13e}").parse().unwrap_or(0.0)
        })
        .collect()
}

/// A factored vector, whose base the next vector reuses, then a decimal one.
fn factored_then_decimal() -> Vec<f64> {
    let mut values = factored_prices(1024);
    let mut rng = Rng(0x5eed_0108);
    values.extend((0..300).map(|_| rng.symmetric(9_999) as f64 / 100.0));
    values
}

/// Uniform doubles in `[0, 1)` from 53 random bits: ALP-RD with a 3-bit
/// code and exceptions for the rarest exponents.
fn uniform_doubles(seed: u64, n: usize) -> Vec<f64> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|_| (rng.next_u64() >> 11) as f64 / 9_007_199_254_740_992.0)
        .collect()
}

/// Random mantissas under one of 12 exponents: more left parts than the
/// dictionary holds, so a third of the values are exceptions.
fn clustered_exponents() -> Vec<f64> {
    let mut rng = Rng(0x5eed_0109);
    (0..300u64)
        .map(|i| f64::from_bits((0x3F0 + i % 12) << 52 | rng.next_u64() >> 12))
        .collect()
}
