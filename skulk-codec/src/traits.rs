//! The codec traits: one per value type, narrow and object safe.

use crate::{CodecId, Result};

/// Largest number of points one block may hold.
///
/// Decoders refuse larger counts before allocating, so a corrupt count can
/// never make a reader allocate more than `8 * MAX_BLOCK_POINTS` bytes per
/// column.
pub const MAX_BLOCK_POINTS: usize = 1 << 20;

/// A block codec for `i64` nanosecond timestamps.
///
/// Contract, for every implementation:
/// - `encode` appends a payload for `timestamps` to `out` (never touching
///   what `out` already holds); any `i64` sequence, including empty,
///   unsorted, duplicated and extreme values, must round-trip bit-exactly.
/// - `decode` reads exactly `count` timestamps from the front of `input`,
///   appends them to `out` and returns how many bytes it consumed. The
///   payload does not record its own count: the caller (a block header)
///   does. Bad input gives a [`crate::CodecError`], never a panic, never an
///   endless loop, and never an allocation beyond `count` items.
/// - `max_encoded_len(n)` bounds the payload size for `n` points, so callers
///   can reserve once.
pub trait TimestampCodec: Send + Sync {
    /// The id written next to this codec's payloads.
    fn id(&self) -> CodecId;
    /// Upper bound of the payload size in bytes for `points` timestamps.
    fn max_encoded_len(&self, points: usize) -> usize;
    /// Appends the encoding of `timestamps` to `out`.
    fn encode(&self, timestamps: &[i64], out: &mut Vec<u8>) -> Result<()>;
    /// Decodes `count` timestamps from `input` into `out`; returns the bytes consumed.
    fn decode(&self, input: &[u8], count: usize, out: &mut Vec<i64>) -> Result<usize>;

    /// [`decode`](Self::decode), also telling whether the timestamps it
    /// appended are known to be non-decreasing: then their first and last
    /// are their bounds, and a block checks them against its header without
    /// a pass over the points. `true` is a promise the block relies on, also
    /// for damaged input that decodes; the conformance suite checks it. The
    /// default, for codecs that do not learn it while decoding, says "not
    /// known".
    fn decode_sorted(
        &self,
        input: &[u8],
        count: usize,
        out: &mut Vec<i64>,
    ) -> Result<(usize, bool)> {
        self.decode(input, count, out)
            .map(|consumed| (consumed, false))
    }
}

/// A block codec for `f64` values. Same contract as [`TimestampCodec`]; every
/// bit pattern (NaN payloads, `-0.0`, infinities, subnormals) must
/// round-trip exactly.
pub trait ValueCodec: Send + Sync {
    /// The id written next to this codec's payloads.
    fn id(&self) -> CodecId;
    /// Upper bound of the payload size in bytes for `points` values.
    fn max_encoded_len(&self, points: usize) -> usize;
    /// Appends the encoding of `values` to `out`.
    fn encode(&self, values: &[f64], out: &mut Vec<u8>) -> Result<()>;
    /// Decodes `count` values from `input` into `out`; returns the bytes consumed.
    fn decode(&self, input: &[u8], count: usize, out: &mut Vec<f64>) -> Result<usize>;
}

/// A streaming encoder that takes one item at a time, for in-memory head
/// chunks that grow point by point.
///
/// The bytes of a sealed appender decode with the block codec of the same
/// [`CodecId`] and a count of [`Appender::len`].
pub trait Appender {
    /// What is appended (`i64` or `f64`).
    type Item: Copy;
    /// The codec whose payload this appender produces.
    fn id(&self) -> CodecId;
    /// Appends one item; [`crate::CodecError::Full`] when the capacity is reached.
    fn push(&mut self, item: Self::Item) -> Result<()>;
    /// Items appended so far.
    fn len(&self) -> usize;
    /// True when nothing was appended.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Bytes the payload occupies so far (rounded up to whole bytes).
    fn encoded_len(&self) -> usize;
    /// Seals the stream and returns its payload.
    fn finish(self) -> Vec<u8>;
}

/// Refuses counts above [`MAX_BLOCK_POINTS`]; every decoder calls this before
/// reserving space for `count` items.
pub fn check_count(count: usize) -> Result<()> {
    if count > MAX_BLOCK_POINTS {
        return Err(crate::CodecError::TooManyPoints {
            count: count as u64,
            max: MAX_BLOCK_POINTS,
        });
    }
    Ok(())
}
