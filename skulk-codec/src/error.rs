//! The one error type of this crate.

use crate::CodecId;

/// Everything that can go wrong while encoding or decoding.
///
/// Offsets are byte offsets into the input handed to the decoder that
/// failed, so a caller that knows where that input lives (a file, a block)
/// can name the exact position of the damage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The input ended before the decoder had everything it needed.
    #[error("truncated input at byte {offset}: needed {needed} more bytes, {available} available")]
    Truncated {
        /// Byte offset at which more input was needed.
        offset: usize,
        /// How many more bytes were needed (at least).
        needed: usize,
        /// How many bytes were available from `offset` on.
        available: usize,
    },
    /// The input is structurally invalid.
    #[error("corrupt {what} at byte {offset}")]
    Corrupt {
        /// What was expected there, e.g. "bit width <= 64".
        what: &'static str,
        /// Byte offset of the offending data.
        offset: usize,
    },
    /// A codec id byte that this build does not know.
    #[error("unknown codec id {id:#04x}; the data was written by a newer or foreign encoder")]
    UnknownCodec {
        /// The byte found.
        id: u8,
    },
    /// [`crate::CodecId::external`] was given a byte outside the range
    /// reserved for external codecs.
    #[error("codec id {id:#04x} is not in the range reserved for external codecs (0xc0..=0xff)")]
    NotExternal {
        /// The byte given.
        id: u8,
    },
    /// A codec id of the wrong kind, e.g. a value codec where a timestamp
    /// codec was expected.
    #[error("codec {id:?} cannot encode {expected}")]
    WrongKind {
        /// The codec found.
        id: CodecId,
        /// What was needed ("timestamps" or "values").
        expected: &'static str,
    },
    /// A block claims (or was asked to hold) more points than any block may.
    #[error("block of {count} points exceeds the limit of {max} points per block")]
    TooManyPoints {
        /// The count claimed or requested.
        count: u64,
        /// The limit, [`crate::MAX_BLOCK_POINTS`].
        max: usize,
    },
    /// Bytes remain after a block that must end exactly at the input's end.
    #[error("{extra} unexpected trailing bytes after the block, starting at byte {offset}")]
    TrailingBytes {
        /// Where the block ended.
        offset: usize,
        /// How many bytes follow it.
        extra: usize,
    },
    /// The caller passed arguments that cannot be encoded (e.g. timestamps
    /// and values of different lengths).
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
    /// A streaming appender is full and must be sealed.
    #[error("appender is full after {capacity} points; seal it and start another")]
    Full {
        /// The appender's capacity in points.
        capacity: usize,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = CodecError> = std::result::Result<T, E>;

/// Rebases an error's byte offset from a sub-slice (a payload, a run) to
/// its parent, which starts `base` bytes earlier.
pub(crate) fn rebase(error: CodecError, base: usize) -> CodecError {
    match error {
        CodecError::Truncated {
            offset,
            needed,
            available,
        } => CodecError::Truncated {
            offset: offset + base,
            needed,
            available,
        },
        CodecError::Corrupt { what, offset } => CodecError::Corrupt {
            what,
            offset: offset + base,
        },
        CodecError::TrailingBytes { offset, extra } => CodecError::TrailingBytes {
            offset: offset + base,
            extra,
        },
        other => other,
    }
}
