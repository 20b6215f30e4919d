//! `Chunk`: one sealed, compressed, sorted run of a series' points.

use std::sync::Arc;

use skulk_codec::{BlockHeader, BlockView, CodecChoice, CompressedBlock};
use skulk_format::Timestamp;

use crate::Result;

/// A sealed chunk: the bytes of a [`CompressedBlock`] of sorted, unique
/// timestamps, exact-size and shared so snapshots get it for free. Its
/// count and time range are read from the block header, so a chunk costs
/// one fat pointer besides its bytes.
#[derive(Debug, Clone)]
pub(crate) struct Chunk {
    bytes: Arc<[u8]>,
}

/// What the hot paths need from a block header.
#[derive(Debug, Clone, Copy)]
struct Summary {
    min: Timestamp,
    max: Timestamp,
    count: u32,
}

impl Chunk {
    /// Encodes a non-empty run of sorted, unique timestamps.
    pub(crate) fn encode(timestamps: &[i64], values: &[f64], codec: CodecChoice) -> Result<Self> {
        let block = CompressedBlock::encode_with(timestamps, values, codec)?;
        // Copy: the encoder's buffer has the codec's worst-case capacity.
        Ok(Self {
            bytes: Arc::from(block.as_bytes()),
        })
    }

    /// A chunk of arbitrary (possibly invalid) bytes.
    #[cfg(test)]
    pub(crate) fn from_bytes(bytes: &[u8]) -> Self {
        Self {
            bytes: Arc::from(bytes),
        }
    }

    /// The header of a block this crate encoded; a zeroed summary if it
    /// could not be parsed (never expected: decoding then reports the error).
    fn summary(&self) -> Summary {
        match BlockView::parse(&self.bytes) {
            Ok(view) => {
                let BlockHeader {
                    min_timestamp,
                    max_timestamp,
                    point_count,
                    ..
                } = *view.header();
                Summary {
                    min: min_timestamp,
                    max: max_timestamp,
                    count: point_count,
                }
            }
            Err(_) => Summary {
                min: 0,
                max: 0,
                count: 0,
            },
        }
    }

    /// Smallest timestamp.
    pub(crate) fn min(&self) -> Timestamp {
        self.summary().min
    }

    /// Largest timestamp.
    pub(crate) fn max(&self) -> Timestamp {
        self.summary().max
    }

    /// Number of points.
    pub(crate) fn len(&self) -> usize {
        self.summary().count as usize
    }

    /// Appends all points to `timestamps` and `values`.
    pub(crate) fn decode_into(
        &self,
        timestamps: &mut Vec<i64>,
        values: &mut Vec<f64>,
    ) -> Result<()> {
        let view = BlockView::parse(&self.bytes)?;
        timestamps.reserve(view.point_count());
        values.reserve(view.point_count());
        view.decode_into(timestamps, values)?;
        Ok(())
    }

    /// Appends the timestamps only.
    pub(crate) fn decode_timestamps(&self, timestamps: &mut Vec<i64>) -> Result<()> {
        let view = BlockView::parse(&self.bytes)?;
        timestamps.reserve(view.point_count());
        view.decode_timestamps(timestamps)?;
        Ok(())
    }

    /// The codecs this chunk was encoded with.
    pub(crate) fn codecs(&self) -> Result<CodecChoice> {
        let header = *BlockView::parse(&self.bytes)?.header();
        Ok(CodecChoice::Fixed {
            timestamps: header.timestamp_codec,
            values: header.value_codec,
        })
    }

    /// Encoded size in bytes, block header included.
    pub(crate) fn encoded_len(&self) -> usize {
        self.bytes.len()
    }

    /// Heap bytes owned through this chunk: the shared slice with its two
    /// reference counts.
    pub(crate) fn heap_bytes(&self) -> usize {
        2 * size_of::<usize>() + self.bytes.len()
    }
}
