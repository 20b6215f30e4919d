//! The selector as first written, kept for tests as the reference the
//! optimized one must match byte for byte: every candidate (raw included)
//! is encoded to measure it, ALP through its reference encoder, and the
//! winner is encoded once more.

use super::{CLOSE_PERCENT, RUN_LEN, RUNS, two_smallest};
use crate::registry::{timestamp_codec, value_codec};
use crate::{CodecId, Result};

type Encoder<T> = fn(CodecId, &[T], &mut Vec<u8>) -> Result<()>;

fn encode_timestamps(id: CodecId, items: &[i64], out: &mut Vec<u8>) -> Result<()> {
    timestamp_codec(id)?.encode(items, out)
}

fn encode_values(id: CodecId, items: &[f64], out: &mut Vec<u8>) -> Result<()> {
    if id == CodecId::AlpValues {
        return crate::alp::tests::reference_encode(items, out);
    }
    value_codec(id)?.encode(items, out)
}

/// Reference of [`super::encode_timestamps_adaptive`].
pub(crate) fn encode_timestamps_adaptive(items: &[i64], out: &mut Vec<u8>) -> Result<CodecId> {
    let id = pick(items, super::V1.timestamps, encode_timestamps, usize::MAX);
    encode_timestamps(id, items, out)?;
    Ok(id)
}

/// Reference of [`super::encode_values_adaptive`].
pub(crate) fn encode_values_adaptive(items: &[f64], out: &mut Vec<u8>) -> Result<CodecId> {
    let id = pick(items, super::V1.values, encode_values, super::FULL_LIMIT);
    encode_values(id, items, out)?;
    Ok(id)
}

fn size_of<T>(
    id: CodecId,
    items: &[T],
    encode: Encoder<T>,
    scratch: &mut Vec<u8>,
) -> Option<usize> {
    scratch.clear();
    encode(id, items, scratch).ok().map(|()| scratch.len())
}

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

fn candidates_order(candidates: &[CodecId], a: CodecId, b: CodecId) -> bool {
    let index = |id| candidates.iter().position(|&c| c == id);
    index(a) < index(b)
}
