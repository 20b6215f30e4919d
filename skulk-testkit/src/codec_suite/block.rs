//! The block suite: [`CompressedBlock`] round trips for a [`CodecChoice`],
//! and truncation and byte-flip sweeps over encoded blocks.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use skulk_codec::{BlockView, CodecChoice, CodecError, CompressedBlock};

use super::{
    CASES, FLIP_MASKS, flip, timestamp_edge_cases, timestamp_sequences, value_edge_cases,
    value_sequences,
};

/// Decodes a (possibly damaged) block. When it decodes, the header must
/// agree with the points: the count, and min/max equal to the decoded
/// timestamps' extremes. Returns the points.
pub fn decode_block_checked(bytes: &[u8]) -> Result<(Vec<i64>, Vec<f64>), CodecError> {
    let view = BlockView::parse(bytes)?;
    let (mut ts, mut vs) = (Vec::new(), Vec::new());
    view.decode_into(&mut ts, &mut vs)?;
    let header = view.header();
    assert_eq!(
        ts.len(),
        view.point_count(),
        "block decoded a wrong number of timestamps"
    );
    assert_eq!(
        vs.len(),
        view.point_count(),
        "block decoded a wrong number of values"
    );
    if let (Some(&min), Some(&max)) = (ts.iter().min(), ts.iter().max()) {
        assert_eq!(
            (min, max),
            (header.min_timestamp, header.max_timestamp),
            "wrong min/max"
        );
    }
    Ok((ts, vs))
}

/// Every truncation of `block` fails; every single-byte flip (each of the
/// masks, or all 255 nonzero masks when `exhaustive`) decodes without
/// panicking and, when it decodes, with a header that matches the points.
pub fn check_block_damage(block: &[u8], exhaustive: bool) {
    for cut in 0..block.len() {
        let result = decode_block_checked(block.get(..cut).unwrap_or_default());
        assert!(
            result.is_err(),
            "a {cut}-byte prefix of a {}-byte block decoded",
            block.len()
        );
    }
    let mut longer = block.to_vec();
    longer.push(0);
    assert!(
        decode_block_checked(&longer).is_err(),
        "a block with a trailing byte decoded"
    );
    let masks: Vec<u8> = if exhaustive {
        (1..=255).collect()
    } else {
        FLIP_MASKS.to_vec()
    };
    let mut damaged = block.to_vec();
    for i in 0..damaged.len() {
        for &mask in &masks {
            flip(&mut damaged, i, mask);
            let _ = decode_block_checked(&damaged);
            flip(&mut damaged, i, mask);
        }
    }
}

fn check_block_round_trip(choice: CodecChoice, label: &str, ts: &[i64], vs: &[f64]) -> Vec<u8> {
    let block = CompressedBlock::encode_with(ts, vs, choice)
        .unwrap_or_else(|e| panic!("{choice:?} {label}: encode failed: {e}"));
    let (dts, dvs) = decode_block_checked(block.as_bytes())
        .unwrap_or_else(|e| panic!("{choice:?} {label}: decode failed: {e}"));
    assert_eq!(dts, ts, "{choice:?} {label}: timestamps differ");
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&dvs), bits(vs), "{choice:?} {label}: values differ");
    let header = block.header();
    assert_eq!(
        header.point_count as usize,
        ts.len(),
        "{choice:?} {label}: header count"
    );
    if let Some(min) = ts.iter().min() {
        assert_eq!(header.min_timestamp, *min, "{choice:?} {label}: header min");
    }
    let copy = CompressedBlock::from_bytes(block.as_bytes())
        .unwrap_or_else(|e| panic!("{choice:?} {label}: from_bytes failed: {e}"));
    assert_eq!(
        copy, block,
        "{choice:?} {label}: from_bytes changed the block"
    );
    block.into_bytes()
}

/// Runs the block suite for `choice`: edge cases (every timestamp edge case
/// paired with value edge cases), proptest round trips, every truncation
/// and single-byte flip. Panics on failure.
pub fn run_block_suite(choice: CodecChoice) {
    let values = value_edge_cases();
    for (i, (label, ts)) in timestamp_edge_cases().into_iter().enumerate() {
        let Some((_, pattern)) = values.get(i % values.len()) else {
            continue;
        };
        let vs: Vec<f64> = if pattern.is_empty() {
            vec![0.5; ts.len()]
        } else {
            pattern.iter().copied().cycle().take(ts.len()).collect()
        };
        let bytes = check_block_round_trip(choice, label, &ts, &vs);
        check_block_damage(&bytes, false);
    }
    let strategy = (timestamp_sequences(), value_sequences()).prop_map(|(mut ts, mut vs)| {
        let n = ts.len().min(vs.len());
        ts.truncate(n);
        vs.truncate(n);
        (ts, vs)
    });
    let config = Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    };
    let outcome = TestRunner::new(config).run(&strategy, |(ts, vs)| {
        check_block_round_trip(choice, "proptest input", &ts, &vs);
        Ok(())
    });
    if let Err(e) = outcome {
        panic!("{choice:?}: proptest block round trip failed: {e}");
    }
}
