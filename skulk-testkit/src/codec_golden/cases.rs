//! The inputs of the version-1 codec vectors. Each case is listed, with its
//! purpose, in `vectors/codec/v1/README.md`.
//!
//! The inputs are part of the golden files: they must never change. They
//! are therefore built here from literals and a private copy of SplitMix64
//! (not from [`crate::generators`], which may evolve).

use super::Case;

/// 2023-11-14T22:13:20Z in nanoseconds.
pub(super) const START: i64 = 1_700_000_000_000_000_000;
const MS: i64 = 1_000_000;
const SECOND: i64 = 1_000_000_000;

/// SplitMix64 (Steele, Lea, Flood 2014), frozen for the golden inputs.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform integer in `[-bound, bound]` (`bound` small, modulo bias is
    /// irrelevant here).
    pub(super) fn symmetric(&mut self, bound: u64) -> i64 {
        (self.next_u64() % (2 * bound + 1)) as i64 - bound as i64
    }
}

pub(super) fn case<T>(name: &'static str, items: Vec<T>) -> Case<T> {
    Case { name, items }
}

/// Timestamps from `t0` and a list of deltas-of-deltas (first delta = first
/// dod), all wrapping.
fn from_dods(t0: i64, dods: &[i64]) -> Vec<i64> {
    let (mut t, mut delta) = (t0, 0i64);
    let mut out = vec![t0];
    for dod in dods {
        delta = delta.wrapping_add(*dod);
        t = t.wrapping_add(delta);
        out.push(t);
    }
    out
}

/// Timestamps from `t0` and a list of deltas, wrapping.
fn from_deltas(t0: i64, deltas: impl IntoIterator<Item = i64>) -> Vec<i64> {
    let mut out = vec![t0];
    let mut t = t0;
    for delta in deltas {
        t = t.wrapping_add(delta);
        out.push(t);
    }
    out
}

/// The timestamp cases of every version-1 timestamp vector file, in file order.
pub(super) fn timestamps_v1() -> Vec<Case<i64>> {
    vec![
        case("empty", vec![]),
        case("single", vec![START]),
        case(
            "constant_step",
            (0..100).map(|i| START + i * 10 * SECOND).collect(),
        ),
        case("zero_runs", zero_runs()),
        case("gorilla_buckets", from_dods(-5, &GORILLA_BUCKET_DODS)),
        case("ns_jitter", jittered(0x5eed_0001, 64, SECOND, 2)),
        case("us_jitter", jittered(0x5eed_0002, 128, SECOND, 500_000)),
        case("alternating_steps", alternating_steps()),
        case("gaps", gaps()),
        case("duplicates", duplicates()),
        case("non_monotonic", NON_MONOTONIC.to_vec()),
        case("extremes", EXTREMES.to_vec()),
        case("random_bits", random_bits(0x5eed_0003, 48)),
        case("large_block", large_block()),
    ]
}

/// Zero-dod runs of 0, 28, 29, 30 and 1 after each change of step (a
/// Gorilla run code takes 29 or more).
fn zero_runs() -> Vec<i64> {
    let deltas = [(MS, 1), (3 * MS, 29), (2 * MS, 30), (MS, 31), (4 * MS, 2)];
    from_deltas(
        START,
        deltas.iter().flat_map(|&(d, n)| std::iter::repeat_n(d, n)),
    )
}

/// Deltas-of-deltas at the edges of every Gorilla timestamp bucket.
const GORILLA_BUCKET_DODS: [i64; 33] = [
    0,
    1,
    -1,
    7,
    -8,
    8,
    -9,
    2047,
    -2048,
    2048,
    -8192 * 1000,
    8191,
    8192,
    3 * SECOND,
    -60 * SECOND,
    524_287,
    -524_288,
    524_289,
    2_147_483_647,
    -2_147_483_648,
    2_147_483_649,
    (1 << 47) - 1,
    -(1 << 47),
    (1 << 47) + 1,
    8191 * 1_000_000_000_000_000,
    -8192 * 1_000_000_000_000_000,
    10_000_000_000_000_000,
    i64::MAX,
    i64::MIN,
    1,
    0,
    0,
    -1,
];

/// `n` points at `step` from [`START`], each moved by up to `jitter` ns.
fn jittered(seed: u64, n: i64, step: i64, jitter: u64) -> Vec<i64> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|i| START + i * step + rng.symmetric(jitter))
        .collect()
}

/// 360 Hz: steps of 2,777,777 and 2,777,778 ns.
fn alternating_steps() -> Vec<i64> {
    from_deltas(START, (0..63).map(|i| 2_777_777 + (i % 3 == 0) as i64))
}

/// A 15 s series with missing points (indices `i % 7 == 3` or `i % 11 == 5`).
fn gaps() -> Vec<i64> {
    (0..140)
        .filter(|i| i % 7 != 3 && i % 11 != 5)
        .map(|i| START + i * 15 * SECOND)
        .collect()
}

/// A 1 s series where every 6th point is repeated (delta 0), twice once.
fn duplicates() -> Vec<i64> {
    let mut out = Vec::new();
    for i in 0..70 {
        let t = START + i * SECOND;
        out.push(t);
        if i % 6 == 2 {
            out.push(t);
        }
        if i == 40 {
            out.extend([t, t]);
        }
    }
    out
}

const NON_MONOTONIC: [i64; 14] = [
    5,
    3,
    3,
    10,
    -7,
    1_000_000_000_000,
    999_999_999_999,
    0,
    -1,
    42,
    41,
    40,
    START,
    START - 1,
];

const EXTREMES: [i64; 12] = [
    i64::MIN,
    i64::MIN + 1,
    i64::MAX,
    i64::MAX - 1,
    0,
    -1,
    1,
    i64::MIN,
    i64::MAX,
    i64::MAX,
    i64::MIN + 1,
    i64::MIN,
];

fn random_bits(seed: u64, n: usize) -> Vec<i64> {
    let mut rng = Rng(seed);
    (0..n).map(|_| rng.next_u64() as i64).collect()
}

/// 600 points at 1 ms with up to 3 µs of jitter and a one-minute gap: more
/// than 512 deltas, so the frame-of-reference planner samples.
fn large_block() -> Vec<i64> {
    let mut rng = Rng(0x5eed_0004);
    (0..600)
        .map(|i| START + i * MS + if i >= 300 { 60 * SECOND } else { 0 } + rng.symmetric(3_000))
        .collect()
}

/// The value cases of every version-1 value vector file, in file order.
pub(super) fn values_v1() -> Vec<Case<f64>> {
    vec![
        case("empty", vec![]),
        case("single", vec![21.5]),
        case("decimals_1", uniform_decimals(0x5eed_0011, 100, 1, 500)),
        case("decimals_2", walk_decimals(0x5eed_0012, 100, 2, 10_000, 20)),
        case("decimals_3", quadratic_decimals(100, 3)),
        case("decimals_4", uniform_decimals(0x5eed_0014, 100, 4, 10_000)),
        case(
            "decimals_5",
            walk_decimals(0x5eed_0015, 100, 5, 4_737_689, 40),
        ),
        case(
            "decimals_6",
            walk_decimals(0x5eed_0016, 100, 6, 12_345_678_123_456, 1_000),
        ),
        case("mixed_places", mixed_places()),
        case("integers", counter()),
        case("large_integers", large_integers()),
        case("sparse_exceptions", sparse_exceptions()),
        case("special_values", SPECIAL_BITS.map(f64::from_bits).to_vec()),
        case("random_bits", random_values(0x5eed_0017, 64)),
        case("gorilla_windows", gorilla_windows()),
        case("smooth", smooth()),
    ]
}

/// `n` random 64-bit patterns as values.
fn random_values(seed: u64, n: usize) -> Vec<f64> {
    let mut rng = Rng(seed);
    (0..n).map(|_| f64::from_bits(rng.next_u64())).collect()
}

/// Exact powers of ten (no `powi`, whose rounding is not specified).
fn pow10(places: u32) -> f64 {
    const POW10: [f64; 7] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6];
    POW10.get(places as usize).copied().unwrap_or(1.0)
}

/// `n` values `m / 10^places`, `m` uniform in `[-bound, bound]`.
fn uniform_decimals(seed: u64, n: usize, places: u32, bound: u64) -> Vec<f64> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|_| rng.symmetric(bound) as f64 / pow10(places))
        .collect()
}

/// A random walk of `m / 10^places` from `start`, steps up to `step`.
fn walk_decimals(seed: u64, n: usize, places: u32, start: i64, step: u64) -> Vec<f64> {
    let mut rng = Rng(seed);
    let mut m = start;
    (0..n)
        .map(|_| {
            m += rng.symmetric(step);
            m as f64 / pow10(places)
        })
        .collect()
}

/// `(50000 + 3 i^2 - 40 i) / 10^places`: constant second differences.
fn quadratic_decimals(n: i64, places: u32) -> Vec<f64> {
    (0..n)
        .map(|i| (50_000 + 3 * i * i - 40 * i) as f64 / pow10(places))
        .collect()
}

/// Values with 0 to 6 decimals in one block.
fn mixed_places() -> Vec<f64> {
    let mut rng = Rng(0x5eed_0018);
    (0..80)
        .map(|i| rng.symmetric(1_000_000) as f64 / pow10(i % 7))
        .collect()
}

/// A counter with resets: 0, 1, 3, 6, ... back to 0 every 25 points.
fn counter() -> Vec<f64> {
    (0..100)
        .map(|i| ((i % 25) * (i % 25 + 1) / 2) as f64)
        .collect()
}

/// Integers around and beyond 2^51 and 2^53, both signs.
fn large_integers() -> Vec<f64> {
    let two53 = 9_007_199_254_740_992i64;
    let ints = [
        two53,
        two53 - 1,
        -two53,
        1 << 51,
        -(1 << 51) - 1,
        (1 << 51) - 1,
        1_000_000_000_000_000_000,
        -900_000_000_000_000_000,
        4_503_599_627_370_497,
        0,
        1,
        -1,
        two53 + 2,
        two53 * 4,
    ];
    ints.iter().map(|&d| d as f64).collect()
}

/// Two-decimal values with four exceptions (fewer than 1/16 of the block).
fn sparse_exceptions() -> Vec<f64> {
    let mut values = uniform_decimals(0x5eed_0019, 100, 2, 100_000);
    for (at, bits) in [
        (3, 0x7ff8_0000_0000_0000),
        (40, 0x8000_0000_0000_0000),
        (41, 0x7ff0_0000_0000_0000),
        (99, 0x0000_0000_0000_0001),
    ] {
        if let Some(slot) = values.get_mut(at) {
            *slot = f64::from_bits(bits);
        }
    }
    values
}

/// Bit patterns no decimal codec can turn into integers, plus a few that it can.
const SPECIAL_BITS: [u64; 20] = [
    0x7ff8_0000_0000_0000, // NaN
    0xfff8_0000_0000_0000, // -NaN
    0x7ff4_0000_dead_beef, // signalling NaN with a payload
    0xfff8_0000_0000_0001, // negative quiet NaN with a payload
    0x7fff_ffff_ffff_ffff, // NaN, all payload bits set
    0x8000_0000_0000_0000, // -0.0
    0x0000_0000_0000_0000, // 0.0
    0x7ff0_0000_0000_0000, // inf
    0xfff0_0000_0000_0000, // -inf
    0x0000_0000_0000_0001, // smallest subnormal
    0x000f_ffff_ffff_ffff, // largest subnormal
    0x8000_0000_0000_0001, // smallest negative subnormal
    0x0010_0000_0000_0000, // f64::MIN_POSITIVE
    0x7fef_ffff_ffff_ffff, // f64::MAX
    0xffef_ffff_ffff_ffff, // f64::MIN
    0x3cb0_0000_0000_0000, // f64::EPSILON
    0x7e37_e43c_8800_759c, // 1e300
    0x3fd3_3333_3333_3334, // 0.1 + 0.2
    0x3ff8_0000_0000_0000, // 1.5
    0x4045_0000_0000_0000, // 42.0
];

/// XOR masks against the previous value that take each Gorilla control
/// path: same value, new window, reuse, a cheaper new window instead of a
/// reuse, leading zeros clamped at 31, a 64-bit window.
const GORILLA_MASKS: [u64; 14] = [
    0,
    0,
    0x0000_0000_00f0_0000,
    0x0000_0000_0070_0000,
    0x0000_0000_0010_0000,
    0x0000_0000_0030_0000,
    0x8000_0000_0000_0001,
    0x4000_0000_0000_0000,
    0x0fff_ffff_ffff_fff0,
    0x0000_0000_0000_0001,
    0x0000_0000_0000_0001,
    0x0000_0100_0000_0000,
    0,
    0x0000_0180_0000_0000,
];

fn gorilla_windows() -> Vec<f64> {
    let mut bits = 1.0f64.to_bits();
    let mut out = vec![f64::from_bits(bits)];
    for mask in GORILLA_MASKS {
        bits ^= mask;
        out.push(f64::from_bits(bits));
    }
    out
}

/// A slowly changing computed curve with full mantissas: window reuse on
/// real looking data. Only `+`, `-`, `*` (correctly rounded everywhere), no
/// library functions whose rounding may differ between platforms.
fn smooth() -> Vec<f64> {
    (0..64)
        .map(|i| {
            let x = f64::from(i) * 0.1;
            20.0 + x * 0.37 - x * x * 0.0041
        })
        .collect()
}
