//! Maps codec ids to codec implementations.

use crate::{
    AlpRdValues, AlpValues, AlpVectorValues, CodecError, CodecId, DeltaPackTimestamps,
    GorillaTimestamps, GorillaValues, RawTimestamps, RawValues, StepTimestamps, TimestampCodec,
    ValueCodec,
};

/// The timestamp codec registered under `id`.
pub fn timestamp_codec(id: CodecId) -> Result<&'static dyn TimestampCodec, CodecError> {
    match id {
        CodecId::RawTimestamps => Ok(&RawTimestamps),
        CodecId::GorillaTimestamps => Ok(&GorillaTimestamps),
        CodecId::DeltaPackTimestamps => Ok(&DeltaPackTimestamps),
        CodecId::StepTimestamps => Ok(&StepTimestamps),
        CodecId::External { id, .. } => Err(CodecError::UnknownCodec { id }),
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
        CodecId::AlpVectorValues => Ok(&AlpVectorValues),
        CodecId::AlpRdValues => Ok(&AlpRdValues),
        CodecId::External { id, .. } => Err(CodecError::UnknownCodec { id }),
        other => Err(CodecError::WrongKind {
            id: other,
            expected: "values",
        }),
    }
}
