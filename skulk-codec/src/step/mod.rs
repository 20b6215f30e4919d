//! Step timestamps (version 2): the deltas between neighbours, less a
//! fixed step that may be a fraction of a nanosecond, as one centred run.
//!
//! See `FORMAT.md`, section "Step timestamps (0x30)". Layout:
//!
//! ```text
//! (empty when count == 0)
//! i64 LE   first timestamp t0
//! (count >= 2):
//!   varint zigzag(q)      whole nanoseconds per step
//!   varint f (< 2^32)     fraction of a nanosecond per step, in 2^-32
//!   varint h (< 2^32)     phase, in 2^-32 ns
//!   u8     model: 0 = deltas, 1 = offsets from the line
//!   centred run of the count - 1 residuals, i = 1..count:
//!     model 0: r_i = (t_i - t_{i-1}) - q - (F(i) - F(i-1))
//!     model 1: r_i = t_i - (t0 + i * q + F(i) - F(0))
//!     where F(i) = (i * f + h) >> 32
//! ```
//!
//! Decoding: model 0, `t_i = t_{i-1} + q + F(i) - F(i-1) + r_i`; model 1,
//! `t_i = t0 + i * q + F(i) - F(0) + r_i`; all wrapping, so any `i64`
//! sequence round-trips. A regular series has `f = 0` and a constant
//! residual run (a few bytes for any count); a sample rate that is not a
//! whole number of nanoseconds (360 Hz) has a fraction and still a
//! constant run. Deltas suit series with gaps or drift (a gap is one
//! outlier); offsets from the line suit jitter around a fixed grid, and
//! duplicates or late points on it, each of which is one outlier there
//! but two among the deltas. Outliers cost their position and their bits
//! above the run's width.

mod decode;
mod fraction;

use crate::pfor::varint::{put, zigzag};
use crate::{CodecId, Result, TimestampCodec, centred, check_count};
use fraction::Step;

/// Timestamps as a centred run of deltas less a (fractional) step, or of
/// offsets from a line.
#[derive(Debug, Clone, Copy, Default)]
pub struct StepTimestamps;

/// Model 0: the residuals are deltas less the step.
const MODEL_DELTAS: u8 = 0;
/// Model 1: the residuals are offsets from the line `t0 + i * step`.
const MODEL_LINE: u8 = 1;

use decode::decode_sorted;

/// The model-1 residuals of `timestamps`: offsets from the line through
/// the first timestamp with `step`.
fn offsets(timestamps: &[i64], step: Step) -> Vec<u64> {
    let (first, base) = (timestamps.first().copied().unwrap_or(0), step.carry_sum(0));
    let rest = timestamps.iter().enumerate().skip(1);
    rest.map(|(i, &t)| {
        let line = first
            .wrapping_add(step.whole.wrapping_mul(i as i64))
            .wrapping_add((step.carry_sum(i as u64) - base) as i64);
        t.wrapping_sub(line) as u64
    })
    .collect()
}

/// Deltas sampled to find the step of the line.
const LINE_SAMPLE: usize = 255;

/// The step of the line: the median of up to [`LINE_SAMPLE`] deltas spread
/// over the block, a whole number of nanoseconds (a grid's nominal step,
/// whatever the jitter, duplicates and late points around it).
fn median_step(timestamps: &[i64]) -> Step {
    let deltas = timestamps.len().saturating_sub(1);
    let stride = deltas.div_ceil(LINE_SAMPLE).max(1);
    let mut sample: Vec<i64> = (0..deltas)
        .step_by(stride)
        .filter_map(|i| match timestamps.get(i..i + 2) {
            Some([a, b]) => Some(b.wrapping_sub(*a)),
            _ => None,
        })
        .collect();
    sample.sort_unstable();
    Step::whole(sample.get(sample.len() / 2).copied().unwrap_or(0))
}

/// The model-0 residuals of `timestamps`: deltas less `step`.
fn residuals(timestamps: &[i64], step: Step) -> Vec<u64> {
    let mut previous_sum = step.carry_sum(0);
    let pairs = timestamps.windows(2).enumerate();
    pairs
        .map(|(i, w)| {
            let sum = step.carry_sum(i as u64 + 1);
            let carry = sum - previous_sum;
            previous_sum = sum;
            match w {
                [a, b] => b
                    .wrapping_sub(*a)
                    .wrapping_sub(step.whole)
                    .wrapping_sub(carry as i64) as u64,
                _ => 0,
            }
        })
        .collect()
}

impl TimestampCodec for StepTimestamps {
    fn id(&self) -> CodecId {
        CodecId::StepTimestamps
    }

    fn max_encoded_len(&self, points: usize) -> usize {
        (8usize + 10 + 5 + 5 + 1).saturating_add(centred::max_encoded_len(points))
    }

    fn encode(&self, timestamps: &[i64], out: &mut Vec<u8>) -> Result<()> {
        check_count(timestamps.len())?;
        let Some(&first) = timestamps.first() else {
            return Ok(());
        };
        out.extend_from_slice(&first.to_le_bytes());
        if timestamps.len() < 2 {
            return Ok(());
        }
        let step = fraction::find(timestamps).unwrap_or(Step::whole(0));
        let mut best = (
            MODEL_DELTAS,
            step,
            centred::plan_owned(residuals(timestamps, step)),
        );
        if !best.2.is_constant() {
            // Jitter, duplicates or late points around a fixed grid: the
            // offsets from the line may be smaller; the exact sizes decide.
            let line = median_step(timestamps);
            let plan = centred::plan_owned(offsets(timestamps, line));
            if centred::encoded_len(&plan) < centred::encoded_len(&best.2) {
                best = (MODEL_LINE, line, plan);
            }
        }
        let (model, step, plan) = best;
        put(zigzag(step.whole), out);
        put(u64::from(step.fraction), out);
        put(u64::from(step.phase), out);
        out.push(model);
        centred::write(&plan, out);
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

#[cfg(test)]
mod tests;
