//! Per-block codec selection for [`crate::CodecChoice::Adaptive`].
//!
//! Each column (timestamps, values) independently gets the candidate that
//! encodes it smallest. Candidates: delta-pack or ALP, then Gorilla, then
//! raw as the last resort.
//!
//! How the size is measured: timestamp columns, and value columns of up to
//! [`FULL_LIMIT`] points, are encoded in full with every candidate, so the
//! choice is exact (timestamps always, because their payloads are so small
//! that the fixed cost of each sampled run would decide the estimate, and
//! both timestamp codecs encode fast). Larger value columns are measured on [`RUNS`] contiguous runs of [`RUN_LEN`] points at
//! fixed, evenly spread positions (contiguous, because every candidate codes
//! neighbours against each other); when the two smallest estimates are
//! within [`CLOSE_PERCENT`] of each other, both are encoded in full and the
//! exact sizes decide. So an estimate can only mislead when the candidates
//! are close anyway, which keeps the adaptive choice within a few percent of
//! the best candidate on every block while costing far less than encoding
//! everything twice. Ties go to the earlier candidate. The choice depends on
//! nothing but the input, so it is deterministic.

use crate::registry::{timestamp_codec, value_codec};
use crate::{CodecId, Result};

/// Value columns up to this many points are measured by encoding them in full.
const FULL_LIMIT: usize = 2048;
/// Sampled runs per large block.
const RUNS: usize = 8;
/// Points per sampled run.
const RUN_LEN: usize = 256;
/// Estimates closer than this (in percent) are settled by full encodings.
const CLOSE_PERCENT: usize = 5;

const TIMESTAMP_CANDIDATES: [CodecId; 3] = [
    CodecId::DeltaPackTimestamps,
    CodecId::GorillaTimestamps,
    CodecId::RawTimestamps,
];
const VALUE_CANDIDATES: [CodecId; 3] = [
    CodecId::AlpValues,
    CodecId::GorillaValues,
    CodecId::RawValues,
];

type Encoder<T> = fn(CodecId, &[T], &mut Vec<u8>) -> Result<()>;

fn encode_timestamps(id: CodecId, items: &[i64], out: &mut Vec<u8>) -> Result<()> {
    timestamp_codec(id)?.encode(items, out)
}

fn encode_values(id: CodecId, items: &[f64], out: &mut Vec<u8>) -> Result<()> {
    value_codec(id)?.encode(items, out)
}

/// Chooses the timestamp and value codecs for one block.
///
/// Deterministic: the same input always yields the same choice.
pub(crate) fn select(timestamps: &[i64], values: &[f64]) -> (CodecId, CodecId) {
    (
        pick(
            timestamps,
            &TIMESTAMP_CANDIDATES,
            encode_timestamps,
            usize::MAX,
        ),
        pick(values, &VALUE_CANDIDATES, encode_values, FULL_LIMIT),
    )
}

/// Encoded size of `items` with `id`, or `None` when the codec refuses.
fn size_of<T>(
    id: CodecId,
    items: &[T],
    encode: Encoder<T>,
    scratch: &mut Vec<u8>,
) -> Option<usize> {
    scratch.clear();
    encode(id, items, scratch).ok().map(|()| scratch.len())
}

/// Summed encoded size of the sampled runs of `items`.
fn sampled_size<T>(
    id: CodecId,
    items: &[T],
    encode: Encoder<T>,
    scratch: &mut Vec<u8>,
) -> Option<usize> {
    let last_start = items.len().saturating_sub(RUN_LEN);
    let mut total = 0;
    for k in 0..RUNS {
        let start = k * last_start / (RUNS - 1);
        let run = items.get(start..start + RUN_LEN).unwrap_or(items);
        total += size_of(id, run, encode, scratch)?;
    }
    Some(total)
}

/// The two smallest `(size, id)` pairs in candidate order, smallest first.
fn two_smallest(sized: impl Iterator<Item = (usize, CodecId)>) -> Vec<(usize, CodecId)> {
    let mut best: Vec<(usize, CodecId)> = Vec::with_capacity(3);
    for entry in sized {
        let at = best
            .iter()
            .position(|b| entry.0 < b.0)
            .unwrap_or(best.len());
        best.insert(at, entry);
        best.truncate(2);
    }
    best
}

/// The smallest candidate, sampled when `items` is longer than `full_limit`.
fn pick<T>(items: &[T], candidates: &[CodecId], encode: Encoder<T>, full_limit: usize) -> CodecId {
    let fallback = candidates.last().copied().unwrap_or(CodecId::RawValues);
    let mut scratch = Vec::new();
    let sample = items.len() > full_limit;
    let best = two_smallest(candidates.iter().filter_map(|&id| {
        let size = if sample {
            sampled_size(id, items, encode, &mut scratch)
        } else {
            size_of(id, items, encode, &mut scratch)
        };
        size.map(|s| (s, id))
    }));
    match best.as_slice() {
        [(a, first), (b, second)] if sample && a * (100 + CLOSE_PERCENT) >= b * 100 => {
            let exact_first = size_of(*first, items, encode, &mut scratch);
            let exact_second = size_of(*second, items, encode, &mut scratch);
            match (exact_first, exact_second) {
                (Some(x), Some(y))
                    if y < x || (y == x && candidates_order(candidates, *second, *first)) =>
                {
                    *second
                }
                (None, Some(_)) => *second,
                _ => *first,
            }
        }
        [(_, first), ..] => *first,
        [] => fallback,
    }
}

/// True when `a` comes before `b` in `candidates`.
fn candidates_order(candidates: &[CodecId], a: CodecId, b: CodecId) -> bool {
    let index = |id| candidates.iter().position(|&c| c == id);
    index(a) < index(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_and_regular_blocks_pick_the_packed_codecs() {
        for n in [1000, 8192] {
            let ts: Vec<i64> = (0..n)
                .map(|i| 1_700_000_000_000_000_000 + i * 60_000_000_000)
                .collect();
            let vs: Vec<f64> = (0..n).map(|i| (i % 17) as f64 * 0.5).collect();
            // A perfectly regular column is a few bytes either way; Gorilla's
            // zero-run code can undercut delta-pack by a byte or two.
            let (ts_id, value_id) = select(&ts, &vs);
            assert_eq!(value_id, CodecId::AlpValues, "{n}");
            assert!(
                matches!(
                    ts_id,
                    CodecId::DeltaPackTimestamps | CodecId::GorillaTimestamps
                ),
                "{n}: {ts_id:?}"
            );
        }
    }

    #[test]
    fn random_bits_fall_back_to_raw_values() {
        let vs: Vec<f64> = (0..5000u64)
            .map(|i| f64::from_bits(i.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(23)))
            .collect();
        let ts: Vec<i64> = (0..5000).collect();
        assert_eq!(select(&ts, &vs).1, CodecId::RawValues);
    }

    #[test]
    fn selection_is_deterministic_and_handles_empty_blocks() {
        let ts: Vec<i64> = (0..3000).map(|i| i * i).collect();
        let vs: Vec<f64> = (0..3000).map(|i| (i as f64).sqrt()).collect();
        assert_eq!(select(&ts, &vs), select(&ts, &vs));
        let _ = select(&[], &[]);
    }
}
