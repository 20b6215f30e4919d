//! Maps codec ids to codec implementations.

use crate::{CodecError, CodecId, RawTimestamps, RawValues, TimestampCodec, ValueCodec};

/// The timestamp codec registered under `id`.
pub fn timestamp_codec(id: CodecId) -> Result<&'static dyn TimestampCodec, CodecError> {
    match id {
        CodecId::RawTimestamps => Ok(&RawTimestamps),
        other => Err(CodecError::WrongKind { id: other, expected: "timestamps" }),
    }
}

/// The value codec registered under `id`.
pub fn value_codec(id: CodecId) -> Result<&'static dyn ValueCodec, CodecError> {
    match id {
        CodecId::RawValues => Ok(&RawValues),
        other => Err(CodecError::WrongKind { id: other, expected: "values" }),
    }
}
