//! Sealing a series' tail into its compressed chunks.
//!
//! Invariant kept for every series: chunks are sorted and their time ranges
//! are disjoint (`chunks[i].max < chunks[i + 1].min`), each holds sorted,
//! unique timestamps. Sealing keeps it with the fewest re-encodes:
//!
//! - each tail point is assigned to the chunk whose range contains it; a
//!   point in a gap goes to the chunk before the gap (the first chunk when it
//!   lies before all of them), a point after the last chunk to the last one;
//! - a full chunk that only gains points beyond one of its ends is left
//!   alone and the points become new chunks next to it;
//! - any other chunk is decoded, merged with its points (the tail wins on
//!   equal timestamps: it holds the later writes) and re-encoded. A rewrite
//!   inside the series may grow a chunk to [`max_rewrite_len`] (25 % over
//!   `chunk_points`) before it is split, so sparse late points do not
//!   fragment chunks.
//!
//! Codec choice: the series' last chunk, while it holds fewer than
//! `chunk_points` points, is re-encoded at every seal, so it uses the cheap
//! [`MemTableOptions::open_codec`]. Every other chunk is encoded with
//! [`MemTableOptions::codec`]. When that
//! is the adaptive choice (which encodes every candidate), a series reuses
//! the codecs its last adaptive choice picked and re-runs the choice on
//! every [`REPICK_EVERY`]th full chunk, so a series whose data changes
//! character is followed within a few chunks.

use std::ops::Range;

use skulk_codec::CodecChoice;

use crate::chunk::Chunk;
use crate::{MemTableOptions, Result};

/// A point of a tail: timestamp and value.
pub(crate) type TailPoint = (i64, f64);

/// Full chunks per series between two runs of the adaptive codec choice.
pub(crate) const REPICK_EVERY: u8 = 8;

/// A series' memory of its last adaptive codec choice.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct CodecHint {
    last: Option<CodecChoice>,
    reused: u8,
}

/// Encodes new chunks, choosing codecs as the module docs describe.
pub(crate) struct Encoder<'a> {
    /// The layout options.
    pub(crate) options: &'a MemTableOptions,
    /// The series' codec hint, updated by adaptive choices.
    pub(crate) hint: &'a mut CodecHint,
}

impl Encoder<'_> {
    fn encode(&mut self, ts: &[i64], vs: &[f64], open: bool) -> Result<Chunk> {
        if open {
            return Chunk::encode(ts, vs, self.options.open_codec);
        }
        match (self.options.codec, self.hint.last) {
            (CodecChoice::Adaptive, Some(last)) if self.hint.reused + 1 < REPICK_EVERY => {
                self.hint.reused += 1;
                Chunk::encode(ts, vs, last)
            }
            (CodecChoice::Adaptive, _) => {
                let chunk = Chunk::encode(ts, vs, CodecChoice::Adaptive)?;
                *self.hint = CodecHint {
                    last: Some(chunk.codecs()?),
                    reused: 0,
                };
                Ok(chunk)
            }
            (fixed, _) => Chunk::encode(ts, vs, fixed),
        }
    }
}

/// Merges `tail` (sorted, unique timestamps) into `chunks`.
pub(crate) fn seal_into(
    chunks: &mut Vec<Chunk>,
    tail: &[TailPoint],
    encoder: &mut Encoder<'_>,
) -> Result<()> {
    if tail.is_empty() {
        return Ok(());
    }
    if chunks.is_empty() {
        let (ts, vs) = split(tail);
        *chunks = encode_front_filled(&ts, &vs, encoder, true)?;
        return Ok(());
    }
    for (target, range) in groups(chunks, tail).into_iter().rev() {
        apply_group(chunks, target, tail.get(range).unwrap_or_default(), encoder)?;
    }
    Ok(())
}

/// Index of the chunk `ts` is merged into; `chunks` must not be empty.
fn target(chunks: &[Chunk], ts: i64) -> usize {
    let j = chunks.partition_point(|c| c.max() < ts);
    match chunks.get(j) {
        None => chunks.len() - 1,
        Some(c) if c.min() <= ts => j,
        Some(_) => j.saturating_sub(1),
    }
}

/// Runs of tail points with the same target chunk, in ascending order.
fn groups(chunks: &[Chunk], tail: &[TailPoint]) -> Vec<(usize, Range<usize>)> {
    let mut out: Vec<(usize, Range<usize>)> = Vec::new();
    for (i, &(ts, _)) in tail.iter().enumerate() {
        let t = target(chunks, ts);
        match out.last_mut() {
            Some((last, range)) if *last == t => range.end = i + 1,
            _ => out.push((t, i..i + 1)),
        }
    }
    out
}

/// Merges one group of points into chunk `j`, replacing it by one or more
/// chunks.
fn apply_group(
    chunks: &mut Vec<Chunk>,
    j: usize,
    points: &[TailPoint],
    encoder: &mut Encoder<'_>,
) -> Result<()> {
    let (Some(chunk), Some(first), Some(last)) = (chunks.get(j), points.first(), points.last())
    else {
        return Ok(());
    };
    let full = chunk.len() >= encoder.options.chunk_points;
    if full && (first.0 > chunk.max() || last.0 < chunk.min()) {
        let at = if first.0 > chunk.max() { j + 1 } else { j };
        let (ts, vs) = split(points);
        let new = encode_front_filled(&ts, &vs, encoder, at == chunks.len())?;
        chunks.splice(at..at, new);
        return Ok(());
    }
    let last = j + 1 == chunks.len();
    let appending = first.0 > chunk.max() && last;
    let mut ts = Vec::with_capacity(chunk.len() + points.len());
    let mut vs = Vec::with_capacity(chunk.len() + points.len());
    chunk.decode_into(&mut ts, &mut vs)?;
    let (ts, vs) = merge(&ts, &vs, points);
    let new = if appending {
        encode_front_filled(&ts, &vs, encoder, true)?
    } else {
        encode_even(&ts, &vs, encoder, last)?
    };
    chunks.splice(j..=j, new);
    Ok(())
}

/// Merges sorted unique `(ts, vs)` with sorted unique `points`; on equal
/// timestamps the point from `points` wins.
pub(crate) fn merge(ts: &[i64], vs: &[f64], points: &[TailPoint]) -> (Vec<i64>, Vec<f64>) {
    let mut out_ts = Vec::with_capacity(ts.len() + points.len());
    let mut out_vs = Vec::with_capacity(ts.len() + points.len());
    let mut old = ts.iter().copied().zip(vs.iter().copied()).peekable();
    let mut new = points.iter().copied().peekable();
    loop {
        let next = match (old.peek(), new.peek()) {
            (None, None) => break,
            (Some(_), None) => old.next(),
            (Some(o), Some(n)) if o.0 < n.0 => old.next(),
            (Some(o), Some(n)) if o.0 == n.0 => {
                old.next();
                new.next()
            }
            _ => new.next(),
        };
        if let Some((t, v)) = next {
            out_ts.push(t);
            out_vs.push(v);
        }
    }
    (out_ts, out_vs)
}

fn split(points: &[TailPoint]) -> (Vec<i64>, Vec<f64>) {
    points.iter().copied().unzip()
}

/// Chunks of exactly `chunk_points` from the front, the remainder last: the
/// last chunk is the one that keeps growing as in-order data arrives.
/// `ends_series`: the pieces go at the end of the chunk list.
fn encode_front_filled(
    ts: &[i64],
    vs: &[f64],
    encoder: &mut Encoder<'_>,
    ends_series: bool,
) -> Result<Vec<Chunk>> {
    encode_pieces(ts, vs, encoder.options.chunk_points, encoder, ends_series)
}

/// Largest chunk a rewrite inside the series leaves unsplit.
pub(crate) fn max_rewrite_len(chunk_points: usize) -> usize {
    chunk_points + chunk_points / 4
}

/// One chunk up to [`max_rewrite_len`], else near-equal chunks of at most
/// `chunk_points`: a rewrite inside the series must not leave tiny chunks.
fn encode_even(
    ts: &[i64],
    vs: &[f64],
    encoder: &mut Encoder<'_>,
    ends_series: bool,
) -> Result<Vec<Chunk>> {
    let chunk_points = encoder.options.chunk_points;
    let size = if ts.len() <= max_rewrite_len(chunk_points) {
        ts.len().max(1)
    } else {
        ts.len().div_ceil(ts.len().div_ceil(chunk_points))
    };
    encode_pieces(ts, vs, size, encoder, ends_series)
}

/// Encodes pieces of `size` points; only a short last piece at the end of
/// the series is open.
fn encode_pieces(
    ts: &[i64],
    vs: &[f64],
    size: usize,
    encoder: &mut Encoder<'_>,
    ends_series: bool,
) -> Result<Vec<Chunk>> {
    let pieces = ts.len().div_ceil(size);
    let chunk_points = encoder.options.chunk_points;
    ts.chunks(size)
        .zip(vs.chunks(size))
        .enumerate()
        .map(|(i, (t, v))| {
            let open = ends_series && i + 1 == pieces && t.len() < chunk_points;
            encoder.encode(t, v, open)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(chunk_points: usize) -> MemTableOptions {
        MemTableOptions::default().with_chunk_points(chunk_points)
    }

    fn encoder(options: &MemTableOptions) -> Encoder<'_> {
        Encoder {
            options,
            hint: Box::leak(Box::default()),
        }
    }

    fn points(ts: &[i64]) -> Vec<TailPoint> {
        ts.iter().map(|&t| (t, t as f64)).collect()
    }

    fn contents(chunks: &[Chunk]) -> Vec<(i64, f64)> {
        let (mut ts, mut vs) = (Vec::new(), Vec::new());
        for c in chunks {
            c.decode_into(&mut ts, &mut vs).unwrap();
        }
        ts.into_iter().zip(vs).collect()
    }

    fn assert_disjoint(chunks: &[Chunk], max_points: usize) {
        for pair in chunks.windows(2) {
            assert!(pair[0].max() < pair[1].min());
        }
        assert!(chunks.iter().all(|c| c.len() <= max_points && c.len() > 0));
    }

    #[test]
    fn in_order_seals_fill_the_last_chunk_first() {
        let o = opts(10);
        let mut chunks = Vec::new();
        for start in (0..35).step_by(7) {
            let tail = points(&(start..start + 7).collect::<Vec<_>>());
            seal_into(&mut chunks, &tail, &mut encoder(&o)).unwrap();
        }
        assert_eq!(
            chunks.iter().map(Chunk::len).collect::<Vec<_>>(),
            [10, 10, 10, 5]
        );
        assert_eq!(contents(&chunks), points(&(0..35).collect::<Vec<_>>()));
    }

    #[test]
    fn out_of_order_points_land_in_gaps_and_overwrite() {
        let o = opts(4);
        let mut chunks = Vec::new();
        let eight = points(&[10, 20, 30, 40, 50, 60, 70, 80]);
        seal_into(&mut chunks, &eight, &mut encoder(&o)).unwrap();
        let tail = vec![(-5, 1.5), (20, -2.0), (45, 3.0), (85, 4.0)];
        seal_into(&mut chunks, &tail, &mut encoder(&o)).unwrap();
        assert_disjoint(&chunks, max_rewrite_len(4));
        let expected: Vec<(i64, f64)> = vec![
            (-5, 1.5),
            (10, 10.0),
            (20, -2.0),
            (30, 30.0),
            (40, 40.0),
            (45, 3.0),
            (50, 50.0),
            (60, 60.0),
            (70, 70.0),
            (80, 80.0),
            (85, 4.0),
        ];
        assert_eq!(contents(&chunks), expected);
    }

    #[test]
    fn merge_prefers_the_tail_on_equal_timestamps() {
        let (ts, vs) = merge(&[1, 3, 5], &[1.0, 3.0, 5.0], &[(3, -3.0), (4, 4.0)]);
        assert_eq!(ts, [1, 3, 4, 5]);
        assert_eq!(vs, [1.0, -3.0, 4.0, 5.0]);
    }
}
