//! Delta-pack timestamps: first timestamp, then the deltas between
//! neighbours as a patched frame-of-reference run.
//!
//! See `FORMAT.md`, section "Delta-pack timestamps (0x20)". Layout:
//!
//! ```text
//! (empty when count == 0)
//! i64 LE   first timestamp
//! (when count >= 2) PFOR run of the count - 1 deltas t[i] - t[i-1], wrapping
//! ```
//!
//! Deltas are taken modulo 2^64, so any `i64` sequence (unsorted, duplicated,
//! `i64::MIN` next to `i64::MAX`) round-trips. The PFOR layer divides the
//! deltas by their common divisor and subtracts a frame of reference, so a
//! constant step packs at 0 bits per point (a block of any length costs
//! 12 to 21 bytes), alternating steps such as 2,777,777/2,777,778 ns pack at
//! 1 bit, and rare gaps become exceptions instead of widening every delta.

use crate::pfor::varint::rebase;
use crate::{CodecError, CodecId, Result, TimestampCodec, check_count, pfor};

/// Delta then patched frame-of-reference bit packing of `i64` timestamps.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeltaPackTimestamps;

impl TimestampCodec for DeltaPackTimestamps {
    fn id(&self) -> CodecId {
        CodecId::DeltaPackTimestamps
    }

    fn max_encoded_len(&self, points: usize) -> usize {
        8usize.saturating_add(pfor::max_encoded_len(points))
    }

    fn encode(&self, timestamps: &[i64], out: &mut Vec<u8>) -> Result<()> {
        check_count(timestamps.len())?;
        let Some(&first) = timestamps.first() else {
            return Ok(());
        };
        out.extend_from_slice(&first.to_le_bytes());
        if timestamps.len() > 1 {
            let deltas: Vec<u64> = timestamps
                .windows(2)
                .map(|w| delta(w.first(), w.get(1)))
                .collect();
            pfor::write(&pfor::plan_owned(deltas), out);
        }
        Ok(())
    }

    fn decode(&self, input: &[u8], count: usize, out: &mut Vec<i64>) -> Result<usize> {
        decode_sorted(input, count, out).map(|(used, _)| used)
    }

    fn decode_sorted(
        &self,
        input: &[u8],
        count: usize,
        out: &mut Vec<i64>,
    ) -> Result<(usize, bool)> {
        decode_sorted(input, count, out)
    }
}

/// Decodes like [`TimestampCodec::decode`] and also tells whether the
/// decoded timestamps are known to be non-decreasing, from the run header
/// alone: every delta is in `0..=i64::MAX` and `first + (count - 1) * bound`
/// cannot pass `i64::MAX`, so no running sum wraps. Then the smallest and
/// largest timestamps are the first and last, and a reader checking them
/// against a block header needs no pass over the points.
fn decode_sorted(input: &[u8], count: usize, out: &mut Vec<i64>) -> Result<(usize, bool)> {
    check_count(count)?;
    if count == 0 {
        return Ok((0, true));
    }
    let Some((head, rest)) = input.split_first_chunk::<8>() else {
        return Err(CodecError::Truncated {
            offset: input.len(),
            needed: 8 - input.len(),
            available: input.len(),
        });
    };
    let first = i64::from_le_bytes(*head);
    if count == 1 {
        out.push(first);
        return Ok((8, true));
    }
    let run = pfor::Run::parse(rest, count - 1).map_err(|e| rebase(e, 8))?;
    let sorted = run.nonnegative_bound().is_some_and(|bound| {
        i128::from(first) + i128::from(bound) * (count as i128 - 1) <= i128::from(i64::MAX)
    });
    let used = 8 + run.len;
    out.reserve(count);
    out.push(first);
    let (offset, gcd) = (run.offset(), run.gcd());
    if run.is_constant() {
        // A regular series: t_i = t_0 + i * step, with no dependency
        // chain, so the loop vectorizes.
        let step = offset as i64;
        out.extend((1..count as i64).map(|i| first.wrapping_add(step.wrapping_mul(i))));
        return Ok((used, sorted));
    }
    let mut previous = first;
    run.decode_raw(|xs| {
        // A running sum local to the frame stays in a register (a
        // captured `&mut` would put the dependency chain through memory).
        // Copies of the captured scalars, so they live in registers
        // rather than being reloaded after every store to `out`.
        let (mut sum, offset, gcd) = (previous, offset, gcd);
        if gcd == 1 {
            out.extend(xs.iter().map(|&x| {
                sum = sum.wrapping_add(offset.wrapping_add(x) as i64);
                sum
            }));
        } else {
            out.extend(xs.iter().map(|&x| {
                sum = sum.wrapping_add(offset.wrapping_add(gcd.wrapping_mul(x)) as i64);
                sum
            }));
        }
        previous = sum;
    });
    Ok((used, sorted))
}

fn delta(a: Option<&i64>, b: Option<&i64>) -> u64 {
    match (a, b) {
        (Some(a), Some(b)) => b.wrapping_sub(*a) as u64,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(ts: &[i64]) -> usize {
        let mut bytes = vec![0xEE];
        DeltaPackTimestamps.encode(ts, &mut bytes).unwrap();
        assert!(bytes.len() - 1 <= DeltaPackTimestamps.max_encoded_len(ts.len()));
        let mut out = vec![42];
        let used = DeltaPackTimestamps
            .decode(&bytes[1..], ts.len(), &mut out)
            .unwrap();
        assert_eq!(used, bytes.len() - 1);
        assert_eq!(&out[1..], ts);
        used
    }

    #[test]
    fn edge_sequences_round_trip() {
        round_trip(&[]);
        round_trip(&[i64::MIN]);
        round_trip(&[i64::MIN, i64::MAX, i64::MIN, 0, -1, i64::MAX, i64::MAX]);
        round_trip(&[5, 5, 5, 4, 3, 100, -100]);
    }

    #[test]
    fn regular_blocks_cost_a_few_bytes() {
        let ts: Vec<i64> = (0..8192)
            .map(|i| 1_700_000_000_000_000_000 + i * 1_000_000_000)
            .collect();
        assert!(round_trip(&ts) <= 20);
        let ecg: Vec<i64> = (0..8192)
            .map(|i| 1_577_836_800_000_000_000 + (i * 1_000_000_000 + 180) / 360)
            .collect();
        assert!(round_trip(&ecg) <= 20 + 8192 / 8);
    }

    #[test]
    fn gaps_become_exceptions() {
        let mut t = 1_269_424_260_000_000_000_i64;
        let ts: Vec<i64> = (0..1000)
            .map(|i| {
                t += match i % 150 {
                    7 => 60_000_000_000,
                    99 => 2_400_000_000_000,
                    _ => 300_000_000_000,
                };
                t
            })
            .collect();
        assert!(round_trip(&ts) < 120);
    }

    fn sorted(ts: &[i64]) -> bool {
        let mut bytes = Vec::new();
        DeltaPackTimestamps.encode(ts, &mut bytes).unwrap();
        let mut out = Vec::new();
        let (_, sorted) = decode_sorted(&bytes, ts.len(), &mut out).unwrap();
        assert_eq!(out, ts);
        if sorted {
            assert!(ts.windows(2).all(|w| w[0] <= w[1]), "{ts:?}");
        }
        sorted
    }

    #[test]
    fn sortedness_is_known_only_when_certain() {
        let regular: Vec<i64> = (0..5000)
            .map(|i| 1_700_000_000_000_000_000 + i * 7)
            .collect();
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
        // Deltas of +1 that wrap from i64::MAX to i64::MIN.
        assert!(!sorted(&[i64::MAX - 1, i64::MAX, i64::MIN, i64::MIN + 1]));
        assert!(sorted(&[i64::MAX - 10, i64::MAX - 5, i64::MAX]));
        assert!(!sorted(&[i64::MIN, 0, i64::MAX]));
    }

    #[test]
    fn every_truncation_is_an_error() {
        let ts = [10, 20, 31, 40, 1_000_000, -7];
        let mut bytes = Vec::new();
        DeltaPackTimestamps.encode(&ts, &mut bytes).unwrap();
        for cut in 0..bytes.len() {
            let mut out = vec![1];
            assert!(
                DeltaPackTimestamps
                    .decode(&bytes[..cut], ts.len(), &mut out)
                    .is_err()
            );
            assert_eq!(out, [1]);
        }
        let mut out = Vec::new();
        assert!(matches!(
            DeltaPackTimestamps.decode(&bytes, crate::MAX_BLOCK_POINTS + 1, &mut out),
            Err(CodecError::TooManyPoints { .. })
        ));
    }
}
