//! The adaptive codec family: delta-pack timestamps, ALP values and the
//! per-block selector, through the shared conformance suites, proptest
//! round trips over decimal/integer/exception/random-bit generators, and
//! the real datasets (skipped with a message when absent).

use proptest::prelude::*;
use skulk_codec::{
    AlpValues, CodecChoice, CodecId, CompressedBlock, DeltaPackTimestamps, TimestampCodec,
    ValueCodec,
};
use skulk_testkit::codec_suite::{
    check_block_damage, run_block_suite, run_timestamp_codec_suite, run_value_codec_suite,
    special_values,
};
use skulk_testkit::datasets;

const PACKED: CodecChoice = CodecChoice::Fixed {
    timestamps: CodecId::DeltaPackTimestamps,
    values: CodecId::AlpValues,
};

#[test]
fn delta_pack_timestamps_conform() {
    run_timestamp_codec_suite(&DeltaPackTimestamps);
}

#[test]
fn alp_values_conform() {
    run_value_codec_suite(&AlpValues);
}

#[test]
fn packed_blocks_conform() {
    run_block_suite(PACKED);
}

#[test]
fn adaptive_blocks_conform() {
    run_block_suite(CodecChoice::Adaptive);
}

#[test]
fn every_damage_to_a_packed_block_is_survived() {
    let specials = special_values();
    let ts: Vec<i64> = (0..48)
        .map(|i: i64| 1_700_000_000_000_000_000 + i * 300_000_000_000 + (i % 7 == 3) as i64 * 977)
        .collect();
    let vs: Vec<f64> = (0..48)
        .map(|i| {
            if i % 9 == 5 {
                specials[i % specials.len()]
            } else {
                (i % 13) as f64 * 0.125
            }
        })
        .collect();
    let block = CompressedBlock::encode_with(&ts, &vs, PACKED).unwrap();
    check_block_damage(block.as_bytes(), true);
}

fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// Decimals with 0 to 6 places, as a random walk or independent draws.
fn decimals() -> impl Strategy<Value = Vec<f64>> {
    (
        0u32..=6,
        prop::collection::vec(-5_000_000i64..5_000_000, 0..1200),
        any::<bool>(),
    )
        .prop_map(|(places, draws, walk)| {
            let scale = 10f64.powi(places as i32);
            let mut x = 0i64;
            draws
                .iter()
                .map(|&d| {
                    x = if walk { x + d / 1000 } else { d };
                    x as f64 / scale
                })
                .collect()
        })
}

/// Integer-valued floats over the whole exactly representable range.
fn integers() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-(1i64 << 53)..(1i64 << 53), 0..1200)
        .prop_map(|v| v.into_iter().map(|i| i as f64).collect())
}

/// Decimals with special values and long fractions mixed in.
fn mixed_exceptions() -> impl Strategy<Value = Vec<f64>> {
    let special = prop::sample::select(special_values());
    let value = prop_oneof![
        6 => (-100_000i64..100_000).prop_map(|d| d as f64 / 100.0),
        1 => special,
        1 => any::<f64>(),
    ];
    prop::collection::vec(value, 0..1200)
}

fn random_bits() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(any::<u64>().prop_map(f64::from_bits), 0..600)
}

fn timestamps() -> impl Strategy<Value = Vec<i64>> {
    let regular = (
        any::<i64>(),
        1i64..10_000_000_000_000,
        prop::collection::vec(0u8..=255, 0..1200),
    )
        .prop_map(|(start, step, kinds)| {
            let mut t = start;
            kinds
                .iter()
                .map(|&k| {
                    let d = match k {
                        0 => 0,
                        1 => -step,
                        2..=5 => step * i64::from(k),
                        _ => step + i64::from(k % 3),
                    };
                    t = t.wrapping_add(d);
                    t
                })
                .collect()
        });
    prop_oneof![regular, prop::collection::vec(any::<i64>(), 0..600)]
}

fn check_values(codec: &dyn ValueCodec, values: &[f64]) -> Result<(), TestCaseError> {
    let mut bytes = vec![7u8];
    codec
        .encode(values, &mut bytes)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(bytes.len() - 1 <= codec.max_encoded_len(values.len()));
    let mut out = Vec::new();
    let used = codec.decode(&bytes[1..], values.len(), &mut out);
    prop_assert_eq!(used, Ok(bytes.len() - 1));
    prop_assert_eq!(bits(&out), bits(values));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn alp_round_trips_decimals(values in decimals()) {
        check_values(&AlpValues, &values)?;
    }

    #[test]
    fn alp_round_trips_integers(values in integers()) {
        check_values(&AlpValues, &values)?;
    }

    #[test]
    fn alp_round_trips_mixed_exceptions(values in mixed_exceptions()) {
        check_values(&AlpValues, &values)?;
    }

    #[test]
    fn alp_round_trips_random_bits(values in random_bits()) {
        check_values(&AlpValues, &values)?;
    }

    #[test]
    fn delta_pack_round_trips(ts in timestamps()) {
        let mut bytes = Vec::new();
        DeltaPackTimestamps.encode(&ts, &mut bytes).unwrap();
        prop_assert!(bytes.len() <= DeltaPackTimestamps.max_encoded_len(ts.len()));
        let mut out = Vec::new();
        prop_assert_eq!(DeltaPackTimestamps.decode(&bytes, ts.len(), &mut out), Ok(bytes.len()));
        prop_assert_eq!(out, ts);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300), count in 0usize..2000) {
        let mut ts = Vec::new();
        if DeltaPackTimestamps.decode(&bytes, count, &mut ts).is_ok() {
            prop_assert_eq!(ts.len(), count);
        } else {
            prop_assert!(ts.is_empty());
        }
        let mut vs = Vec::new();
        if AlpValues.decode(&bytes, count, &mut vs).is_ok() {
            prop_assert_eq!(vs.len(), count);
        } else {
            prop_assert!(vs.is_empty());
        }
    }

    #[test]
    fn adaptive_blocks_round_trip(ts in timestamps(), values in prop_oneof![decimals(), mixed_exceptions(), random_bits()]) {
        let n = ts.len().min(values.len());
        let block = CompressedBlock::encode(&ts[..n], &values[..n]).unwrap();
        let (dts, dvs) = CompressedBlock::from_bytes(block.as_bytes()).unwrap().decode().unwrap();
        prop_assert_eq!(&dts[..], &ts[..n]);
        prop_assert_eq!(bits(&dvs), bits(&values[..n]));
    }
}

/// On every real dataset and at both reference block sizes, adaptive
/// blocks round-trip and are never more than 2% larger than Gorilla blocks.
#[test]
fn adaptive_never_loses_to_gorilla_on_real_data() {
    for dataset in datasets::load_all() {
        for block_size in [1000, 8192] {
            let (mut adaptive, mut gorilla) = (0usize, 0usize);
            let chunks = dataset
                .timestamps
                .chunks(block_size)
                .zip(dataset.values.chunks(block_size));
            for (ts, vs) in chunks {
                let block = CompressedBlock::encode(ts, vs).unwrap();
                adaptive += block.as_bytes().len();
                gorilla += CompressedBlock::encode_with(ts, vs, CodecChoice::GORILLA)
                    .unwrap()
                    .as_bytes()
                    .len();
                let (dts, dvs) = CompressedBlock::from_bytes(block.as_bytes())
                    .unwrap()
                    .decode()
                    .unwrap();
                assert_eq!(dts, ts, "{}", dataset.name);
                assert_eq!(bits(&dvs), bits(vs), "{}", dataset.name);
            }
            assert!(
                adaptive * 100 <= gorilla * 102,
                "{} at {block_size}: adaptive {adaptive} B vs Gorilla {gorilla} B",
                dataset.name
            );
        }
    }
}
