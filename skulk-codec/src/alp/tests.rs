use super::*;
use crate::pfor::varint::zigzag;
use body::MODE_DELTA;

/// The encoder as first written, kept as the reference the optimized one
/// must match byte for byte: every mode encoded in full, the smallest kept.
pub(crate) fn reference_encode(values: &[f64], out: &mut Vec<u8>) -> Result<()> {
    check_count(values.len())?;
    if values.is_empty() {
        return Ok(());
    }
    let mut parts = split(values, exponent::choose(values));
    if parts.positions.len() * 16 > values.len() {
        parts = split(values, exponent::choose_from(values));
    }
    let for_body = || {
        let as_u64: Vec<u64> = parts.ints.iter().map(|&d| d as u64).collect();
        let mut out = Vec::new();
        pfor::encode(&as_u64, &mut out);
        out
    };
    let delta_body = |order: usize| {
        let mut out = Vec::new();
        let mut level = parts.ints.clone();
        for _ in 0..order {
            let Some(&first) = level.first() else { break };
            put(zigzag(first), &mut out);
            level = level.windows(2).map(|w| w[1].wrapping_sub(w[0])).collect();
        }
        if !level.is_empty() {
            let as_u64: Vec<u64> = level.iter().map(|&d| d as u64).collect();
            pfor::encode(&as_u64, &mut out);
        }
        out
    };
    let candidates = [
        (MODE_FOR, for_body()),
        (MODE_DELTA, delta_body(1)),
        (MODE_DELTA2, delta_body(2)),
    ];
    let (mode, body) = candidates
        .into_iter()
        .reduce(|best, next| {
            if next.1.len() < best.1.len() {
                next
            } else {
                best
            }
        })
        .unwrap();
    out.extend_from_slice(&[parts.exponent, mode]);
    put(parts.positions.len() as u64, out);
    if !parts.positions.is_empty() {
        pack(&parts.positions, position_width(values.len()), out);
        for bits in &parts.raw {
            out.extend_from_slice(&bits.to_le_bytes());
        }
    }
    out.extend_from_slice(&body);
    Ok(())
}

fn round_trip(values: &[f64]) -> usize {
    let mut bytes = vec![0x5A];
    AlpValues.encode(values, &mut bytes).unwrap();
    assert!(bytes.len() - 1 <= AlpValues.max_encoded_len(values.len()));
    let mut out = vec![1.5];
    let used = AlpValues
        .decode(&bytes[1..], values.len(), &mut out)
        .unwrap();
    assert_eq!(used, bytes.len() - 1);
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&out[1..]), bits(values));
    used
}

#[test]
fn decimals_integers_and_exceptions_round_trip() {
    round_trip(&[]);
    round_trip(&[-0.0]);
    round_trip(&[f64::NAN, f64::from_bits(0x7FF0_0000_0000_0001), -f64::NAN]);
    round_trip(&[
        1.5,
        -0.0,
        2.25,
        f64::INFINITY,
        3.0,
        5e-324,
        f64::MAX,
        f64::MIN_POSITIVE,
    ]);
    round_trip(&[0.1 + 0.2, 1.0 / 3.0, std::f64::consts::PI]);
    round_trip(&[
        i64::MAX as f64,
        i64::MIN as f64,
        9.0e18,
        -9.0e18,
        2f64.powi(53) + 2.0,
    ]);
}

#[test]
fn decimal_series_pack_tightly() {
    // A random walk with one decimal, like a temperature sensor.
    let mut x = 500i64;
    let walk: Vec<f64> = (0..8192)
        .map(|i: i64| {
            x += (i * 7919 % 13) - 6;
            x as f64 / 10.0
        })
        .collect();
    let used = round_trip(&walk);
    assert!(used < 8192 * 5 / 8 + 64, "{used} bytes");
    // Integers use the fast path.
    let counts: Vec<f64> = (0..1000).map(|i| f64::from(i * 37 % 1000)).collect();
    let used = round_trip(&counts);
    assert!(used <= 1000 * 10 / 8 + 32, "{used} bytes");
    // A constant block is a few bytes.
    assert!(round_trip(&[21.5; 4096]) < 16);
}

#[test]
fn some_exceptions_do_not_spoil_the_block() {
    let mut values: Vec<f64> = (0..1000).map(|i| f64::from(i % 50) * 0.25).collect();
    values[3] = f64::NAN;
    values[500] = -0.0;
    values[999] = 1.0 / 3.0;
    let used = round_trip(&values);
    assert!(used < 1000 + 64, "{used} bytes");
}

#[test]
fn bad_input_is_a_typed_error() {
    let values = [1.5, f64::NAN, 2.25, 3.0, -7.125];
    let mut bytes = Vec::new();
    AlpValues.encode(&values, &mut bytes).unwrap();
    for cut in 0..bytes.len() {
        let mut out = vec![9.0];
        assert!(
            AlpValues
                .decode(&bytes[..cut], values.len(), &mut out)
                .is_err(),
            "cut {cut}"
        );
        assert_eq!(out, [9.0]);
    }
    let mut out = Vec::new();
    let mut bad = bytes.clone();
    bad[0] = 19;
    assert!(matches!(
        AlpValues.decode(&bad, 5, &mut out),
        Err(CodecError::Corrupt { .. })
    ));
    let mut bad = bytes.clone();
    bad[1] = 3;
    assert!(matches!(
        AlpValues.decode(&bad, 5, &mut out),
        Err(CodecError::Corrupt { .. })
    ));
    // An exception count above the point count.
    assert!(matches!(
        AlpValues.decode(&[0, 0, 6], 5, &mut out),
        Err(CodecError::Corrupt { .. })
    ));
    // Exceptions out of order: count 4 => 2-bit positions 2, 1.
    let bad = [
        0, 0, 2, 0b0110, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    assert!(matches!(
        AlpValues.decode(&bad, 4, &mut out),
        Err(CodecError::Corrupt { .. })
    ));
    assert!(out.is_empty());
}

#[test]
fn every_single_byte_flip_is_safe() {
    let values: Vec<f64> = (0..300)
        .map(|i| {
            if i % 41 == 0 {
                f64::NAN
            } else {
                f64::from(i) * 0.01
            }
        })
        .collect();
    let mut bytes = Vec::new();
    AlpValues.encode(&values, &mut bytes).unwrap();
    for i in 0..bytes.len() {
        for flip in [0x01, 0x80, 0xFF] {
            let mut bad = bytes.clone();
            bad[i] ^= flip;
            let mut out = Vec::new();
            if AlpValues.decode(&bad, values.len(), &mut out).is_ok() {
                assert_eq!(out.len(), values.len());
            }
        }
    }
}

#[test]
fn every_mode_round_trips_short_and_long_blocks() {
    // A smooth curve favours deltas of deltas; noise favours frame of reference.
    for n in [1usize, 2, 3, 4, 64, 65, 1000] {
        let smooth: Vec<f64> = (0..n).map(|i| ((i * i) as f64) / 100.0).collect();
        let noise: Vec<f64> = (0..n).map(|i| ((i * 7919) % 1000) as f64).collect();
        let walk: Vec<f64> = (0..n)
            .map(|i| ((i * 7) % 5) as f64 + i as f64 * 3.0)
            .collect();
        for values in [smooth, noise, walk] {
            round_trip(&values);
            let mut bytes = Vec::new();
            AlpValues.encode(&values, &mut bytes).unwrap();
            for cut in 0..bytes.len() {
                assert!(AlpValues.decode(&bytes[..cut], n, &mut Vec::new()).is_err());
            }
        }
    }
    let mut bytes = Vec::new();
    let smooth: Vec<f64> = (0..1000).map(|i| f64::from(i * i) / 100.0).collect();
    AlpValues.encode(&smooth, &mut bytes).unwrap();
    assert_eq!(bytes[1], MODE_DELTA2);
}

#[test]
fn delta_modes_with_and_without_a_common_divisor_round_trip() {
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 21) as i64 - 10
    };
    // Random walks (deltas) and smooth curves (deltas of deltas), with
    // steps that are or are not multiples of a common divisor, across
    // several frames and a partial last frame.
    let mut walk = (0i64, 0i64);
    let series: Vec<Vec<f64>> = vec![
        (0..1000)
            .map(|_| {
                walk.0 += noise();
                walk.0 as f64 / 100.0
            })
            .collect(),
        (0..1000)
            .map(|_| {
                walk.1 += 5 * noise();
                walk.1 as f64 / 10.0
            })
            .collect(),
        (0..1000i64)
            .map(|i| (7 * i * i * i) as f64 / 1000.0)
            .collect(),
        (0..1000i64).map(|i| (i * i + noise()) as f64).collect(),
    ];
    for values in &series {
        round_trip(values);
    }
}
