//! Helpers shared by the integration tests.

use std::time::Duration;

use skulk_format::{DataPoint, SeriesMeta, TimePartition};
use skulk_wal::{Lsn, SyncMode, WalConfig, WalEntry, WalPoint};

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

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
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

/// One of each entry type.
pub fn every_entry_type() -> Vec<WalEntry> {
    let meta = SeriesMeta::new("mem", labels(&[("host", "ä"), ("empty", "")]));
    vec![
        WalEntry::series_def(meta.clone()),
        WalEntry::series_def(SeriesMeta::new("", vec![])),
        WalEntry::Points(
            SPECIAL_VALUES
                .iter()
                .chain([odd_nan()].iter())
                .enumerate()
                .map(|(i, &value)| WalPoint {
                    series_id: meta.id(),
                    timestamp: [i64::MIN, i64::MAX, 0, -1][i % 4],
                    value,
                })
                .collect(),
        ),
        WalEntry::DropPartition(TimePartition::new(i64::MIN, Duration::from_secs(3600)).unwrap()),
        WalEntry::DropPartition(
            TimePartition::containing(i64::MAX, Duration::from_nanos(7)).unwrap(),
        ),
        WalEntry::Checkpoint { safe_lsn: 0 },
        WalEntry::Checkpoint { safe_lsn: u64::MAX },
    ]
}

/// Equality that compares floats by bits.
pub fn entry_bit_eq(a: &WalEntry, b: &WalEntry) -> bool {
    match (a, b) {
        (WalEntry::Points(x), WalEntry::Points(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| p.bit_eq(q))
        }
        _ => a == b,
    }
}

/// Asserts both lists hold the same LSNs and bit-equal entries.
pub fn assert_records_eq(got: &[(Lsn, WalEntry)], want: &[(Lsn, WalEntry)]) {
    assert_eq!(got.len(), want.len(), "record count");
    for ((lg, eg), (lw, ew)) in got.iter().zip(want) {
        assert_eq!(lg, lw);
        assert!(entry_bit_eq(eg, ew), "record {lg}: {eg:?} != {ew:?}");
    }
}

/// Asserts `got` is a prefix of `want`.
pub fn assert_prefix(got: &[(Lsn, WalEntry)], want: &[(Lsn, WalEntry)]) {
    assert!(
        got.len() <= want.len(),
        "{} records recovered, {} written",
        got.len(),
        want.len()
    );
    assert_records_eq(got, &want[..got.len()]);
}
