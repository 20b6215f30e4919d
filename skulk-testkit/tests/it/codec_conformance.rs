//! Runs the codec conformance suites of `skulk-testkit` against the codecs
//! of this crate.

use skulk_codec::{
    CodecChoice, CodecKind, CompressedBlock, GorillaTimestamps, GorillaValues, RawTimestamps,
    RawValues, timestamp_codec, value_codec,
};
use skulk_testkit::codec_suite::{
    check_block_damage, run_block_suite, run_timestamp_codec_suite, run_value_codec_suite,
    special_values,
};

#[test]
fn raw_timestamps_conform() {
    run_timestamp_codec_suite(&RawTimestamps);
}

#[test]
fn raw_values_conform() {
    run_value_codec_suite(&RawValues);
}

#[test]
fn gorilla_timestamps_conform() {
    run_timestamp_codec_suite(&GorillaTimestamps);
}

#[test]
fn gorilla_values_conform() {
    run_value_codec_suite(&GorillaValues);
}

#[test]
fn raw_blocks_conform() {
    run_block_suite(CodecChoice::RAW);
}

#[test]
fn gorilla_blocks_conform() {
    run_block_suite(CodecChoice::GORILLA);
}

#[test]
fn gorilla_is_registered_under_its_ids() {
    for &id in skulk_codec::CodecId::ALL {
        match id.kind() {
            CodecKind::Timestamp => assert_eq!(timestamp_codec(id).map(|c| c.id()), Ok(id)),
            CodecKind::Value => assert_eq!(value_codec(id).map(|c| c.id()), Ok(id)),
        }
    }
}

/// Every truncation and every single-byte replacement (all 255 nonzero
/// masks at every position) of a valid Gorilla block decodes without
/// panicking, and never with a header that disagrees with the points.
#[test]
fn every_damage_to_a_gorilla_block_is_survived() {
    let specials = special_values();
    let ts: Vec<i64> = (0..48)
        .map(|i: i64| 1_700_000_000_000_000_000 + i * 1_000_000_000 + (i % 5) * 977)
        .collect();
    let vs: Vec<f64> = (0..48)
        .map(|i| {
            if i % 6 == 5 {
                specials[i % specials.len()]
            } else {
                (i as f64 * 0.7).sin()
            }
        })
        .collect();
    let block = CompressedBlock::encode_with(&ts, &vs, CodecChoice::GORILLA).unwrap();
    check_block_damage(block.as_bytes(), true);
}
