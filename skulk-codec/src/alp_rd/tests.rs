use super::*;
use proptest::prelude::*;

fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

fn round_trip(values: &[f64]) -> usize {
    let mut bytes = vec![0x5A];
    AlpRdValues.encode(values, &mut bytes).unwrap();
    let payload = &bytes[1..];
    assert!(payload.len() <= AlpRdValues.max_encoded_len(values.len()));
    let mut out = vec![1.5];
    let used = AlpRdValues.decode(payload, values.len(), &mut out).unwrap();
    assert_eq!(used, payload.len());
    assert_eq!(bits(&out[1..]), bits(values));
    for cut in 0..payload.len() {
        let mut out = vec![2.5];
        assert!(
            AlpRdValues
                .decode(&payload[..cut], values.len(), &mut out)
                .is_err()
        );
        assert_eq!(bits(&out), bits(&[2.5]));
    }
    used
}

/// Uniform doubles in [0, 1) from 64-bit draws.
fn uniform(n: u64) -> Vec<f64> {
    (0..n)
        .map(|i| {
            (i.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29) >> 11) as f64
                / (1u64 << 53) as f64
        })
        .collect()
}

#[test]
fn special_values_round_trip() {
    round_trip(&[]);
    round_trip(&[f64::NAN]);
    round_trip(&[
        f64::NAN,
        -f64::NAN,
        f64::from_bits(0x7FF4_0000_DEAD_BEEF),
        -0.0,
        0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::from_bits(1),
        f64::MAX,
        f64::MIN,
        1.0 / 3.0,
    ]);
}

#[test]
fn uniform_doubles_cost_their_mantissa_and_a_few_bits() {
    let values = uniform(8192);
    let bytes = round_trip(&values);
    // 52 mantissa bits, a 3-bit code for the exponent, a few exceptions.
    assert!(bytes * 8 < 8192 * 56, "{bytes}");
}

#[test]
fn bad_headers_are_typed_errors() {
    let values = uniform(300);
    let mut payload = Vec::new();
    AlpRdValues.encode(&values, &mut payload).unwrap();
    let corrupt = |bytes: &[u8]| {
        let mut out = vec![9.0];
        let err = AlpRdValues
            .decode(bytes, values.len(), &mut out)
            .unwrap_err();
        assert_eq!(bits(&out), bits(&[9.0]));
        matches!(err, CodecError::Corrupt { .. })
    };
    for (at, byte) in [(0, 47), (0, 64), (1, 0), (1, 9)] {
        let mut bad = payload.clone();
        bad[at] = byte;
        assert!(corrupt(&bad), "byte {at} = {byte}");
    }
    // A dictionary entry wider than the left part.
    let mut bad = payload.clone();
    bad[3] = 0xFF;
    assert!(corrupt(&bad));
}

proptest! {
    #[test]
    fn any_bits_round_trip(values in prop::collection::vec(any::<u64>().prop_map(f64::from_bits), 0..700)) {
        round_trip(&values);
    }

    #[test]
    fn clustered_bits_round_trip(
        lefts in prop::collection::vec(0u64..12, 1..700),
        seed in any::<u64>(),
    ) {
        let values: Vec<f64> = lefts
            .iter()
            .enumerate()
            .map(|(i, &l)| f64::from_bits((0x3F0 + l) << 52 | (seed.wrapping_mul(i as u64 + 1) >> 12)))
            .collect();
        round_trip(&values);
    }
}

/// More than a frame of exceptions: 16 exponents in equal shares leave 8
/// outside the dictionary, half of the values.
#[test]
fn many_exceptions_keep_their_positions() {
    let values: Vec<f64> = (0..1000u64)
        .map(|i| {
            f64::from_bits((0x3F0 + i % 16) << 52 | i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 12)
        })
        .collect();
    let cut = cut::choose(&values);
    let parts = split(&values, &cut);
    assert!(parts.positions.len() >= 400, "{cut:?}");
    round_trip(&values);
}

/// A code past the end of a dictionary that is not a power of two long is
/// refused, wherever it is in the block; one inside it decodes.
#[test]
fn a_code_past_the_dictionary_is_corrupt() {
    // Three top-16-bit patterns over 48 random bits: three lefts.
    let tops = [0x3FF0u64, 0x4010, 0xC020];
    let values: Vec<f64> = (0..300u64)
        .map(|i| {
            f64::from_bits(tops[i as usize % 3] << 48 | i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 16)
        })
        .collect();
    let mut payload = Vec::new();
    AlpRdValues.encode(&values, &mut payload).unwrap();
    // right width, dictionary size 3, three 2-byte entries, no exceptions,
    // then the 2-bit codes.
    assert_eq!((payload[1], payload[8]), (3, 0), "{payload:?}");
    for point in [0usize, 1, 130, 299] {
        let (byte, shift) = (9 + point * 2 / 8, point * 2 % 8);
        for code in 0..4u8 {
            let mut damaged = payload.clone();
            damaged[byte] = damaged[byte] & !(3 << shift) | code << shift;
            let mut out = Vec::new();
            let decoded = AlpRdValues.decode(&damaged, values.len(), &mut out);
            if code < 3 {
                assert!(decoded.is_ok(), "code {code} at {point}");
            } else {
                assert!(
                    matches!(decoded, Err(CodecError::Corrupt { .. })),
                    "code {code} at {point}: {decoded:?}"
                );
                assert!(out.is_empty());
            }
        }
    }
}
