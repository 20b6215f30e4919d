//! Helpers shared by the integration tests.

use skulk_format::DataPoint;
use skulk_wal::{Lsn, SyncMode, WalConfig, WalEntry};

/// A small deterministic generator (xorshift64*), so failures replay.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

pub fn config(sync_mode: SyncMode) -> WalConfig {
    WalConfig {
        sync_mode,
        ..WalConfig::default()
    }
}

pub fn small_segments(sync_mode: SyncMode, segment_size: u64) -> WalConfig {
    WalConfig {
        sync_mode,
        segment_size,
        ..WalConfig::default()
    }
}

pub fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Values that must survive bit-exactly.
pub const SPECIAL_VALUES: [f64; 9] = [
    0.0,
    -0.0,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    f64::MIN_POSITIVE,
    f64::MAX,
    5e-324,
    -1.5,
];

/// A NaN with a payload, which must keep its bits.
pub fn odd_nan() -> f64 {
    f64::from_bits(0xfff4_0000_dead_beef)
}

/// Points of `series` hosts with extreme and ordinary timestamps and
/// special values.
pub fn sample_points(rng: &mut Rng, n: usize, series: u64) -> Vec<DataPoint> {
    (0..n)
        .map(|i| {
            let host = format!("h{}", rng.below(series));
            let ts = match i % 5 {
                0 => i64::MIN + i as i64,
                1 => i64::MAX - i as i64,
                _ => rng.next_u64() as i64,
            };
            let value = match i % 3 {
                0 => SPECIAL_VALUES[rng.below(SPECIAL_VALUES.len() as u64) as usize],
                1 => odd_nan(),
                _ => f64::from_bits(rng.next_u64()),
            };
            DataPoint::new(
                "cpu.usage",
                labels(&[("host", &host), ("dc", "eu")]),
                ts,
                value,
            )
        })
        .collect()
}

/// Asserts `got` is a prefix of `want`: the same LSNs and entries, floats
/// compared by their bits.
pub fn assert_prefix(got: &[(Lsn, WalEntry)], want: &[(Lsn, WalEntry)]) {
    assert!(
        got.len() <= want.len(),
        "{} records recovered, {} written",
        got.len(),
        want.len()
    );
    for ((lg, eg), (lw, ew)) in got.iter().zip(want) {
        assert_eq!(lg, lw);
        let same = match (eg, ew) {
            (WalEntry::Points(x), WalEntry::Points(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| p.bit_eq(q))
            }
            _ => eg == ew,
        };
        assert!(same, "record {lg}: {eg:?} != {ew:?}");
    }
}
