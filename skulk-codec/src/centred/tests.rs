use super::*;
use proptest::prelude::*;

fn encode(values: &[u64]) -> Vec<u8> {
    let plan = plan_owned(values.to_vec());
    let mut bytes = Vec::new();
    write(&plan, &mut bytes);
    assert_eq!(encoded_len(&plan), bytes.len());
    bytes
}

fn round_trip(values: &[u64]) -> usize {
    let bytes = encode(values);
    assert!(bytes.len() <= max_encoded_len(values.len()));
    let run = Run::parse(&bytes, values.len()).unwrap();
    assert_eq!(run.len, bytes.len());
    let bounds = run.bounds();
    let magnitude = run.magnitude();
    let mut out = Vec::new();
    run.decode(|frame| out.extend_from_slice(frame));
    assert_eq!(out, values);
    for &v in values {
        let m = u128::from((v as i64).unsigned_abs());
        assert!(m <= magnitude, "{v} beyond magnitude {magnitude}");
    }
    if let Some((low, high)) = bounds {
        for &v in values {
            assert!(
                (low..=high).contains(&(v as i64)),
                "{v} outside {low}..={high}"
            );
        }
    }
    for cut in 0..bytes.len() {
        assert!(
            Run::parse(&bytes[..cut], values.len()).is_err(),
            "cut {cut}"
        );
    }
    bytes.len()
}

#[test]
fn runs_round_trip() {
    round_trip(&[]);
    round_trip(&[u64::MAX]);
    round_trip(&[0, u64::MAX, 1 << 63, (1 << 63) - 1, 5]);
    let regular: Vec<u64> = (0..1000)
        .map(|i| if i % 97 == 0 { 2400 } else { 300 })
        .collect();
    assert!(round_trip(&regular) < 60);
    let mixed: Vec<u64> = (0..3000u64).map(|i| (i * i) % 1013 * 7 + 1).collect();
    round_trip(&mixed);
}

#[test]
fn outliers_cost_only_their_high_bits() {
    // Deltas of -2..=2 with one in 16 at +-40: width 3 and exceptions of a
    // 10-bit position and 4 high bits (608 bytes) are cheaper than width 7
    // for every value (896 bytes).
    let values: Vec<u64> = (0..1024i64)
        .map(|i| match i % 16 {
            0 => 40,
            8 => -40,
            _ => i % 5 - 2,
        } as u64)
        .collect();
    let plan = plan_owned(values.clone());
    assert_eq!(plan.width, 3, "{plan:?}");
    assert_eq!(plan.positions.len(), 128);
    assert_eq!(plan.high_width, 4);
    // Header: centre, gcd, width, a two-byte count and the high width.
    assert_eq!(round_trip(&values), 6 + 1024 * 3 / 8 + 128 * 14 / 8);
}

#[test]
fn constant_runs_are_a_few_bytes_and_known_constant() {
    let bytes = encode(&[7; 5000]);
    assert!(bytes.len() <= 4, "{}", bytes.len());
    let run = Run::parse(&bytes, 5000).unwrap();
    assert!(run.is_constant());
    assert_eq!((run.centre(), run.gcd()), (7, 1));
    assert_eq!(run.bounds(), Some((7, 7)));
}

#[test]
fn bounds_are_exact_for_exceptions_and_refused_when_values_may_wrap() {
    let mut values = vec![300u64; 500];
    values[10] = 2400;
    values[400] = (-60i64) as u64;
    let bytes = encode(&values);
    let run = Run::parse(&bytes, values.len()).unwrap();
    assert_eq!(run.bounds(), Some((-60, 2400)));
    // A 64-bit window reaches past the i64 range on one side.
    let extremes = [i64::MIN as u64, i64::MAX as u64, 0];
    let wide = encode(&extremes);
    assert_eq!(Run::parse(&wide, 3).unwrap().bounds(), None);
}

#[test]
fn corrupt_headers_are_typed_errors() {
    let bytes = encode(&[1, 2, 3, 1000]);
    let mut bad = bytes.clone();
    bad[1] = 0; // gcd
    assert!(matches!(
        Run::parse(&bad, 4),
        Err(CodecError::Corrupt { .. })
    ));
    // exception count above the point count
    assert!(matches!(
        Run::parse(&[0, 1, 3, 9], 4),
        Err(CodecError::Corrupt { .. })
    ));
    // width above 64
    assert!(matches!(
        Run::parse(&[0, 1, 65, 0], 4),
        Err(CodecError::Corrupt { .. })
    ));
    // high width 0, and high width past 64 bits with the width
    for high in [0, 62] {
        assert!(matches!(
            Run::parse(&[0, 1, 3, 1, high, 0, 0, 0, 0, 0], 4),
            Err(CodecError::Corrupt { .. })
        ));
    }
    // descending positions: count 4 => 2-bit positions 3, 1
    let bad = [0, 1, 0, 2, 1, 0b0111, 0b11];
    assert!(matches!(
        Run::parse(&bad, 4),
        Err(CodecError::Corrupt { .. })
    ));
}

proptest! {
    #[test]
    fn any_run_round_trips(
        values in prop::collection::vec(
            prop_oneof![
                0u64..16,
                Just(300u64),
                any::<u64>(),
                (0u64..1000).prop_map(|x| x * 7 + (1 << 40)),
                (-50i64..50).prop_map(|x| x as u64),
            ],
            0..1500,
        )
    ) {
        round_trip(&values);
    }
}
