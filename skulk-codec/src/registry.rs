//! Maps codec ids to codec implementations.

use crate::{
    AlpValues, CodecError, CodecId, DeltaPackTimestamps, GorillaTimestamps, GorillaValues,
    RawTimestamps, RawValues, TimestampCodec, ValueCodec,
};

/// The timestamp codec registered under `id`.
pub fn timestamp_codec(id: CodecId) -> Result<&'static dyn TimestampCodec, CodecError> {
    match id {
        CodecId::RawTimestamps => Ok(&RawTimestamps),
        CodecId::GorillaTimestamps => Ok(&GorillaTimestamps),
        CodecId::DeltaPackTimestamps => Ok(&DeltaPackTimestamps),
        other => Err(CodecError::WrongKind {
            id: other,
            expected: "timestamps",
        }),
    }
}

/// The value codec registered under `id`.
pub fn value_codec(id: CodecId) -> Result<&'static dyn ValueCodec, CodecError> {
    match id {
        CodecId::RawValues => Ok(&RawValues),
        CodecId::GorillaValues => Ok(&GorillaValues),
        CodecId::AlpValues => Ok(&AlpValues),
        other => Err(CodecError::WrongKind {
            id: other,
            expected: "values",
        }),
    }
}
