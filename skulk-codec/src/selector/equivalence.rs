//! The optimized selector, over the version-1 codecs, against
//! [`super::reference`]: identical codec
//! choices and identical bytes, on generated shapes (proptest) and on every
//! block of the real datasets when they are present.

use super::{V1, encode_timestamps_among, encode_values_among, reference};
use crate::ValueCodec;
use proptest::prelude::*;

#[path = "../../benches/support/datasets.rs"]
mod datasets;

fn assert_same(timestamps: &[i64], values: &[f64], what: &str) {
    let (mut fast, mut slow) = (vec![0xA5], vec![0xA5]);
    let fast_id = encode_timestamps_among(timestamps, V1, &mut fast).unwrap();
    let slow_id = reference::encode_timestamps_adaptive(timestamps, &mut slow).unwrap();
    assert_eq!((fast_id, &fast), (slow_id, &slow), "timestamps of {what}");
    let (mut fast, mut slow) = (vec![0x5A], vec![0x5A]);
    let fast_id = encode_values_among(values, V1, &mut fast).unwrap();
    let slow_id = reference::encode_values_adaptive(values, &mut slow).unwrap();
    assert_eq!((fast_id, &fast), (slow_id, &slow), "values of {what}");
}

/// Values that mix decimals, integers, exceptions and noise, so every
/// candidate wins somewhere.
fn mixed_values() -> impl Strategy<Value = Vec<f64>> {
    let value = prop_oneof![
        4 => (-100_000i64..100_000).prop_map(|d| d as f64 / 100.0),
        2 => (-1000i64..1000).prop_map(|d| d as f64),
        1 => any::<u64>().prop_map(f64::from_bits),
        1 => Just(f64::NAN),
        1 => Just(-0.0),
    ];
    prop::collection::vec(value, 0..3000)
}

/// 10 s steps from 2024-01-01: regular, jittered by up to 50 ms (kept
/// increasing), or with gaps of 1 to 60 steps at about 1% of the points.
fn shaped_timestamps(n: usize) -> impl Strategy<Value = Vec<i64>> {
    const START: i64 = 1_704_067_200_000_000_000;
    const STEP: i64 = 10_000_000_000;
    let regular = Just((0..n as i64).map(|i| START + i * STEP).collect::<Vec<_>>());
    let jittered = prop::collection::vec(-50_000_000i64..=50_000_000, n).prop_map(|jitter| {
        let mut previous = i64::MIN;
        let shifted = jitter
            .iter()
            .enumerate()
            .map(|(i, j)| START + i as i64 * STEP + j);
        shifted
            .map(|t| {
                previous = t.max(previous.saturating_add(1));
                previous
            })
            .collect()
    });
    let gapped = prop::collection::vec(prop_oneof![99 => Just(0i64), 1 => 1i64..=60], n).prop_map(
        |missing| {
            let mut t = START - STEP;
            missing
                .iter()
                .map(|m| {
                    t += STEP * (1 + m);
                    t
                })
                .collect()
        },
    );
    prop_oneof![regular, jittered, gapped]
}

/// Constant, random walk, counter with resets, sine with noise and 5% NaN,
/// two-decimal walk, and noise.
fn shaped_values(n: usize) -> impl Strategy<Value = Vec<f64>> {
    let walk = |steps: Vec<f64>, start: f64| {
        let mut v = start;
        steps
            .iter()
            .map(|s| {
                v += s;
                v
            })
            .collect::<Vec<f64>>()
    };
    prop_oneof![
        Just(vec![42.0; n]),
        prop::collection::vec(-0.5f64..0.5, n).prop_map(move |s| walk(s, 100.0)),
        prop::collection::vec(prop_oneof![999 => 0u64..=1000, 1 => Just(u64::MAX)], n).prop_map(
            |steps| {
                let mut counter = 0u64;
                steps
                    .iter()
                    .map(|&s| {
                        counter = if s == u64::MAX { 0 } else { counter + s };
                        counter as f64
                    })
                    .collect()
            }
        ),
        prop::collection::vec((-3.0f64..3.0, 0u32..20), n).prop_map(|draws| {
            let wave = |i: usize| 50.0 + 20.0 * (i as f64 * std::f64::consts::TAU / 1440.0).sin();
            let values = draws.iter().enumerate();
            values
                .map(|(i, &(noise, nan))| if nan == 0 { f64::NAN } else { wave(i) + noise })
                .collect()
        }),
        prop::collection::vec(-3i64..=3, n).prop_map(|steps| {
            let mut units = 25_000i64;
            steps
                .iter()
                .map(|s| {
                    units = (units + s).clamp(0, 50_000);
                    units as f64 / 100.0
                })
                .collect()
        }),
        prop::collection::vec(-3.5f64..3.5, n),
    ]
}

fn shaped_block() -> impl Strategy<Value = (Vec<i64>, Vec<f64>)> {
    prop_oneof![
        0usize..300,
        900usize..1100,
        2040usize..2060,
        4000usize..8193
    ]
    .prop_flat_map(|n| (shaped_timestamps(n), shaped_values(n)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn generated_shapes_encode_identically((ts, vs) in shaped_block()) {
        assert_same(&ts, &vs, "a generated block");
    }

    #[test]
    fn mixed_columns_encode_identically(
        values in mixed_values(),
        deltas in prop::collection::vec(prop_oneof![Just(10i64), 0i64..1_000_000, any::<i64>()], 0..3000),
    ) {
        let mut t = 0i64;
        let ts: Vec<i64> = deltas.iter().map(|d| { t = t.wrapping_add(*d); t }).collect();
        assert_same(&ts, &values, "a mixed block");
    }
}

proptest! {
    #[test]
    fn counted_gorilla_length_matches_the_encoding(values in mixed_values()) {
        let mut bytes = Vec::new();
        crate::GorillaValues.encode(&values, &mut bytes).unwrap();
        prop_assert_eq!(crate::gorilla::values::encoded_len(&values), bytes.len());
    }
}

#[test]
fn real_dataset_blocks_encode_identically() {
    let all = datasets::load_all();
    for dataset in &all {
        for block in [1000, 2048, 2049, 8192] {
            let pairs = dataset
                .timestamps
                .chunks(block)
                .zip(dataset.values.chunks(block));
            for (i, (ts, vs)) in pairs.enumerate() {
                assert_same(ts, vs, &format!("{} block {i} of {block}", dataset.name));
            }
        }
    }
}
