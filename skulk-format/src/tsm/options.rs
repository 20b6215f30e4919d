//! `TsmWriterOptions`.

use skulk_codec::{CodecChoice, MAX_BLOCK_POINTS};

use super::version::FormatVersion;
use crate::{FormatError, Result};

/// How a [`crate::TsmWriter`] lays out a file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TsmWriterOptions {
    /// Most points per block, `1..=MAX_BLOCK_POINTS`. Larger blocks
    /// compress better and cost less index; smaller ones let range queries
    /// skip more. Default 8192: on a series of 10k points at ~1.3 bytes per
    /// point, index, metadata, bloom and framing stay under 5% of the codec
    /// payload (see the README's measurements).
    pub max_points_per_block: usize,
    /// How blocks pick their codecs. Default [`CodecChoice::Adaptive`].
    pub codec: CodecChoice,
    /// Target false-positive rate of the series bloom filter, in `(0, 1)`.
    /// Default 0.01.
    pub bloom_false_positive_rate: f64,
    /// The format version written. Default [`FormatVersion::CURRENT`];
    /// [`FormatVersion::V1`] writes files that older readers open.
    pub version: FormatVersion,
}

impl Default for TsmWriterOptions {
    fn default() -> Self {
        Self {
            max_points_per_block: 8192,
            codec: CodecChoice::Adaptive,
            bloom_false_positive_rate: 0.01,
            version: FormatVersion::CURRENT,
        }
    }
}

impl TsmWriterOptions {
    /// Checks the options.
    pub fn validate(&self) -> Result<()> {
        if !(1..=MAX_BLOCK_POINTS).contains(&self.max_points_per_block) {
            return Err(FormatError::InvalidArgument(format!(
                "max_points_per_block {} is not in 1..={MAX_BLOCK_POINTS}",
                self.max_points_per_block
            )));
        }
        let rate = self.bloom_false_positive_rate;
        if !(rate > 0.0 && rate < 1.0) {
            return Err(FormatError::InvalidArgument(format!(
                "bloom_false_positive_rate {rate} is not in (0, 1)"
            )));
        }
        Ok(())
    }
}
