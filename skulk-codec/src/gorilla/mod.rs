//! Gorilla codecs (Pelkonen et al., "Gorilla: A Fast, Scalable, In-Memory
//! Time Series Database", VLDB 2015), adapted to nanosecond timestamps.
//!
//! - [`GorillaTimestamps`]: delta-of-delta with prefix buckets from 4 to 64
//!   bits, so every interval from 1 ns to centuries is exact.
//! - [`GorillaValues`]: XOR with the previous value and reuse of the
//!   leading/trailing-zero window.
//!
//! The bitstreams are specified in `FORMAT.md`, sections "Gorilla
//! timestamps" and "Gorilla values". Both block codecs are a loop over the
//! same per-item encoder that the streaming appenders use, so an appender's
//! bytes are the block encoding of what it was given.

mod appender;
pub(crate) mod timestamps;
pub(crate) mod values;

pub use appender::{GorillaTimestampAppender, GorillaValueAppender};
pub use timestamps::GorillaTimestamps;
pub use values::GorillaValues;

use crate::{CodecError, Result};

/// Refuses a `count` that `input` cannot hold, before anything is allocated:
/// the first item takes 64 bits and every further item at least one.
fn check_min_len(input: &[u8], count: usize) -> Result<()> {
    let min_bits = 64 + (count - 1);
    let available = input.len().saturating_mul(8);
    if available < min_bits {
        return Err(CodecError::Truncated {
            offset: 0,
            needed: min_bits.div_ceil(8),
            available: input.len(),
        });
    }
    Ok(())
}

/// Upper bound of a payload of `points` items, the first taking 64 bits and
/// every further one at most `max_item_bits`.
fn max_len(points: usize, max_item_bits: usize) -> usize {
    match points {
        0 => 0,
        n => (n - 1)
            .saturating_mul(max_item_bits)
            .saturating_add(64)
            .div_ceil(8),
    }
}
