//! The optimized selector against [`super::reference`]: identical codec
//! choices and identical bytes, on the generator shapes (proptest) and on
//! every block of the real datasets when they are present.

use super::{encode_timestamps_adaptive, encode_values_adaptive, reference};
use crate::ValueCodec;
use proptest::prelude::*;
use skulk_testkit::generators::{TimestampShape, ValueShape};

fn assert_same(timestamps: &[i64], values: &[f64], what: &str) {
    let (mut fast, mut slow) = (vec![0xA5], vec![0xA5]);
    let fast_id = encode_timestamps_adaptive(timestamps, &mut fast).unwrap();
    let slow_id = reference::encode_timestamps_adaptive(timestamps, &mut slow).unwrap();
    assert_eq!((fast_id, &fast), (slow_id, &slow), "timestamps of {what}");
    let (mut fast, mut slow) = (vec![0x5A], vec![0x5A]);
    let fast_id = encode_values_adaptive(values, &mut fast).unwrap();
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn generator_shapes_encode_identically(
        ts_shape in 0..TimestampShape::ALL.len(),
        value_shape in 0..ValueShape::ALL.len(),
        seed in any::<u64>(),
        n in prop_oneof![0usize..300, 900usize..1100, 2040usize..2060, 4000usize..8193],
    ) {
        let ts = TimestampShape::ALL[ts_shape].generate(seed, n);
        let vs = ValueShape::ALL[value_shape].generate(seed, n);
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
    let all = skulk_testkit::datasets::load_all();
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
