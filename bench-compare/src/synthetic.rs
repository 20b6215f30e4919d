//! Generated series shown after the real ones: shapes the real datasets
//! lack. They are not part of the pooled rows, which pool the real
//! datasets only.

use skulk_testkit::datasets::Dataset;
use skulk_testkit::generators::{START_2024_NS, SplitMix64, regular_timestamps};

/// Points per generated series.
const POINTS: usize = 50_000;

/// Uniform random doubles in `[0, 1)` (53 random bits each, as
/// `rand::random::<f64>()` draws them) at 1 s steps: full-precision values
/// with no decimal structure, the case for ALP-RD.
pub fn uniform_doubles() -> Dataset {
    let mut rng = SplitMix64::new(0x5eed_0f64);
    Dataset {
        name: "uniform_random_doubles".to_string(),
        timestamps: regular_timestamps(START_2024_NS, 1_000_000_000, POINTS),
        values: (0..POINTS).map(|_| rng.next_f64()).collect(),
    }
}

/// Event timestamps in milliseconds-resolution nanoseconds: 100 ms steps
/// with up to 2 ms of jitter, where 5% of the points repeat the previous
/// timestamp and 2% arrive up to 10 ms early (a small backward step);
/// values are a two-decimal random walk.
pub fn duplicate_timestamps() -> Dataset {
    let mut rng = SplitMix64::new(0x5eed_d0b1);
    let ms = 1_000_000i64;
    let mut previous = START_2024_NS;
    let mut walk = 50_000i64;
    let (mut timestamps, mut values) = (Vec::new(), Vec::new());
    for i in 0..POINTS as i64 {
        let nominal = START_2024_NS + i * 100 * ms + rng.symmetric(2) * ms;
        previous = match rng.below(100) {
            0..=4 => previous,
            5 | 6 => previous - (1 + rng.below(10) as i64) * ms,
            _ => nominal,
        };
        timestamps.push(previous);
        walk += rng.symmetric(20);
        values.push(walk as f64 / 100.0);
    }
    Dataset {
        name: "duplicate_timestamps".to_string(),
        timestamps,
        values,
    }
}

/// Every generated series, in table order.
pub fn all() -> Vec<Dataset> {
    vec![uniform_doubles(), duplicate_timestamps()]
}
