//! Per-block codec selection for [`crate::CodecChoice::Adaptive`].
//!
//! Each column (timestamps, values) independently gets the candidate that
//! encodes it smallest. Candidates ([`V2`], the default): step timestamps,
//! ALP vectors and ALP-RD, then Gorilla, then raw as the last resort; or
//! ([`V1`]) delta-pack and ALP, Gorilla and raw.
//!
//! How the size is measured: timestamp columns, and value columns of up to
//! [`FULL_LIMIT`] points, are encoded in full with every candidate, so the
//! choice is exact (timestamps always, because their payloads are so small
//! that the fixed cost of each sampled run would decide the estimate, and
//! every timestamp codec encodes fast). Larger value columns are measured
//! on [`RUNS`] contiguous runs of [`RUN_LEN`] points at fixed, evenly
//! spread positions (contiguous, because every candidate codes neighbours
//! against each other). Version 1: every candidate is sampled; when the
//! two smallest estimates are within [`CLOSE_PERCENT`] of each other, both
//! are encoded in full and the exact sizes decide. Version 2: the first
//! candidate (ALP vectors, which wins most blocks) is encoded in full, the
//! others are sampled, and one whose scaled estimate is below or within
//! [`CLOSE_PERCENT`] of the best exact size is encoded in full too. So an
//! estimate can only mislead when the candidates are close anyway, which
//! keeps the adaptive choice within a few percent of the best candidate on
//! every block while costing far less than encoding everything. A
//! candidate whose lower bound of size (ALP-RD: 48 bits a value) is not
//! below the best size measured so far is not measured. Ties go to the
//! earlier candidate. The choice depends on nothing but the input, so it
//! is deterministic.
//!
//! Measuring is the costly part, so it is done once: a full encoding made
//! to measure a candidate is kept and becomes the payload when that
//! candidate wins; raw candidates are measured by arithmetic (8 bytes per
//! item) and Gorilla values by running their encoder into a bit counter,
//! rather than encoded. None of this changes a size or a choice (the
//! selector's tests compare it with the straightforward version).

use crate::registry::{timestamp_codec, value_codec};
use crate::{CodecId, Result, check_count};

/// Value columns up to this many points are measured by encoding them in full.
const FULL_LIMIT: usize = 2048;
/// Sampled runs per large block.
const RUNS: usize = 8;
/// Points per sampled run.
const RUN_LEN: usize = 256;
/// Estimates closer than this (in percent) are settled by full encodings.
const CLOSE_PERCENT: usize = 5;

/// The codecs a column is measured against, in order of preference on
/// ties; the last is the fallback when every other one refuses.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Candidates {
    /// Timestamp codecs.
    pub timestamps: &'static [CodecId],
    /// Value codecs.
    pub values: &'static [CodecId],
    /// Large columns: encode the first candidate in full (it wins most
    /// blocks, and its encoding is kept) and sample only the others,
    /// instead of sampling every candidate.
    pub first_in_full: bool,
}

/// The version-1 codecs, which every reader decodes.
pub(crate) const V1: Candidates = Candidates {
    timestamps: &[
        CodecId::DeltaPackTimestamps,
        CodecId::GorillaTimestamps,
        CodecId::RawTimestamps,
    ],
    values: &[
        CodecId::AlpValues,
        CodecId::GorillaValues,
        CodecId::RawValues,
    ],
    first_in_full: false,
};

/// The current codecs: version 2's step timestamps, ALP vectors and
/// ALP-RD, with Gorilla and raw.
pub(crate) const V2: Candidates = Candidates {
    timestamps: &[
        CodecId::StepTimestamps,
        CodecId::GorillaTimestamps,
        CodecId::RawTimestamps,
    ],
    values: &[
        CodecId::AlpVectorValues,
        CodecId::AlpRdValues,
        CodecId::GorillaValues,
        CodecId::RawValues,
    ],
    first_in_full: true,
};

type Encoder<T> = fn(CodecId, &[T], &mut Vec<u8>) -> Result<()>;
/// The encoded size with a codec when it can be computed without encoding
/// (for a count `check_count` accepts), else `None`.
type Counter<T> = fn(CodecId, &[T]) -> Option<usize>;
/// A lower bound of the encoded size of any `n` items with a codec: a
/// candidate whose bound is not below the best size measured so far cannot
/// win (ties go to the earlier candidate) and is not measured.
type Floor = fn(CodecId, usize) -> usize;

/// Nothing is known about timestamp codecs' sizes in advance.
fn no_floor(_: CodecId, _: usize) -> usize {
    0
}

/// ALP-RD packs at least 48 right bits of every value.
fn value_floor(id: CodecId, n: usize) -> usize {
    match id {
        CodecId::AlpRdValues => n * 6,
        _ => 0,
    }
}

fn encode_timestamps(id: CodecId, items: &[i64], out: &mut Vec<u8>) -> Result<()> {
    timestamp_codec(id)?.encode(items, out)
}

fn encode_values(id: CodecId, items: &[f64], out: &mut Vec<u8>) -> Result<()> {
    value_codec(id)?.encode(items, out)
}

/// Raw timestamps take 8 bytes each. Gorilla timestamps often win, so they
/// are measured by encoding (and the encoding kept) rather than counted.
fn count_timestamps(id: CodecId, items: &[i64]) -> Option<usize> {
    (id == CodecId::RawTimestamps).then_some(items.len() * 8)
}

/// Raw values take 8 bytes each; Gorilla values rarely win, so they are
/// measured by running the encoder into a bit counter.
fn count_values(id: CodecId, items: &[f64]) -> Option<usize> {
    match id {
        CodecId::RawValues => Some(items.len() * 8),
        CodecId::GorillaValues => Some(crate::gorilla::values::encoded_len(items)),
        _ => None,
    }
}

/// Chooses a codec for `timestamps` as [`crate::CodecChoice::Adaptive`] does,
/// appends the payload to `out` and returns the codec.
#[cfg(any(test, feature = "unstable-internals"))]
pub fn encode_timestamps_adaptive(timestamps: &[i64], out: &mut Vec<u8>) -> Result<CodecId> {
    encode_timestamps_among(timestamps, V2, out)
}

/// Chooses a codec for `values` as [`crate::CodecChoice::Adaptive`] does,
/// appends the payload to `out` and returns the codec.
#[cfg(any(test, feature = "unstable-internals"))]
pub fn encode_values_adaptive(values: &[f64], out: &mut Vec<u8>) -> Result<CodecId> {
    encode_values_among(values, V2, out)
}

/// Chooses among the timestamp codecs of `candidates`, appends the payload
/// to `out` and returns the codec.
pub(crate) fn encode_timestamps_among(
    timestamps: &[i64],
    candidates: Candidates,
    out: &mut Vec<u8>,
) -> Result<CodecId> {
    Column::new(
        timestamps,
        candidates.timestamps,
        encode_timestamps,
        count_timestamps,
        no_floor,
    )
    .encode(usize::MAX, false, out)
}

/// Chooses among the value codecs of `candidates`, appends the payload to
/// `out` and returns the codec.
pub(crate) fn encode_values_among(
    values: &[f64],
    candidates: Candidates,
    out: &mut Vec<u8>,
) -> Result<CodecId> {
    Column::new(
        values,
        candidates.values,
        encode_values,
        count_values,
        value_floor,
    )
    .encode(FULL_LIMIT, candidates.first_in_full, out)
}

/// One column being measured against its candidates, with the full
/// encodings made so far (by candidate index).
struct Column<'a, T> {
    items: &'a [T],
    candidates: &'a [CodecId],
    encode: Encoder<T>,
    count: Counter<T>,
    floor: Floor,
    full: Vec<Option<Vec<u8>>>,
}

impl<'a, T> Column<'a, T> {
    fn new(
        items: &'a [T],
        candidates: &'a [CodecId],
        encode: Encoder<T>,
        count: Counter<T>,
        floor: Floor,
    ) -> Self {
        Self {
            items,
            candidates,
            encode,
            count,
            floor,
            full: vec![None; candidates.len()],
        }
    }

    /// Picks the candidate (sampling when the column is longer than
    /// `full_limit`, all but the first candidate when `first_in_full`) and
    /// appends its payload to `out`.
    fn encode(
        mut self,
        full_limit: usize,
        first_in_full: bool,
        out: &mut Vec<u8>,
    ) -> Result<CodecId> {
        let large = self.items.len() > full_limit;
        let id = match (large && first_in_full).then(|| self.pick_against_first()) {
            Some(Some(id)) => id,
            _ => self.pick(full_limit),
        };
        match self.index(id).and_then(|i| self.full.get_mut(i)?.take()) {
            Some(bytes) => out.extend_from_slice(&bytes),
            None => (self.encode)(id, self.items, out)?,
        }
        Ok(id)
    }

    fn index(&self, id: CodecId) -> Option<usize> {
        self.candidates.iter().position(|&c| c == id)
    }

    /// Exact encoded size with `id`, or `None` when the codec refuses; the
    /// encoding is kept for [`Column::encode`].
    fn exact_size(&mut self, id: CodecId) -> Option<usize> {
        check_count(self.items.len()).ok()?;
        if let Some(size) = (self.count)(id, self.items) {
            return Some(size);
        }
        let index = self.index(id)?;
        if let Some(Some(bytes)) = self.full.get(index) {
            return Some(bytes.len());
        }
        let mut bytes = Vec::new();
        (self.encode)(id, self.items, &mut bytes).ok()?;
        let len = bytes.len();
        *self.full.get_mut(index)? = Some(bytes);
        Some(len)
    }

    /// Summed encoded size of the sampled runs.
    fn sampled_size(&self, id: CodecId, scratch: &mut Vec<u8>) -> Option<usize> {
        let items = self.items;
        let last_start = items.len().saturating_sub(RUN_LEN);
        let mut total = 0;
        for k in 0..RUNS {
            let start = k * last_start / (RUNS - 1);
            let run = items.get(start..start + RUN_LEN).unwrap_or(items);
            check_count(run.len()).ok()?;
            total += match (self.count)(id, run) {
                Some(size) => size,
                None => {
                    scratch.clear();
                    (self.encode)(id, run, scratch).ok()?;
                    scratch.len()
                }
            };
        }
        Some(total)
    }

    /// The smallest candidate, sampled when the column is longer than
    /// `full_limit`. Ties go to the earlier candidate.
    fn pick(&mut self, full_limit: usize) -> CodecId {
        let fallback = self
            .candidates
            .last()
            .copied()
            .unwrap_or(CodecId::RawValues);
        let sample = self.items.len() > full_limit;
        let mut scratch = Vec::new();
        let mut sized: Vec<(usize, CodecId)> = Vec::with_capacity(self.candidates.len());
        let measured = if sample {
            RUNS * RUN_LEN
        } else {
            self.items.len()
        };
        for &id in self.candidates {
            let best = sized.iter().map(|&(size, _)| size).min();
            if best.is_some_and(|best| (self.floor)(id, measured) >= best) {
                continue;
            }
            let size = if sample {
                self.sampled_size(id, &mut scratch)
            } else {
                self.exact_size(id)
            };
            sized.extend(size.map(|s| (s, id)));
        }
        match two_smallest(sized.into_iter()).as_slice() {
            [(a, first), (b, second)] if sample && a * (100 + CLOSE_PERCENT) >= b * 100 => {
                self.closer_of(*first, *second)
            }
            [(_, first), ..] => *first,
            [] => fallback,
        }
    }

    /// The smallest candidate of a large column, measuring the first one
    /// exactly and the others on the sampled runs, scaled to the column;
    /// one whose estimate is below or within [`CLOSE_PERCENT`] of the best
    /// exact size is measured exactly too. Ties go to the earlier
    /// candidate. `None` when the first candidate refuses the column.
    fn pick_against_first(&mut self) -> Option<CodecId> {
        let (&first, rest) = self.candidates.split_first()?;
        let mut best = (self.exact_size(first)?, first);
        let (n, measured) = (self.items.len(), RUNS * RUN_LEN);
        let mut scratch = Vec::new();
        for &id in rest {
            if (self.floor)(id, n) >= best.0 {
                continue;
            }
            let Some(estimate) = self.sampled_size(id, &mut scratch) else {
                continue;
            };
            if estimate * n * 100 >= best.0 * measured * (100 + CLOSE_PERCENT) {
                continue;
            }
            if let Some(size) = self.exact_size(id).filter(|&size| size < best.0) {
                best = (size, id);
            }
        }
        Some(best.1)
    }

    /// Settles two close estimates by exact sizes; `first` had the smaller
    /// estimate.
    fn closer_of(&mut self, first: CodecId, second: CodecId) -> CodecId {
        let exact_first = self.exact_size(first);
        let exact_second = self.exact_size(second);
        match (exact_first, exact_second) {
            (Some(x), Some(y)) if y < x || (y == x && self.index(second) < self.index(first)) => {
                second
            }
            (None, Some(_)) => second,
            _ => first,
        }
    }
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

#[cfg(test)]
mod equivalence;
#[cfg(test)]
mod reference;

#[cfg(test)]
mod tests {
    use super::*;

    /// The codecs the adaptive choice picks for a block.
    fn select(timestamps: &[i64], values: &[f64]) -> (CodecId, CodecId) {
        let mut out = Vec::new();
        (
            encode_timestamps_adaptive(timestamps, &mut out).unwrap(),
            encode_values_adaptive(values, &mut out).unwrap(),
        )
    }

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
            assert_eq!(value_id, CodecId::AlpVectorValues, "{n}");
            assert!(
                matches!(ts_id, CodecId::StepTimestamps | CodecId::GorillaTimestamps),
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
