//! How a block picks its codecs.

use crate::CodecId;

/// Which codecs a [`crate::CompressedBlock`] is encoded with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CodecChoice {
    /// Per block and column, the smallest of the current candidate codecs
    /// (step timestamps, ALP vectors, ALP-RD, Gorilla and raw), chosen by a
    /// cheap, deterministic estimate. The default.
    #[default]
    Adaptive,
    /// The adaptive choice among the version-1 codecs only (delta-pack,
    /// ALP, Gorilla and raw), whose blocks every reader since version 1
    /// decodes: for files that older readers must still open.
    AdaptiveV1,
    /// Always the given pair of codecs.
    Fixed {
        /// The timestamp codec.
        timestamps: CodecId,
        /// The value codec.
        values: CodecId,
    },
}

impl CodecChoice {
    /// Uncompressed timestamps and values.
    pub const RAW: CodecChoice = CodecChoice::Fixed {
        timestamps: CodecId::RawTimestamps,
        values: CodecId::RawValues,
    };

    /// Gorilla delta-of-delta timestamps and XOR values.
    pub const GORILLA: CodecChoice = CodecChoice::Fixed {
        timestamps: CodecId::GorillaTimestamps,
        values: CodecId::GorillaValues,
    };
}
