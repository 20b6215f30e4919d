//! `MemTableOptions`: how a memtable lays out its points.

use skulk_codec::{CodecChoice, CodecId, MAX_BLOCK_POINTS};

use crate::{MemtableError, Result};

/// Layout knobs of a [`crate::TimeSeriesMemTable`].
///
/// Each series keeps sealed compressed chunks of at most
/// [`chunk_points`](Self::chunk_points) points plus an uncompressed, sorted
/// tail of at most [`tail_points`](Self::tail_points) points that is sealed
/// into the chunks when full. The defaults were chosen by measurement (see
/// the crate README): a smaller tail costs less memory but re-encodes the
/// open chunk more often; larger chunks amortize per-chunk overhead but make
/// an out-of-order rewrite decode more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemTableOptions {
    /// Points a series buffers uncompressed before sealing them. Default 32.
    pub tail_points: usize,
    /// Largest number of points in one sealed chunk. Default 128.
    pub chunk_points: usize,
    /// Codecs of full chunks (`chunk_points` points), encoded once.
    /// Default [`CodecChoice::Adaptive`]: the smallest candidate.
    pub codec: CodecChoice,
    /// Codecs of chunks still filling up, re-encoded at every seal. Default
    /// Gorilla for both columns: cheap to encode, reasonably compact.
    pub open_codec: CodecChoice,
}

impl Default for MemTableOptions {
    fn default() -> Self {
        Self {
            tail_points: 32,
            chunk_points: 128,
            codec: CodecChoice::Adaptive,
            open_codec: CodecChoice::Fixed {
                timestamps: CodecId::GorillaTimestamps,
                values: CodecId::GorillaValues,
            },
        }
    }
}

impl MemTableOptions {
    /// Sets [`tail_points`](Self::tail_points).
    pub fn with_tail_points(mut self, points: usize) -> Self {
        self.tail_points = points;
        self
    }

    /// Sets [`chunk_points`](Self::chunk_points).
    pub fn with_chunk_points(mut self, points: usize) -> Self {
        self.chunk_points = points;
        self
    }

    /// Sets [`codec`](Self::codec).
    pub fn with_codec(mut self, codec: CodecChoice) -> Self {
        self.codec = codec;
        self
    }

    /// Sets [`open_codec`](Self::open_codec).
    pub fn with_open_codec(mut self, codec: CodecChoice) -> Self {
        self.open_codec = codec;
        self
    }

    /// Checks the ranges: `1 <= tail_points <= 65536` and
    /// `1 <= chunk_points <= MAX_BLOCK_POINTS`.
    pub fn validate(&self) -> Result<()> {
        if !(1..=65_536).contains(&self.tail_points) {
            return Err(MemtableError::InvalidArgument(format!(
                "tail_points {} must be between 1 and 65536",
                self.tail_points
            )));
        }
        if !(1..=MAX_BLOCK_POINTS).contains(&self.chunk_points) {
            return Err(MemtableError::InvalidArgument(format!(
                "chunk_points {} must be between 1 and {MAX_BLOCK_POINTS}",
                self.chunk_points
            )));
        }
        Ok(())
    }
}
