//! The version-2 codecs (step timestamps, ALP vectors, ALP-RD) through the
//! shared conformance suites, with every truncation and byte replacement of
//! blocks that reach each of their schemes, and proptest round trips of
//! the shapes each one is for.

use proptest::prelude::*;
use skulk_codec::{
    AlpRdValues, AlpVectorValues, CodecChoice, CodecId, CompressedBlock, StepTimestamps,
    TimestampCodec, ValueCodec,
};
use skulk_testkit::codec_suite::{
    check_block_damage, run_block_suite, run_timestamp_codec_suite, run_value_codec_suite,
    special_values,
};

const START: i64 = 1_700_000_000_000_000_000;

fn choice(timestamps: CodecId, values: CodecId) -> CodecChoice {
    CodecChoice::Fixed { timestamps, values }
}

#[test]
fn step_timestamps_conform() {
    run_timestamp_codec_suite(&StepTimestamps);
}

#[test]
fn alp_vector_values_conform() {
    run_value_codec_suite(&AlpVectorValues);
}

#[test]
fn alp_rd_values_conform() {
    run_value_codec_suite(&AlpRdValues);
}

#[test]
fn version_2_blocks_conform() {
    run_block_suite(choice(CodecId::StepTimestamps, CodecId::AlpVectorValues));
    run_block_suite(choice(CodecId::StepTimestamps, CodecId::AlpRdValues));
    run_block_suite(CodecChoice::AdaptiveV1);
}

fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// Cents times a factor, rounded to 14 significant digits: the
/// multiplier scheme.
fn factored(n: usize) -> Vec<f64> {
    let mut cents = 2_000i64;
    (0..n as u64)
        .map(|i| {
            cents += (i.wrapping_mul(2_654_435_761) % 61) as i64 - 30;
            let value = cents as f64 * 0.000_642_569_688_252_78;
            format!("{value:.13e}").parse().unwrap()
        })
        .collect()
}

/// Every truncation and every byte replacement (all 255 masks) of small
/// blocks that use each scheme: ALP vectors with decimal and multiplier
/// vectors and exceptions, ALP-RD with exceptions, step timestamps in both
/// models, with a fraction and with outliers.
#[test]
fn every_damage_to_a_version_2_block_is_survived() {
    let specials = special_values();
    let jittered: Vec<i64> = (0..40)
        .map(|i| START + i * 1_000_000 + (i % 3) * 7)
        .collect();
    let mut late = jittered.clone();
    late[20] = late[19];
    late[30] -= 5_000;
    let fractional: Vec<i64> = (0..40)
        .map(|i| START + (i * 1_000_000_000 + 180) / 360)
        .collect();
    let mut decimals: Vec<f64> = (0..40).map(|i| f64::from(i % 13) * 0.25).collect();
    decimals[7] = specials[0];
    decimals[22] = specials[6];
    let uniform: Vec<f64> = (0..40u64)
        .map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11) as f64 / (1u64 << 53) as f64)
        .collect();
    let cases = [
        (&jittered, &decimals, CodecId::AlpVectorValues),
        (&late, &factored(40), CodecId::AlpVectorValues),
        (&fractional, &uniform, CodecId::AlpRdValues),
    ];
    for (ts, vs, values) in cases {
        let block =
            CompressedBlock::encode_with(ts, vs, choice(CodecId::StepTimestamps, values)).unwrap();
        check_block_damage(block.as_bytes(), true);
    }
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

/// Stretches of different decimal places and of factored values in one
/// column, with special values mixed in.
fn mixed_stretches() -> impl Strategy<Value = Vec<f64>> {
    let stretch = (0u32..=4, 1usize..700, any::<bool>()).prop_map(|(places, n, factor)| {
        if factor {
            return factored(n);
        }
        let scale = [1.0, 10.0, 100.0, 1000.0, 10_000.0][places as usize];
        (0..n as i64)
            .map(|i| ((i * 37) % 1001) as f64 / scale)
            .collect::<Vec<_>>()
    });
    let special = prop::sample::select(special_values());
    (
        prop::collection::vec(stretch, 1..5),
        prop::collection::vec((0usize..2000, special), 0..8),
    )
        .prop_map(|(stretches, specials)| {
            let mut values: Vec<f64> = stretches.concat();
            for (at, v) in specials {
                if let Some(slot) = values.get_mut(at) {
                    *slot = v;
                }
            }
            values
        })
}

/// Timestamps on a grid with jitter, duplicates, late points and gaps.
fn grid_timestamps() -> impl Strategy<Value = Vec<i64>> {
    (
        1i64..10_000_000_000,
        prop::collection::vec(0u8..=255, 0..2000),
    )
        .prop_map(|(step, kinds)| {
            let mut previous = START;
            kinds
                .iter()
                .enumerate()
                .map(|(i, &k)| {
                    let nominal = START.wrapping_add(step.wrapping_mul(i as i64));
                    previous = match k {
                        0..=9 => previous,
                        10..=14 => previous.wrapping_sub(i64::from(k) * 1000),
                        15 => previous.wrapping_add(step.wrapping_mul(50)),
                        _ => nominal.wrapping_add(i64::from(k % 5)),
                    };
                    previous
                })
                .collect()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn alp_vectors_round_trip_mixed_stretches(values in mixed_stretches()) {
        check_values(&AlpVectorValues, &values)?;
        check_values(&AlpRdValues, &values)?;
    }

    #[test]
    fn step_timestamps_round_trip_grids(ts in grid_timestamps()) {
        let mut bytes = Vec::new();
        StepTimestamps.encode(&ts, &mut bytes).unwrap();
        prop_assert!(bytes.len() <= StepTimestamps.max_encoded_len(ts.len()));
        let mut out = Vec::new();
        prop_assert_eq!(StepTimestamps.decode(&bytes, ts.len(), &mut out), Ok(bytes.len()));
        prop_assert_eq!(out, ts);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300), count in 0usize..2000) {
        let mut ts = Vec::new();
        if StepTimestamps.decode(&bytes, count, &mut ts).is_ok() {
            prop_assert_eq!(ts.len(), count);
        } else {
            prop_assert!(ts.is_empty());
        }
        for codec in [&AlpVectorValues as &dyn ValueCodec, &AlpRdValues] {
            let mut vs = Vec::new();
            if codec.decode(&bytes, count, &mut vs).is_ok() {
                prop_assert_eq!(vs.len(), count);
            } else {
                prop_assert!(vs.is_empty());
            }
        }
    }
}
