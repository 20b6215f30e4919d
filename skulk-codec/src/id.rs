//! The registry of codec ids: the ones this workspace defines, and a range
//! reserved for codecs that live outside it.
//!
//! An id is written into every block on disk, so the numbers are part of the
//! file formats: never renumber or reuse one. See `FORMAT.md`, section
//! "Codec ids".

use std::fmt;

use crate::CodecError;

/// What a codec encodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CodecKind {
    /// `i64` nanosecond timestamps.
    Timestamp,
    /// `f64` values.
    Value,
}

/// Stable one-byte identifier of a codec.
///
/// The workspace's own codecs are named variants. Bytes
/// [`CodecId::EXTERNAL`] (`0xC0..=0xFF`) are reserved for codecs outside
/// this workspace: such a codec names itself with [`CodecId::external`],
/// so blocks it writes carry its own id, and a reader that does not know
/// it refuses them with [`CodecError::UnknownCodec`] instead of decoding
/// them with the wrong codec.
///
/// ```
/// use skulk_codec::{CodecError, CodecId, CodecKind};
///
/// let mine = CodecId::external(0xC7, CodecKind::Value)?;
/// assert_eq!((mine.as_u8(), mine.kind()), (0xC7, CodecKind::Value));
/// assert_eq!(mine.to_string(), "External(0xc7)");
/// // Outside the reserved range: refused.
/// assert!(CodecId::external(0x21, CodecKind::Value).is_err());
/// // A reader that does not know the codec refuses its blocks.
/// assert_eq!(CodecId::try_from(0xC7), Err(CodecError::UnknownCodec { id: 0xC7 }));
/// # Ok::<(), CodecError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum CodecId {
    /// Timestamps as plain little-endian `i64`, 8 bytes each.
    RawTimestamps, // 0x01
    /// Values as plain little-endian `f64` bit patterns, 8 bytes each.
    RawValues, // 0x02
    /// Gorilla delta-of-delta timestamps (Pelkonen et al., VLDB 2015),
    /// with buckets widened for nanosecond timestamps.
    GorillaTimestamps, // 0x10
    /// Gorilla XOR values with leading/trailing-zero window reuse.
    GorillaValues, // 0x11
    /// Delta then patched frame-of-reference bit packing of timestamps; a
    /// constant-step block costs a few bytes.
    DeltaPackTimestamps, // 0x20
    /// ALP-style decimal values: per-block power of ten, integers bit-packed
    /// by frame of reference or delta, non-decimal values as exceptions.
    AlpValues, // 0x21
    /// Deltas less a fixed, possibly fractional, step as a centred run
    /// with patched high bits (version 2).
    StepTimestamps, // 0x30
    /// ALP-style decimal values in vectors of 512, each with its own
    /// exponent, integer mode and frame of reference (version 2).
    AlpVectorValues, // 0x31
    /// ALP-RD real doubles: dictionary-coded left bits, packed right bits
    /// (version 2).
    AlpRdValues, // 0x32
    /// A codec defined outside this workspace, with its byte in
    /// [`CodecId::EXTERNAL`]; made by [`CodecId::external`].
    External {
        /// The byte written to disk.
        id: u8,
        /// What the codec encodes.
        kind: CodecKind,
    },
}

impl CodecId {
    /// Every id this build knows, in ascending order.
    pub const ALL: &'static [CodecId] = &[
        CodecId::RawTimestamps,
        CodecId::RawValues,
        CodecId::GorillaTimestamps,
        CodecId::GorillaValues,
        CodecId::DeltaPackTimestamps,
        CodecId::AlpValues,
        CodecId::StepTimestamps,
        CodecId::AlpVectorValues,
        CodecId::AlpRdValues,
    ];

    /// The bytes reserved for codecs outside this workspace.
    pub const EXTERNAL: std::ops::RangeInclusive<u8> = 0xC0..=0xFF;

    /// The id of a codec outside this workspace: `id` must lie in
    /// [`CodecId::EXTERNAL`] (else [`CodecError::NotExternal`]).
    pub const fn external(id: u8, kind: CodecKind) -> Result<Self, CodecError> {
        if id >= *Self::EXTERNAL.start() {
            Ok(CodecId::External { id, kind })
        } else {
            Err(CodecError::NotExternal { id })
        }
    }

    /// The byte written to disk.
    pub const fn as_u8(self) -> u8 {
        match self {
            CodecId::RawTimestamps => 0x01,
            CodecId::RawValues => 0x02,
            CodecId::GorillaTimestamps => 0x10,
            CodecId::GorillaValues => 0x11,
            CodecId::DeltaPackTimestamps => 0x20,
            CodecId::AlpValues => 0x21,
            CodecId::StepTimestamps => 0x30,
            CodecId::AlpVectorValues => 0x31,
            CodecId::AlpRdValues => 0x32,
            CodecId::External { id, .. } => id,
        }
    }

    /// What this codec encodes.
    pub const fn kind(self) -> CodecKind {
        match self {
            CodecId::RawTimestamps
            | CodecId::GorillaTimestamps
            | CodecId::DeltaPackTimestamps
            | CodecId::StepTimestamps => CodecKind::Timestamp,
            CodecId::RawValues
            | CodecId::GorillaValues
            | CodecId::AlpValues
            | CodecId::AlpVectorValues
            | CodecId::AlpRdValues => CodecKind::Value,
            CodecId::External { kind, .. } => kind,
        }
    }
}

impl fmt::Display for CodecId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodecId::External { id, .. } => write!(f, "External({id:#04x})"),
            known => fmt::Debug::fmt(known, f),
        }
    }
}

/// Only the workspace's own codecs: a byte in [`CodecId::EXTERNAL`] is
/// [`CodecError::UnknownCodec`] here, since this build has no codec for it.
impl TryFrom<u8> for CodecId {
    type Error = CodecError;

    fn try_from(byte: u8) -> Result<Self, Self::Error> {
        CodecId::ALL
            .iter()
            .copied()
            .find(|id| id.as_u8() == byte)
            .ok_or(CodecError::UnknownCodec { id: byte })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_round_trips_through_its_byte() {
        for &id in CodecId::ALL {
            assert_eq!(CodecId::try_from(id.as_u8()), Ok(id));
        }
    }

    #[test]
    fn external_ids_take_only_the_reserved_range_and_keep_their_byte() {
        for byte in 0..=u8::MAX {
            let id = CodecId::external(byte, CodecKind::Timestamp);
            if CodecId::EXTERNAL.contains(&byte) {
                let id = id.unwrap();
                assert_eq!((id.as_u8(), id.kind()), (byte, CodecKind::Timestamp));
                assert!(!CodecId::ALL.contains(&id));
            } else {
                assert_eq!(id, Err(CodecError::NotExternal { id: byte }));
            }
        }
        assert!(
            CodecId::ALL
                .iter()
                .all(|id| !CodecId::EXTERNAL.contains(&id.as_u8()))
        );
    }

    #[test]
    fn unknown_bytes_are_refused() {
        let known: Vec<u8> = CodecId::ALL.iter().map(|id| id.as_u8()).collect();
        for byte in 0..=u8::MAX {
            if !known.contains(&byte) {
                assert_eq!(
                    CodecId::try_from(byte),
                    Err(CodecError::UnknownCodec { id: byte })
                );
            }
        }
    }
}
