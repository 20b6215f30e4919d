//! Per-block codec selection for [`crate::CodecChoice::Adaptive`].

use crate::CodecId;

/// Chooses the timestamp and value codecs for one block.
///
/// Deterministic: the same input always yields the same choice.
pub(crate) fn select(_timestamps: &[i64], _values: &[f64]) -> (CodecId, CodecId) {
    (CodecId::RawTimestamps, CodecId::RawValues)
}
