use super::*;
use crate::CodecError;
use proptest::prelude::*;

fn round_trip(ts: &[i64]) -> usize {
    let mut bytes = vec![0xEE];
    StepTimestamps.encode(ts, &mut bytes).unwrap();
    assert!(bytes.len() - 1 <= StepTimestamps.max_encoded_len(ts.len()));
    let mut out = vec![42];
    let (used, sorted) = decode_sorted(&bytes[1..], ts.len(), &mut out).unwrap();
    assert_eq!(used, bytes.len() - 1);
    assert_eq!(&out[1..], ts);
    if sorted {
        assert!(ts.windows(2).all(|w| w[0] <= w[1]), "{ts:?}");
    }
    for cut in 0..used {
        let mut out = vec![1];
        assert!(
            StepTimestamps
                .decode(&bytes[1..=cut], ts.len(), &mut out)
                .is_err()
        );
        assert_eq!(out, [1]);
    }
    used
}

const START: i64 = 1_700_000_000_000_000_000;

#[test]
fn edge_sequences_round_trip() {
    round_trip(&[]);
    round_trip(&[i64::MIN]);
    round_trip(&[i64::MIN, i64::MAX, i64::MIN, 0, -1, i64::MAX, i64::MAX]);
    round_trip(&[5, 5, 5, 4, 3, 100, -100]);
}

#[test]
fn regular_and_fractional_steps_cost_a_few_bytes() {
    let seconds: Vec<i64> = (0..8192).map(|i| START + i * 1_000_000_000).collect();
    assert!(round_trip(&seconds) <= 20);
    // 360 Hz in nanoseconds: steps of 2,777,777 and 2,777,778.
    let ecg: Vec<i64> = (0..8192)
        .map(|i| START + (i * 1_000_000_000 + 180) / 360)
        .collect();
    // t0, step, fraction and phase varints, the model and a constant run.
    assert!(round_trip(&ecg) <= 8 + 4 + 5 + 5 + 1 + 4);
}

/// A regular series with a few outliers (gaps, a repeat, a step back):
/// its run has no width, and the frames without an outlier decode as a
/// line, the frames with one through the residuals.
#[test]
fn regular_series_with_rare_outliers_round_trip() {
    let mut ts: Vec<i64> = (0..8192).map(|i| START + i * 1_000_000_000).collect();
    for (at, shift) in [(100, 7_000_000_000), (3_000, 1), (6_001, 60_000_000_000)] {
        ts.iter_mut().skip(at).for_each(|t| *t += shift);
    }
    ts[5_000] = ts[4_999];
    ts[7_777] = ts[7_776] - 5;
    // No width: at even one bit a point the run would take 1 KiB.
    let bytes = round_trip(&ts);
    assert!(bytes < 100, "{bytes}");
}

/// Flat runs decode as lines between their outliers, found from the
/// outliers' positions alone: outliers on the first and last residual,
/// next to each other, alone in a frame or filling one, on minute steps
/// (a common divisor) and on steps of 1 ns.
#[test]
fn flat_runs_with_outliers_anywhere_round_trip() {
    for step in [1, 60_000_000_000] {
        for len in [2usize, 3, 64, 65, 129, 1000] {
            let patterns: [&[usize]; 6] = [
                &[1],
                &[len - 1],
                &[1, len - 1],
                &[1, 2, 3],
                &[63, 64, 65],
                &[len / 2],
            ];
            for outliers in patterns {
                let mut ts: Vec<i64> = (0..len as i64).map(|i| START + i * step).collect();
                for &at in outliers.iter().filter(|&&at| at < len) {
                    ts.iter_mut().skip(at).for_each(|t| *t += 7 * step);
                }
                round_trip(&ts);
            }
        }
        // Every residual of a frame an outlier, the frames around it none.
        let mut ts: Vec<i64> = (0..300).map(|i| START + i * step).collect();
        for (at, t) in ts.iter_mut().enumerate().take(128).skip(64) {
            *t += (at as i64 % 3) * step;
        }
        round_trip(&ts);
    }
}

/// 1 ms steps with up to 20 us of jitter, where 3% of the points arrive up
/// to 100 us early (a small backward step) or repeat the previous
/// timestamp: the outliers cost their position and the few bits above the
/// window, less than version 1's delta-pack pays for them.
#[test]
fn duplicates_and_small_backward_steps_cost_their_high_bits() {
    let mut state = 0x5eed_u64;
    let mut random = |bound: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (state >> 33) % bound
    };
    let mut previous = START;
    let ts: Vec<i64> = (0..8192i64)
        .map(|i| {
            let nominal = START + i * 1_000_000 + random(40_000) as i64 - 20_000;
            previous = match random(100) {
                0 => previous,
                1 | 2 => previous - random(100_000) as i64,
                _ => nominal,
            };
            previous
        })
        .collect();
    let bytes = round_trip(&ts);
    let mut v1 = Vec::new();
    crate::DeltaPackTimestamps.encode(&ts, &mut v1).unwrap();
    assert!(bytes < v1.len(), "{bytes} vs {}", v1.len());
    assert!(bytes < 8192 * 20 / 8, "{bytes}");
}

#[test]
fn sortedness_is_known_only_when_certain() {
    let sorted = |ts: &[i64]| {
        let mut bytes = Vec::new();
        StepTimestamps.encode(ts, &mut bytes).unwrap();
        decode_sorted(&bytes, ts.len(), &mut Vec::new()).unwrap().1
    };
    let regular: Vec<i64> = (0..5000).map(|i| START + i * 7).collect();
    assert!(sorted(&regular));
    let mut gaps = regular.clone();
    gaps[4000..].iter_mut().for_each(|t| *t += 1 << 40);
    assert!(sorted(&gaps));
    assert!(sorted(&[3]));
    assert!(sorted(&[5, 5, 5, 5]));
    assert!(!sorted(&[5, 4]));
    let mut dip = regular.clone();
    dip[2500] = 0;
    assert!(!sorted(&dip));
    assert!(!sorted(&[i64::MAX - 1, i64::MAX, i64::MIN, i64::MIN + 1]));
    assert!(sorted(&[i64::MAX - 10, i64::MAX - 5, i64::MAX]));
    assert!(!sorted(&[i64::MIN, 0, i64::MAX]));
}

#[test]
fn bad_headers_are_typed_errors() {
    let ts: Vec<i64> = (0..100).map(|i| START + i * 10).collect();
    let mut bytes = Vec::new();
    StepTimestamps.encode(&ts, &mut bytes).unwrap();
    // A fraction of 2^32: five varint bytes after the step.
    let mut bad = bytes[..9].to_vec();
    bad.extend_from_slice(&[0x80, 0x80, 0x80, 0x80, 0x10]);
    bad.extend_from_slice(&bytes[10..]);
    let err = StepTimestamps
        .decode(&bad, 100, &mut Vec::new())
        .unwrap_err();
    assert!(
        matches!(err, CodecError::Corrupt { offset: 9, .. }),
        "{err:?}"
    );
    assert!(matches!(
        StepTimestamps.decode(&bytes, crate::MAX_BLOCK_POINTS + 1, &mut Vec::new()),
        Err(CodecError::TooManyPoints { .. })
    ));
}

proptest! {
    #[test]
    fn any_sequence_round_trips(
        start in any::<i64>(),
        step in prop_oneof![Just(1i64), 1_000i64..10_000_000_000, any::<i64>()],
        kinds in prop::collection::vec(0u8..=255, 0..1500),
    ) {
        let mut t = start;
        let ts: Vec<i64> = kinds
            .iter()
            .map(|&k| {
                let d = match k {
                    0..=9 => 0,
                    10..=14 => -(i64::from(k) * 1000),
                    15 => i64::MIN / 3,
                    _ => step.wrapping_add(i64::from(k % 3)),
                };
                t = t.wrapping_add(d);
                t
            })
            .collect();
        round_trip(&ts);
    }
}
