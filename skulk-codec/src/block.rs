//! `CompressedBlock`: a self-describing block of (timestamp, value) points.
//!
//! Layout (all integers little-endian), see `FORMAT.md`, "Compressed block":
//!
//! ```text
//! offset  size  field
//!      0     1  timestamp codec id
//!      1     1  value codec id
//!      2     4  point count (u32, <= MAX_BLOCK_POINTS)
//!      6     8  min timestamp (i64; 0 when empty)
//!     14     8  max timestamp (i64; 0 when empty)
//!     22     4  timestamp payload length in bytes (u32)
//!     26     n  timestamp payload
//!   26+n     m  value payload, to the end of the block
//! ```

use crate::error::rebase;
use crate::registry::{timestamp_codec, value_codec};
use crate::selector::{self, Candidates, V1, V2};
use crate::{
    CodecChoice, CodecError, CodecId, CodecKind, MAX_BLOCK_POINTS, Result, TimestampCodec,
    ValueCodec, check_count,
};

/// Encoded size of the block header.
pub const BLOCK_HEADER_LEN: usize = 26;

const OFF_TS_CODEC: usize = 0;
const OFF_VALUE_CODEC: usize = OFF_TS_CODEC + 1;
const OFF_COUNT: usize = OFF_VALUE_CODEC + 1;
const OFF_MIN_TS: usize = OFF_COUNT + 4;
const OFF_MAX_TS: usize = OFF_MIN_TS + 8;
const OFF_TS_LEN: usize = OFF_MAX_TS + 8;
const _: () = assert!(OFF_TS_LEN + 4 == BLOCK_HEADER_LEN);

/// The fixed-size header of a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockHeader {
    /// Codec of the timestamp payload.
    pub timestamp_codec: CodecId,
    /// Codec of the value payload.
    pub value_codec: CodecId,
    /// Number of points.
    pub point_count: u32,
    /// Smallest timestamp (0 when empty).
    pub min_timestamp: i64,
    /// Largest timestamp (0 when empty).
    pub max_timestamp: i64,
}

/// An owned, encoded block. Build one with [`CompressedBlock::encode`], store
/// [`CompressedBlock::as_bytes`], read it back without copying with
/// [`BlockView::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompressedBlock {
    header: BlockHeader,
    bytes: Vec<u8>,
}

/// A parsed block borrowing its payloads from the caller's buffer (e.g. a
/// memory-mapped file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockView<'a> {
    header: BlockHeader,
    timestamps: &'a [u8],
    values: &'a [u8],
}

/// Smallest and largest timestamp in one pass (0, 0 when empty): decoding
/// checks them against the header, so this runs once per decoded block
/// whose order is not known. Four independent pairs of bounds, because
/// SSE2 has no 64-bit compare to vectorize with: one pair would make every
/// point wait for the compare and move of the point before.
fn min_max(timestamps: &[i64]) -> (i64, i64) {
    let Some(&first) = timestamps.first() else {
        return (0, 0);
    };
    let mut chunks = timestamps.chunks_exact(4);
    let (mut lows, mut highs) = ([first; 4], [first; 4]);
    for chunk in chunks.by_ref() {
        for ((low, high), &t) in lows.iter_mut().zip(highs.iter_mut()).zip(chunk) {
            (*low, *high) = ((*low).min(t), (*high).max(t));
        }
    }
    let rest = chunks.remainder().iter();
    let low = lows.into_iter().chain(rest.clone().copied()).min();
    let high = highs.into_iter().chain(rest.copied()).max();
    (low.unwrap_or(first), high.unwrap_or(first))
}

fn read_array<const N: usize>(bytes: &[u8], offset: usize) -> Result<[u8; N]> {
    let slice = bytes.get(offset..offset + N).ok_or(CodecError::Truncated {
        offset,
        needed: offset + N - bytes.len().min(offset + N),
        available: bytes.len().saturating_sub(offset),
    })?;
    let mut array = [0u8; N];
    array.copy_from_slice(slice);
    Ok(array)
}

fn codec_at(bytes: &[u8], offset: usize, kind: CodecKind) -> Result<CodecId> {
    let [byte] = read_array::<1>(bytes, offset)?;
    let id = CodecId::try_from(byte)?;
    if id.kind() != kind {
        return Err(CodecError::Corrupt {
            what: "codec id of the right kind",
            offset,
        });
    }
    Ok(id)
}

impl CompressedBlock {
    /// Encodes a block with the default [`CodecChoice::Adaptive`].
    pub fn encode(timestamps: &[i64], values: &[f64]) -> Result<Self> {
        Self::encode_with(timestamps, values, CodecChoice::Adaptive)
    }

    /// Encodes a block with the given codec choice.
    pub fn encode_with(timestamps: &[i64], values: &[f64], choice: CodecChoice) -> Result<Self> {
        if timestamps.len() != values.len() {
            return Err(CodecError::InvalidArgument(
                "timestamps and values differ in length",
            ));
        }
        check_count(timestamps.len())?;
        let mut bytes = Vec::new();
        let (ts_id, value_id, ts_len) = match choice {
            CodecChoice::Adaptive => encode_adaptive(timestamps, values, V2, &mut bytes)?,
            CodecChoice::AdaptiveV1 => encode_adaptive(timestamps, values, V1, &mut bytes)?,
            CodecChoice::Fixed {
                timestamps: ts_id,
                values: value_id,
            } => encode_fixed(timestamps, values, ts_id, value_id, &mut bytes)?,
        };
        Ok(Self::finish(timestamps, ts_id, value_id, ts_len, bytes))
    }

    /// Encodes a block with codec objects of any origin, one from outside
    /// this workspace included: the header names them by their
    /// [`CodecId`]s, so a reader without an external codec refuses the
    /// block with [`CodecError::UnknownCodec`].
    ///
    /// ```
    /// use skulk_codec::{BlockView, CodecError, CompressedBlock, GorillaTimestamps, RawValues};
    ///
    /// let block = CompressedBlock::encode_with_codecs(&[1, 2], &[0.5, 1.5], &GorillaTimestamps, &RawValues)?;
    /// assert_eq!(block.decode()?, (vec![1, 2], vec![0.5, 1.5]));
    /// # Ok::<(), CodecError>(())
    /// ```
    pub fn encode_with_codecs(
        timestamps: &[i64],
        values: &[f64],
        ts_codec: &dyn TimestampCodec,
        value_codec: &dyn ValueCodec,
    ) -> Result<Self> {
        if timestamps.len() != values.len() {
            return Err(CodecError::InvalidArgument(
                "timestamps and values differ in length",
            ));
        }
        check_count(timestamps.len())?;
        let mut bytes = Vec::new();
        let (ts_id, value_id, ts_len) =
            encode_codecs(timestamps, values, ts_codec, value_codec, &mut bytes)?;
        Ok(Self::finish(timestamps, ts_id, value_id, ts_len, bytes))
    }

    /// Writes the header in front of encoded columns.
    fn finish(
        timestamps: &[i64],
        ts_id: CodecId,
        value_id: CodecId,
        ts_len: u32,
        mut bytes: Vec<u8>,
    ) -> Self {
        let (min_timestamp, max_timestamp) = min_max(timestamps);
        let header = BlockHeader {
            timestamp_codec: ts_id,
            value_codec: value_id,
            point_count: timestamps.len() as u32,
            min_timestamp,
            max_timestamp,
        };
        write_header(&header, ts_len, &mut bytes);
        Self { header, bytes }
    }

    /// Parses and copies an encoded block (see [`BlockView::parse`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Ok(BlockView::parse(bytes)?.to_owned())
    }

    /// The header.
    pub fn header(&self) -> &BlockHeader {
        &self.header
    }

    /// Number of points.
    pub fn point_count(&self) -> usize {
        self.header.point_count as usize
    }

    /// The encoded bytes, header included.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Consumes the block and returns its encoded bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// A borrowed view of this block.
    pub fn view(&self) -> Result<BlockView<'_>> {
        BlockView::parse(&self.bytes)
    }

    /// Decodes all points into fresh vectors.
    pub fn decode(&self) -> Result<(Vec<i64>, Vec<f64>)> {
        let mut timestamps = Vec::new();
        let mut values = Vec::new();
        self.view()?.decode_into(&mut timestamps, &mut values)?;
        Ok((timestamps, values))
    }
}

/// Length of the timestamp payload that follows the header in `bytes`.
fn payload_len(bytes: &[u8]) -> Result<u32> {
    u32::try_from(bytes.len() - BLOCK_HEADER_LEN)
        .map_err(|_| CodecError::InvalidArgument("timestamp payload exceeds 4 GiB"))
}

/// Header room, then both payloads with the adaptive choice: each column's
/// selector appends the payload of the codec it picks.
fn encode_adaptive(
    timestamps: &[i64],
    values: &[f64],
    candidates: Candidates,
    bytes: &mut Vec<u8>,
) -> Result<(CodecId, CodecId, u32)> {
    bytes.resize(BLOCK_HEADER_LEN, 0);
    let ts_id = selector::encode_timestamps_among(timestamps, candidates, bytes)?;
    let ts_len = payload_len(bytes)?;
    let value_id = selector::encode_values_among(values, candidates, bytes)?;
    Ok((ts_id, value_id, ts_len))
}

/// Header room, then both payloads with the given codecs.
fn encode_fixed(
    timestamps: &[i64],
    values: &[f64],
    ts_id: CodecId,
    value_id: CodecId,
    bytes: &mut Vec<u8>,
) -> Result<(CodecId, CodecId, u32)> {
    encode_codecs(
        timestamps,
        values,
        timestamp_codec(ts_id)?,
        value_codec(value_id)?,
        bytes,
    )
}

/// Encodes both columns with the given codecs after room for the header.
fn encode_codecs(
    timestamps: &[i64],
    values: &[f64],
    ts_codec: &dyn TimestampCodec,
    value_codec: &dyn ValueCodec,
    bytes: &mut Vec<u8>,
) -> Result<(CodecId, CodecId, u32)> {
    bytes.reserve(
        BLOCK_HEADER_LEN
            + ts_codec.max_encoded_len(timestamps.len())
            + value_codec.max_encoded_len(values.len()),
    );
    bytes.resize(BLOCK_HEADER_LEN, 0);
    ts_codec.encode(timestamps, bytes)?;
    let ts_len = payload_len(bytes)?;
    value_codec.encode(values, bytes)?;
    Ok((ts_codec.id(), value_codec.id(), ts_len))
}

fn write_header(header: &BlockHeader, ts_len: u32, bytes: &mut [u8]) {
    let fields: [(usize, &[u8]); 6] = [
        (OFF_TS_CODEC, &[header.timestamp_codec.as_u8()]),
        (OFF_VALUE_CODEC, &[header.value_codec.as_u8()]),
        (OFF_COUNT, &header.point_count.to_le_bytes()),
        (OFF_MIN_TS, &header.min_timestamp.to_le_bytes()),
        (OFF_MAX_TS, &header.max_timestamp.to_le_bytes()),
        (OFF_TS_LEN, &ts_len.to_le_bytes()),
    ];
    for (offset, field) in fields {
        if let Some(dest) = bytes.get_mut(offset..offset + field.len()) {
            dest.copy_from_slice(field);
        }
    }
}

impl<'a> BlockView<'a> {
    /// Parses the header of the block that spans all of `bytes` and borrows
    /// its payloads. Payloads are checked when decoded.
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        let timestamp_codec = codec_at(bytes, OFF_TS_CODEC, CodecKind::Timestamp)?;
        let value_codec = codec_at(bytes, OFF_VALUE_CODEC, CodecKind::Value)?;
        let point_count = u32::from_le_bytes(read_array(bytes, OFF_COUNT)?);
        if point_count as usize > MAX_BLOCK_POINTS {
            return Err(CodecError::TooManyPoints {
                count: u64::from(point_count),
                max: MAX_BLOCK_POINTS,
            });
        }
        let min_timestamp = i64::from_le_bytes(read_array(bytes, OFF_MIN_TS)?);
        let max_timestamp = i64::from_le_bytes(read_array(bytes, OFF_MAX_TS)?);
        if min_timestamp > max_timestamp
            || (point_count == 0 && (min_timestamp | max_timestamp) != 0)
        {
            return Err(CodecError::Corrupt {
                what: "min timestamp <= max timestamp",
                offset: OFF_MIN_TS,
            });
        }
        let ts_len = u32::from_le_bytes(read_array(bytes, OFF_TS_LEN)?) as usize;
        let payloads = bytes.get(BLOCK_HEADER_LEN..).unwrap_or_default();
        let (timestamps, values) =
            payloads
                .split_at_checked(ts_len)
                .ok_or_else(|| CodecError::Truncated {
                    offset: BLOCK_HEADER_LEN + payloads.len(),
                    needed: ts_len.saturating_sub(payloads.len()),
                    available: payloads.len(),
                })?;
        let header = BlockHeader {
            timestamp_codec,
            value_codec,
            point_count,
            min_timestamp,
            max_timestamp,
        };
        Ok(Self {
            header,
            timestamps,
            values,
        })
    }

    /// The header.
    pub fn header(&self) -> &BlockHeader {
        &self.header
    }

    /// Number of points.
    pub fn point_count(&self) -> usize {
        self.header.point_count as usize
    }

    /// Decodes the timestamps only, appending to `out`.
    pub fn decode_timestamps(&self, out: &mut Vec<i64>) -> Result<()> {
        let start = out.len();
        let count = self.point_count();
        let codec = timestamp_codec(self.header.timestamp_codec)?;
        let decoded = codec.decode_sorted(self.timestamps, count, out);
        let (consumed, sorted) = decoded.map_err(|e| {
            out.truncate(start);
            rebase(e, BLOCK_HEADER_LEN)
        })?;
        if consumed != self.timestamps.len() {
            out.truncate(start);
            return Err(CodecError::Corrupt {
                what: "timestamp payload length matching its encoding",
                offset: OFF_TS_LEN,
            });
        }
        let decoded = out.get(start..).unwrap_or_default();
        // Known non-decreasing: the ends are the bounds, no pass needed.
        let (min, max) = match (sorted, decoded.first(), decoded.last()) {
            (true, Some(&first), Some(&last)) => (first, last),
            _ => min_max(decoded),
        };
        if out.len() - start != count
            || min != self.header.min_timestamp
            || max != self.header.max_timestamp
        {
            out.truncate(start);
            return Err(CodecError::Corrupt {
                what: "timestamps matching the header's min/max",
                offset: OFF_MIN_TS,
            });
        }
        Ok(())
    }

    /// Decodes the values only, appending to `out`.
    pub fn decode_values(&self, out: &mut Vec<f64>) -> Result<()> {
        let base = BLOCK_HEADER_LEN + self.timestamps.len();
        let start = out.len();
        let consumed = value_codec(self.header.value_codec)?
            .decode(self.values, self.point_count(), out)
            .map_err(|e| {
                out.truncate(start);
                rebase(e, base)
            })?;
        if consumed != self.values.len() {
            out.truncate(start);
            return Err(CodecError::TrailingBytes {
                offset: base + consumed,
                extra: self.values.len() - consumed,
            });
        }
        Ok(())
    }

    /// Decodes all points, appending to `timestamps` and `values`. On error
    /// both vectors are left as they were.
    pub fn decode_into(&self, timestamps: &mut Vec<i64>, values: &mut Vec<f64>) -> Result<()> {
        let ts_start = timestamps.len();
        self.decode_timestamps(timestamps)?;
        if let Err(e) = self.decode_values(values) {
            timestamps.truncate(ts_start);
            return Err(e);
        }
        Ok(())
    }

    /// Copies the block into an owned [`CompressedBlock`].
    pub fn to_owned(&self) -> CompressedBlock {
        let mut bytes = vec![0u8; BLOCK_HEADER_LEN];
        bytes.extend_from_slice(self.timestamps);
        bytes.extend_from_slice(self.values);
        write_header(&self.header, self.timestamps.len() as u32, &mut bytes);
        CompressedBlock {
            header: self.header,
            bytes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The four-lane bounds are the bounds, wherever the extremes are
        /// (in a lane, in the remainder, first) and for every length.
        #[test]
        fn min_max_is_the_smallest_and_largest(
            ts in prop::collection::vec(
                prop_oneof![any::<i64>(), Just(i64::MIN), Just(i64::MAX), -3i64..3],
                0..40,
            ),
        ) {
            let expected = match (ts.iter().min(), ts.iter().max()) {
                (Some(&low), Some(&high)) => (low, high),
                _ => (0, 0),
            };
            prop_assert_eq!(min_max(&ts), expected);
        }
    }

    #[test]
    fn raw_block_round_trips_and_reports_its_header() {
        let ts = [5, -3, i64::MAX, i64::MIN];
        let vs = [f64::NAN, -0.0, f64::INFINITY, 1e-310];
        let block = CompressedBlock::encode_with(&ts, &vs, CodecChoice::RAW).unwrap();
        assert_eq!(block.header().min_timestamp, i64::MIN);
        assert_eq!(block.header().max_timestamp, i64::MAX);
        let (t2, v2) = CompressedBlock::from_bytes(block.as_bytes())
            .unwrap()
            .decode()
            .unwrap();
        assert_eq!(t2, ts);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&v2), bits(&vs));
    }

    #[test]
    fn header_bounds_are_checked_on_sorted_and_unsorted_blocks() {
        // Every timestamp codec whose decoder may report a sorted column.
        for timestamps in [
            CodecId::DeltaPackTimestamps,
            CodecId::StepTimestamps,
            CodecId::GorillaTimestamps,
        ] {
            let choice = CodecChoice::Fixed {
                timestamps,
                values: CodecId::RawValues,
            };
            header_bounds_are_checked(choice);
        }
    }

    fn header_bounds_are_checked(choice: CodecChoice) {
        let sorted: Vec<i64> = (0..300).map(|i| 1_000_000 + i * 10).collect();
        // The smallest and largest timestamps in the middle: a wrong
        // "sorted" shortcut would reject this valid block.
        let mut unsorted = sorted.clone();
        unsorted[150] = 0;
        unsorted[151] = i64::MAX / 2;
        for ts in [sorted, unsorted] {
            let vs = vec![1.0; ts.len()];
            let block = CompressedBlock::encode_with(&ts, &vs, choice).unwrap();
            assert_eq!(block.decode().unwrap().0, ts);
            for (offset, delta) in [(OFF_MIN_TS, -1i64), (OFF_MAX_TS, 1)] {
                let mut bytes = block.as_bytes().to_vec();
                let field: [u8; 8] = bytes[offset..offset + 8].try_into().unwrap();
                let moved = i64::from_le_bytes(field) + delta;
                bytes[offset..offset + 8].copy_from_slice(&moved.to_le_bytes());
                let err = BlockView::parse(&bytes)
                    .unwrap()
                    .decode_into(&mut Vec::new(), &mut Vec::new())
                    .unwrap_err();
                assert!(
                    matches!(
                        err,
                        CodecError::Corrupt {
                            offset: OFF_MIN_TS,
                            ..
                        }
                    ),
                    "{err:?}"
                );
            }
        }
    }

    #[test]
    fn mismatched_lengths_are_refused() {
        assert!(matches!(
            CompressedBlock::encode(&[1, 2], &[1.0]),
            Err(CodecError::InvalidArgument(_))
        ));
    }
}
