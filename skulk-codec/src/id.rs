//! The closed registry of codec ids.
//!
//! An id is written into every block on disk, so the numbers are part of the
//! file formats: never renumber or reuse one. See `FORMAT.md`, section
//! "Codec ids".

use crate::CodecError;

/// What a codec encodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodecKind {
    /// `i64` nanosecond timestamps.
    Timestamp,
    /// `f64` values.
    Value,
}

/// Stable one-byte identifier of a codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
#[non_exhaustive]
pub enum CodecId {
    /// Timestamps as plain little-endian `i64`, 8 bytes each.
    RawTimestamps = 0x01,
    /// Values as plain little-endian `f64` bit patterns, 8 bytes each.
    RawValues = 0x02,
    /// Gorilla delta-of-delta timestamps (Pelkonen et al., VLDB 2015),
    /// with buckets widened for nanosecond timestamps.
    GorillaTimestamps = 0x10,
    /// Gorilla XOR values with leading/trailing-zero window reuse.
    GorillaValues = 0x11,
    /// Delta then patched frame-of-reference bit packing of timestamps; a
    /// constant-step block costs a few bytes.
    DeltaPackTimestamps = 0x20,
    /// ALP-style decimal values: per-block power of ten, integers bit-packed
    /// by frame of reference or delta, non-decimal values as exceptions.
    AlpValues = 0x21,
    /// Deltas less a fixed, possibly fractional, step as a centred run
    /// with patched high bits (version 2).
    StepTimestamps = 0x30,
    /// ALP-style decimal values in vectors of 512, each with its own
    /// exponent, integer mode and frame of reference (version 2).
    AlpVectorValues = 0x31,
    /// ALP-RD real doubles: dictionary-coded left bits, packed right bits
    /// (version 2).
    AlpRdValues = 0x32,
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

    /// The byte written to disk.
    pub const fn as_u8(self) -> u8 {
        self as u8
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
        }
    }
}

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
