//! Deterministic, seeded data generators.
//!
//! Every generator takes an explicit seed (or none, when it is not random)
//! and returns the same data on every platform and run, so a failing test or
//! a benchmark figure can be reproduced exactly. The random source is
//! [`SplitMix64`], small and well mixed; no external crate is involved.
//!
//! Timestamps are nanoseconds; values are `f64`. The shapes cover what real
//! monitoring data looks like (regular and jittered sampling, gaps, random
//! walks, counters that reset, constants, sparse series with NaN, values with
//! a fixed number of decimals) and are combined by [`TimestampShape`] and
//! [`ValueShape`] into the matrix that benchmarks and suites iterate over.

use std::sync::Arc;

use skulk_format::{DataPoint, SeriesMeta};

/// One second in nanoseconds.
pub const SECOND_NS: i64 = 1_000_000_000;

/// 2024-01-01T00:00:00Z in nanoseconds: a realistic default start time.
pub const START_2024_NS: i64 = 1_704_067_200 * SECOND_NS;

/// The SplitMix64 generator (Steele, Lea, Flood 2014): 64 bits of state,
/// passes BigCrush, and is trivially reproducible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform `f64` in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform integer in `[0, bound)`; 0 when `bound` is 0.
    pub fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            return 0;
        }
        // Multiply-shift (Lemire): unbiased enough for test data.
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// A uniform integer in `[-bound, bound]`.
    pub fn symmetric(&mut self, bound: i64) -> i64 {
        let span = bound.unsigned_abs().saturating_mul(2).saturating_add(1);
        (i128::from(self.below(span)) - i128::from(bound.unsigned_abs())) as i64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.next_f64() < p
    }

    /// An approximately standard-normal `f64` (sum of 4 uniforms, rescaled):
    /// cheap and bounded, good enough for noise.
    pub fn gaussian(&mut self) -> f64 {
        let sum: f64 = (0..4).map(|_| self.next_f64()).sum();
        (sum - 2.0) * 3.0_f64.sqrt()
    }
}

/// `n` timestamps `start, start + step, ...` (wrapping never happens for
/// realistic inputs; arithmetic saturates at the `i64` bounds).
pub fn regular_timestamps(start: i64, step: i64, n: usize) -> Vec<i64> {
    let mut ts = Vec::with_capacity(n);
    let mut t = start;
    for _ in 0..n {
        ts.push(t);
        t = t.saturating_add(step);
    }
    ts
}

/// Regular timestamps each moved by a uniform jitter in `[-jitter, jitter]`,
/// kept strictly increasing (each is at least the previous plus one).
pub fn jittered_timestamps(seed: u64, start: i64, step: i64, jitter: i64, n: usize) -> Vec<i64> {
    let mut rng = SplitMix64::new(seed);
    let mut ts: Vec<i64> = Vec::with_capacity(n);
    for (i, nominal) in regular_timestamps(start, step, n).into_iter().enumerate() {
        let mut t = nominal.saturating_add(rng.symmetric(jitter));
        if i > 0 {
            let floor = ts.last().map_or(i64::MIN, |p| p.saturating_add(1));
            t = t.max(floor);
        }
        ts.push(t);
    }
    ts
}

/// Regular timestamps where, with probability `gap_probability` per point, a
/// gap of 1 to `max_gap_steps` missing steps is inserted first.
pub fn gapped_timestamps(
    seed: u64,
    start: i64,
    step: i64,
    n: usize,
    gap_probability: f64,
    max_gap_steps: u64,
) -> Vec<i64> {
    let mut rng = SplitMix64::new(seed);
    let mut ts = Vec::with_capacity(n);
    let mut t = start;
    for _ in 0..n {
        if rng.chance(gap_probability) {
            let missing = 1 + rng.below(max_gap_steps.max(1));
            t = t.saturating_add(step.saturating_mul(missing as i64));
        }
        ts.push(t);
        t = t.saturating_add(step);
    }
    ts
}

/// `n` copies of `value` (any bit pattern, NaN payloads included).
pub fn constant(value: f64, n: usize) -> Vec<f64> {
    vec![value; n]
}

/// A random walk from `start` with uniform steps in `[-max_step, max_step]`.
pub fn random_walk(seed: u64, start: f64, max_step: f64, n: usize) -> Vec<f64> {
    let mut rng = SplitMix64::new(seed);
    let mut v = start;
    (0..n)
        .map(|_| {
            let out = v;
            v += (rng.next_f64() * 2.0 - 1.0) * max_step;
            out
        })
        .collect()
}

/// A monotonically increasing counter (increments of 0 to `max_increment`,
/// whole numbers) that resets to 0 with probability `reset_probability` per
/// point, like a process restart.
pub fn counter_with_resets(
    seed: u64,
    max_increment: u64,
    reset_probability: f64,
    n: usize,
) -> Vec<f64> {
    let mut rng = SplitMix64::new(seed);
    let mut counter = 0u64;
    (0..n)
        .map(|_| {
            if rng.chance(reset_probability) {
                counter = 0;
            } else {
                counter = counter.saturating_add(rng.below(max_increment.saturating_add(1)));
            }
            counter as f64
        })
        .collect()
}

/// A noisy sine (period 1,440 points) where a fraction `nan_fraction` of the
/// points are NaN, as when a sensor drops samples.
pub fn sparse_with_nan(seed: u64, nan_fraction: f64, n: usize) -> Vec<f64> {
    let mut rng = SplitMix64::new(seed);
    (0..n)
        .map(|i| {
            if rng.chance(nan_fraction) {
                f64::NAN
            } else {
                50.0 + 20.0 * (i as f64 * std::f64::consts::TAU / 1440.0).sin() + rng.gaussian()
            }
        })
        .collect()
}

/// Values with exactly `places` decimal places (as a decimal string would
/// parse), a random walk of one or a few units in the last place, between
/// `low` and `high`. This is what sensors and prices look like after a CSV
/// round trip.
pub fn decimals(seed: u64, places: u32, low: f64, high: f64, n: usize) -> Vec<f64> {
    let mut rng = SplitMix64::new(seed);
    let scale = 10f64.powi(places.min(15) as i32);
    let (lo, hi) = ((low * scale).round() as i64, (high * scale).round() as i64);
    let mut units = ((i128::from(lo) + i128::from(hi)) / 2) as i64;
    (0..n)
        .map(|_| {
            units = (units + rng.symmetric(3)).clamp(lo, hi.max(lo));
            // Division by a power of ten gives the nearest f64 to the
            // decimal, exactly what parsing its text gives.
            units as f64 / scale
        })
        .collect()
}

/// Gaussian noise around `mean`: the worst case for XOR-based codecs.
pub fn noise(seed: u64, mean: f64, std_dev: f64, n: usize) -> Vec<f64> {
    let mut rng = SplitMix64::new(seed);
    (0..n).map(|_| mean + std_dev * rng.gaussian()).collect()
}

/// A timestamp shape of the benchmark and suite matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampShape {
    /// Every 10 s exactly.
    Regular,
    /// Every 10 s, each moved by up to ±50 ms.
    Jittered,
    /// Every 10 s with occasional gaps of up to 60 steps.
    Gapped,
}

impl TimestampShape {
    /// Every shape.
    pub const ALL: [TimestampShape; 3] = [Self::Regular, Self::Jittered, Self::Gapped];

    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Self::Regular => "regular",
            Self::Jittered => "jittered",
            Self::Gapped => "gapped",
        }
    }

    /// `n` timestamps of this shape starting at [`START_2024_NS`].
    pub fn generate(self, seed: u64, n: usize) -> Vec<i64> {
        let step = 10 * SECOND_NS;
        match self {
            Self::Regular => regular_timestamps(START_2024_NS, step, n),
            Self::Jittered => jittered_timestamps(seed, START_2024_NS, step, 50_000_000, n),
            Self::Gapped => gapped_timestamps(seed, START_2024_NS, step, n, 0.01, 60),
        }
    }
}

/// A value shape of the benchmark and suite matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueShape {
    /// Always 42.0.
    Constant,
    /// A random walk from 100 with steps up to ±0.5.
    RandomWalk,
    /// A counter that resets now and then.
    Counter,
    /// A noisy sine with 5 % NaN.
    SparseNan,
    /// Two-decimal values (prices, temperatures).
    Decimals2,
    /// Gaussian noise: incompressible mantissas.
    Noisy,
}

impl ValueShape {
    /// Every shape.
    pub const ALL: [ValueShape; 6] = [
        Self::Constant,
        Self::RandomWalk,
        Self::Counter,
        Self::SparseNan,
        Self::Decimals2,
        Self::Noisy,
    ];

    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Self::Constant => "constant",
            Self::RandomWalk => "random-walk",
            Self::Counter => "counter",
            Self::SparseNan => "sparse-nan",
            Self::Decimals2 => "decimals-2",
            Self::Noisy => "noisy",
        }
    }

    /// `n` values of this shape.
    pub fn generate(self, seed: u64, n: usize) -> Vec<f64> {
        match self {
            Self::Constant => constant(42.0, n),
            Self::RandomWalk => random_walk(seed, 100.0, 0.5, n),
            Self::Counter => counter_with_resets(seed, 1_000, 0.001, n),
            Self::SparseNan => sparse_with_nan(seed, 0.05, n),
            Self::Decimals2 => decimals(seed, 2, 0.0, 500.0, n),
            Self::Noisy => noise(seed, 0.0, 1.0, n),
        }
    }
}

/// Every (timestamp shape, value shape) pair: the data matrix of benchmarks
/// and suites, as `(name, timestamps, values)`.
pub fn shape_matrix(seed: u64, n: usize) -> Vec<(String, Vec<i64>, Vec<f64>)> {
    let mut out = Vec::new();
    for ts_shape in TimestampShape::ALL {
        for value_shape in ValueShape::ALL {
            let name = format!("{}/{}", ts_shape.name(), value_shape.name());
            out.push((
                name,
                ts_shape.generate(seed, n),
                value_shape.generate(seed, n),
            ));
        }
    }
    out
}

/// `series` series `metric{host="host-<i>", shape="<shape>"}` of
/// `points_per_series` points each, every 10 s from `start`, values cycling
/// through [`ValueShape::ALL`]. Points are ordered by time, then by series,
/// as a scraper would write them.
pub fn many_series(
    seed: u64,
    metric: &str,
    series: usize,
    points_per_series: usize,
    start: i64,
) -> Vec<DataPoint> {
    let columns: Vec<(Arc<SeriesMeta>, Vec<f64>)> = (0..series)
        .map(|i| {
            let shape = ValueShape::ALL[i % ValueShape::ALL.len()];
            let labels = vec![
                ("host".to_string(), format!("host-{i}")),
                ("shape".to_string(), shape.name().to_string()),
            ];
            let meta = Arc::new(SeriesMeta::new(metric, labels));
            (
                meta,
                shape.generate(seed.wrapping_add(i as u64), points_per_series),
            )
        })
        .collect();
    let timestamps = regular_timestamps(start, 10 * SECOND_NS, points_per_series);
    let mut points = Vec::with_capacity(series * points_per_series);
    for (j, &ts) in timestamps.iter().enumerate() {
        for (meta, values) in &columns {
            points.push(DataPoint::for_series(Arc::clone(meta), ts, values[j]));
        }
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_the_reference_sequence() {
        // First outputs of the reference C implementation seeded with 0.
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(rng.next_u64(), 0x6e78_9e6a_a1b9_65f4);
    }

    #[test]
    fn generators_are_deterministic_per_seed() {
        for (name, ts, vs) in shape_matrix(7, 500) {
            let again = shape_matrix(7, 500);
            let (_, ts2, vs2) = again.iter().find(|(n, _, _)| *n == name).unwrap();
            assert_eq!(&ts, ts2, "{name}");
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&vs), bits(vs2), "{name}");
        }
        assert_ne!(random_walk(1, 0.0, 1.0, 50), random_walk(2, 0.0, 1.0, 50));
    }

    #[test]
    fn timestamp_shapes_increase_strictly() {
        for shape in TimestampShape::ALL {
            let ts = shape.generate(3, 10_000);
            assert_eq!(ts.len(), 10_000);
            assert!(ts.windows(2).all(|w| w[0] < w[1]), "{}", shape.name());
        }
        let gapped = TimestampShape::Gapped.generate(3, 10_000);
        assert!(gapped.windows(2).any(|w| w[1] - w[0] > 10 * SECOND_NS));
    }

    #[test]
    fn value_shapes_have_their_properties() {
        let counter = counter_with_resets(5, 10, 0.01, 5_000);
        assert!(counter.windows(2).any(|w| w[1] < w[0]), "expected a reset");
        assert!(counter.iter().all(|v| v.fract() == 0.0 && *v >= 0.0));
        let sparse = sparse_with_nan(5, 0.1, 5_000);
        let nans = sparse.iter().filter(|v| v.is_nan()).count();
        assert!((300..700).contains(&nans), "{nans} NaN");
        for v in decimals(5, 2, 0.0, 100.0, 1_000) {
            let text = format!("{v}");
            let places = text.split('.').nth(1).map_or(0, str::len);
            assert!(places <= 2, "{text}");
            assert!((0.0..=100.0).contains(&v));
        }
        assert!(constant(f64::NAN, 3).iter().all(|v| v.is_nan()));
    }

    #[test]
    fn many_series_interleaves_series_by_time() {
        let points = many_series(1, "cpu", 4, 3, START_2024_NS);
        assert_eq!(points.len(), 12);
        assert!(points.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
        let mut ids: Vec<_> = points.iter().map(|p| p.series_id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 4);
    }
}
