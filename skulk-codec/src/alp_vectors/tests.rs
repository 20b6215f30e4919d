use super::*;

fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

fn round_trip(values: &[f64]) -> Vec<u8> {
    let mut bytes = vec![0x5A];
    AlpVectorValues.encode(values, &mut bytes).unwrap();
    let payload = bytes.split_off(1);
    assert!(payload.len() <= AlpVectorValues.max_encoded_len(values.len()));
    let mut out = vec![1.5];
    let used = AlpVectorValues
        .decode(&payload, values.len(), &mut out)
        .unwrap();
    assert_eq!(used, payload.len());
    assert_eq!(bits(&out[1..]), bits(values));
    for cut in 0..payload.len() {
        let mut out = vec![2.5];
        assert!(
            AlpVectorValues
                .decode(&payload[..cut], values.len(), &mut out)
                .is_err()
        );
        assert_eq!(bits(&out), bits(&[2.5]), "cut {cut}: output not restored");
    }
    payload
}

#[test]
fn edge_values_round_trip() {
    round_trip(&[]);
    round_trip(&[-0.0]);
    round_trip(&[f64::NAN, f64::from_bits(0x7FF0_0000_0000_0001), -f64::NAN]);
    round_trip(&[1.5, 2.25, f64::INFINITY, 1e-310, f64::MAX, f64::MIN]);
    let long: Vec<f64> = (0..2500).map(|i| f64::from(i % 300) * 0.25).collect();
    round_trip(&long);
}

/// Each vector takes its own exponent: 3-decimal values in the middle
/// vector do not cost the 1-decimal vectors around them anything.
#[test]
fn vectors_take_their_own_exponents() {
    let one = |i: usize| (200 + (i * 7) % 50) as f64 / 10.0;
    let three = |i: usize| (20_000 + (i * 7) % 5_000) as f64 / 1000.0;
    let mixed: Vec<f64> = (0..3 * VECTOR)
        .map(|i| {
            if (VECTOR..2 * VECTOR).contains(&i) {
                three(i)
            } else {
                one(i)
            }
        })
        .collect();
    let payload = round_trip(&mixed);
    let alone: usize = mixed.chunks(VECTOR).map(|v| round_trip(v).len()).sum();
    assert!(payload.len() <= alone + 3, "{} vs {alone}", payload.len());
    let exponents: Vec<u8> = [0, 1, 2]
        .iter()
        .map(|&k| {
            let mut offset = 0;
            for chunk in mixed.chunks(VECTOR).take(k) {
                offset += round_trip(chunk).len();
            }
            payload[offset]
        })
        .collect();
    assert_eq!(exponents, [1, 3, 1]);
}

#[test]
fn bad_input_is_a_typed_error_and_leaves_the_output() {
    let payload = round_trip(&(0..100).map(|i| f64::from(i) / 4.0).collect::<Vec<_>>());
    let mut bad = payload.clone();
    bad[0] = 19; // scheme
    let mut out = vec![7.0];
    assert!(matches!(
        AlpVectorValues.decode(&bad, 100, &mut out),
        Err(crate::CodecError::Corrupt { offset: 0, .. })
    ));
    assert_eq!(out, [7.0]);
    bad[0] = payload[0];
    bad[1] = 3; // mode
    assert!(matches!(
        AlpVectorValues.decode(&bad, 100, &mut out),
        Err(crate::CodecError::Corrupt { offset: 1, .. })
    ));
    assert!(matches!(
        AlpVectorValues.decode(&payload, crate::MAX_BLOCK_POINTS + 1, &mut out),
        Err(crate::CodecError::TooManyPoints { .. })
    ));
}

/// Prices in cents times an adjustment factor, rounded to 14 significant
/// digits: the multiplier scheme, under two thirds of the decimals' size.
#[test]
fn multiples_of_a_factor_take_the_multiplier_scheme() {
    let factor = 0.000_642_569_688_252_78;
    let mut cents = 2_000i64;
    let values: Vec<f64> = (0..2 * VECTOR as u64)
        .map(|i| {
            cents += (i.wrapping_mul(2_654_435_761) % 61) as i64 - 30;
            format!("{:.13e}", cents as f64 * factor).parse().unwrap()
        })
        .collect();
    let payload = round_trip(&values);
    assert_eq!(payload[0], SCHEME_MULTIPLIER);
    let mut decimal = Vec::new();
    let candidates = crate::alp::exponent::candidates(&values);
    for vector in values.chunks(VECTOR) {
        let parts = split(vector, choose_among(vector, &candidates));
        write_parts::<Centred>(&parts, &mut decimal);
    }
    let sizes = (payload.len(), decimal.len());
    assert!(sizes.0 * 3 < sizes.1 * 2, "{sizes:?}");
    // Any base decodes: the adjustments carry what the product misses.
    let mut bad = payload.clone();
    bad[1..9].copy_from_slice(&3.0f64.to_bits().to_le_bytes());
    let mut out = Vec::new();
    if AlpVectorValues.decode(&bad, values.len(), &mut out).is_ok() {
        assert_eq!(out.len(), values.len());
    }
}

/// Smooth curves, whose vectors store deltas (mode 1) or deltas of deltas
/// (mode 2) with and without a common divisor: each decode loop of the
/// running sums.
#[test]
fn smooth_curves_round_trip_through_every_delta_loop() {
    for gcd in [1.0, 5.0] {
        let curve: Vec<f64> = (0..2100)
            .map(|i| {
                let x = f64::from(i) / 40.0;
                ((x.sin() * 40_000.0 + x * x * 30.0) / gcd).round() * gcd / 1000.0
            })
            .collect();
        round_trip(&curve);
        // A random walk: its deltas are smaller than its deltas of deltas.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut level = 1_000_000i64;
        let walk: Vec<f64> = (0..2100)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                level += (state >> 58) as i64 - 32;
                level as f64 * gcd / 100.0
            })
            .collect();
        round_trip(&walk);
    }
}

/// Integer-valued vectors around -2^51 and below 2^51, the edges of the
/// conversion without a range check: a vector whose integers may pass them
/// must take the checked conversion, in each mode (a scattered vector
/// stores its integers, a random walk its deltas, a parabola its deltas of
/// deltas). (Above 2^51 the encoder makes odd integers exceptions.)
#[test]
fn integers_near_two_to_the_51_round_trip_in_every_mode() {
    let edge = (1i64 << 51) as f64;
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut noise = move |range: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) % range) as f64
    };
    for start in [
        -edge - 700.0,
        -edge - 1.0,
        -edge,
        -edge + 300.0,
        edge - 1200.0,
    ] {
        let scattered: Vec<f64> = (0..VECTOR).map(|_| start + noise(100)).collect();
        let mut level = start;
        let walk: Vec<f64> = (0..VECTOR)
            .map(|_| {
                level += noise(7) - 3.0;
                level
            })
            .collect();
        let parabola: Vec<f64> = (0..VECTOR)
            .map(|i| {
                let x = i as f64 - 256.0;
                start + (x * x / 64.0).round() - 700.0
            })
            .collect();
        for (values, mode) in [(scattered, 0), (walk, 1), (parabola, 2)] {
            let payload = round_trip(&values);
            assert_eq!(payload.get(..2), Some(&[0, mode][..]), "at {start}");
        }
    }
}
