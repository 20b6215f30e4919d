//! Block records in the data section and the index entries that point at
//! them, see `FORMAT.md`, "Data section: block records" and "Block entry".

use skulk_codec::{BlockView, CompressedBlock, MAX_BLOCK_POINTS};

use super::cursor::{Cursor, check_crc};
use crate::{FormatError, Result, SeriesId, Timestamp};

/// Bytes a record adds around its compressed block: series id, block
/// length and CRC.
pub const RECORD_FRAMING_LEN: usize = OFF_BLOCK + 4;
/// Encoded size of a block entry in a version-1 index.
pub const BLOCK_ENTRY_LEN: usize = 32;
/// Bytes of an inline block's value in a version-2 index.
pub(crate) const INLINE_VALUE_LEN: usize = 8;

const OFF_BLOCK_LEN: usize = 8;
const OFF_BLOCK: usize = OFF_BLOCK_LEN + 4;

/// Where one block of a series lies and what it holds, as recorded in the
/// index. Obtained from [`crate::TsmReader::blocks`]; read with
/// [`crate::TsmReader::read_block`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlockRef {
    /// The series the block belongs to.
    pub series: SeriesId,
    /// File offset of the block record; for an inline block, of its
    /// value's 8 bytes in the series index.
    pub offset: u64,
    /// Length of the block record, framing included; 0 for a block of one
    /// point stored inline in a version-2 series index (no record).
    pub len: u32,
    /// Smallest timestamp in the block.
    pub min_ts: Timestamp,
    /// Largest timestamp in the block.
    pub max_ts: Timestamp,
    /// Number of points in the block.
    pub point_count: u32,
}

impl BlockRef {
    /// Appends the index entry (`FORMAT.md`, "Block entry").
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.offset.to_le_bytes());
        out.extend_from_slice(&self.len.to_le_bytes());
        out.extend_from_slice(&self.point_count.to_le_bytes());
        out.extend_from_slice(&self.min_ts.to_le_bytes());
        out.extend_from_slice(&self.max_ts.to_le_bytes());
    }

    /// Decodes an index entry of `series`; `data_end` is the end of the
    /// data section, which the record must lie within.
    pub(crate) fn decode(cursor: &mut Cursor<'_>, series: SeriesId, data_end: u64) -> Result<Self> {
        let at = cursor.offset();
        let block = Self {
            series,
            offset: cursor.u64("block offset")?,
            len: cursor.u32("block length")?,
            point_count: cursor.u32("block point count")?,
            min_ts: cursor.i64("block min timestamp")?,
            max_ts: cursor.i64("block max timestamp")?,
        };
        block.check(at, data_end)?;
        Ok(block)
    }

    /// Checks an index entry decoded at file offset `at`: its record lies
    /// within the data section, which ends at `data_end`, and it holds
    /// 1..=MAX_BLOCK_POINTS points with min <= max timestamp.
    pub(crate) fn check(&self, at: u64, data_end: u64) -> Result<()> {
        if self.offset < super::header::HEADER_LEN as u64
            || (self.len as usize) < RECORD_FRAMING_LEN
            || self.end().is_none_or(|end| end > data_end)
        {
            return Err(FormatError::corrupt(
                "block record within the data section",
                at,
            ));
        }
        let count = self.point_count as usize;
        if !(1..=MAX_BLOCK_POINTS).contains(&count) || self.min_ts > self.max_ts {
            let what = "block of 1..=MAX_BLOCK_POINTS points with min <= max timestamp";
            return Err(FormatError::corrupt(what, at));
        }
        Ok(())
    }

    /// File offset just past the record (`None` on overflow).
    pub(crate) fn end(&self) -> Option<u64> {
        self.offset.checked_add(u64::from(self.len))
    }

    /// Bytes of codec payload (timestamps and values) in the block; 8 for
    /// an inline block (its value's bits).
    pub fn payload_len(&self) -> usize {
        if self.is_inline() {
            return INLINE_VALUE_LEN;
        }
        (self.len as usize).saturating_sub(RECORD_FRAMING_LEN + skulk_codec::BLOCK_HEADER_LEN)
    }

    /// True for a block of one point stored inline in a version-2 series
    /// index: its timestamp is `min_ts`, its value the 8 bytes at `offset`.
    pub fn is_inline(&self) -> bool {
        self.len == 0
    }
}

/// The CRC of a record at file offset `offset` whose bytes before the CRC
/// are `covered`.
fn record_crc(offset: u64, covered: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&offset.to_le_bytes());
    hasher.update(covered);
    hasher.finalize()
}

/// Appends the record of `block` of `series`, to be stored at file offset
/// `offset`; returns the record length.
pub(crate) fn encode_record(
    series: SeriesId,
    block: &CompressedBlock,
    offset: u64,
    out: &mut Vec<u8>,
) -> Result<u32> {
    let bytes = block.as_bytes();
    let too_big = || FormatError::InvalidArgument("compressed block exceeds 4 GiB".into());
    let block_len = u32::try_from(bytes.len()).map_err(|_| too_big())?;
    let record_len = u32::try_from(bytes.len() + RECORD_FRAMING_LEN).map_err(|_| too_big())?;
    let start = out.len();
    out.extend_from_slice(&series.0.to_le_bytes());
    out.extend_from_slice(&block_len.to_le_bytes());
    out.extend_from_slice(bytes);
    let crc = record_crc(offset, out.get(start..).unwrap_or_default());
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(record_len)
}

/// Checks the record that `block` points at in `file` (CRC, series id,
/// length) and parses its compressed block, whose header must match the
/// entry.
pub(crate) fn parse_record<'a>(file: &'a [u8], block: &BlockRef) -> Result<BlockView<'a>> {
    let at = block.offset;
    let record = block
        .end()
        .and_then(|end| file.get(usize::try_from(at).ok()?..usize::try_from(end).ok()?))
        .filter(|record| record.len() >= RECORD_FRAMING_LEN)
        .ok_or(FormatError::corrupt("block record within the file", at))?;
    let (covered, crc) = record.split_at(record.len() - 4);
    let mut crc_cursor = Cursor::new(crc, at + covered.len() as u64);
    check_crc(
        "block record",
        at,
        crc_cursor.u32("block CRC")?,
        record_crc(at, covered),
    )?;
    let mut cursor = Cursor::new(covered, at);
    if cursor.u64("block series id")? != block.series.0 {
        return Err(FormatError::corrupt("block of the indexed series", at));
    }
    let block_len = cursor.u32("block length")? as usize;
    if block_len != cursor.remaining() {
        return Err(FormatError::corrupt(
            "block length matching the index",
            at + 8,
        ));
    }
    let block_at = cursor.offset();
    let view = BlockView::parse(cursor.take(block_len, "compressed block")?).map_err(|source| {
        FormatError::Codec {
            file: None,
            offset: block_at,
            source,
        }
    })?;
    let header = view.header();
    if header.point_count != block.point_count
        || header.min_timestamp != block.min_ts
        || header.max_timestamp != block.max_ts
    {
        return Err(FormatError::corrupt(
            "block header matching the index",
            block_at,
        ));
    }
    Ok(view)
}

/// Decodes a parsed record into the vectors, appending; checks that the
/// timestamps are strictly increasing. On error the vectors are unchanged.
pub(crate) fn decode_record(
    view: &BlockView<'_>,
    at: u64,
    timestamps: &mut Vec<i64>,
    values: &mut Vec<f64>,
) -> Result<()> {
    let (ts_start, value_start) = (timestamps.len(), values.len());
    view.decode_into(timestamps, values)
        .map_err(|source| FormatError::Codec {
            file: None,
            offset: at,
            source,
        })?;
    let decoded = timestamps.get(ts_start..).unwrap_or_default();
    if decoded.windows(2).any(|pair| pair.first() >= pair.get(1)) {
        timestamps.truncate(ts_start);
        values.truncate(value_start);
        return Err(FormatError::corrupt(
            "strictly increasing timestamps in the block",
            at,
        ));
    }
    Ok(())
}

/// Decodes only the values of a parsed record, appending (for a reader
/// that needs no timestamps: they are neither decoded nor checked). On
/// error the vector is unchanged.
pub(crate) fn decode_record_values(
    view: &BlockView<'_>,
    at: u64,
    values: &mut Vec<f64>,
) -> Result<()> {
    let start = values.len();
    view.decode_values(values).map_err(|source| {
        values.truncate(start);
        FormatError::Codec {
            file: None,
            offset: at,
            source,
        }
    })
}

#[cfg(test)]
mod tests {
    use skulk_codec::CodecChoice;

    use super::*;

    const AT: u64 = 1000;

    fn record() -> (Vec<u8>, BlockRef) {
        let block =
            CompressedBlock::encode_with(&[1, 2, 5], &[0.5, -0.0, 7.0], CodecChoice::RAW).unwrap();
        let mut file = vec![0u8; AT as usize];
        let series = SeriesId(0xabcd);
        let len = encode_record(series, &block, AT, &mut file).unwrap();
        let block = BlockRef {
            series,
            offset: AT,
            len,
            min_ts: 1,
            max_ts: 5,
            point_count: 3,
        };
        (file, block)
    }

    #[test]
    fn records_round_trip() {
        let (file, block) = record();
        assert_eq!(file.len() as u64, AT + u64::from(block.len));
        assert_eq!(block.payload_len(), 48);
        let view = parse_record(&file, &block).unwrap();
        let (mut ts, mut vs) = (vec![9], vec![9.0]);
        decode_record(&view, AT, &mut ts, &mut vs).unwrap();
        assert_eq!(ts, [9, 1, 2, 5]);
        assert_eq!(vs[2].to_bits(), (-0.0f64).to_bits());
    }

    #[test]
    fn every_byte_flip_is_a_checksum_mismatch() {
        let (file, block) = record();
        for i in AT as usize..file.len() {
            let mut bad = file.clone();
            bad[i] ^= 0x04;
            let err = parse_record(&bad, &block).unwrap_err();
            assert!(
                matches!(err, FormatError::ChecksumMismatch { offset: AT, .. }),
                "{i}: {err}"
            );
        }
    }

    #[test]
    fn entries_round_trip_and_are_checked() {
        let (file, block) = record();
        let mut bytes = Vec::new();
        block.encode(&mut bytes);
        assert_eq!(bytes.len(), BLOCK_ENTRY_LEN);
        let data_end = file.len() as u64;
        let decode =
            |bytes: &[u8], end| BlockRef::decode(&mut Cursor::new(bytes, 0), block.series, end);
        assert_eq!(decode(&bytes, data_end).unwrap(), block);
        assert!(
            decode(&bytes, data_end - 1).is_err(),
            "record beyond the data section"
        );
        for (range, value) in [(12..16, 0u64), (16..24, 6), (0..8, 0)] {
            let mut bad = bytes.clone();
            bad[range.clone()].copy_from_slice(&value.to_le_bytes()[..range.len()]);
            assert!(matches!(
                decode(&bad, data_end),
                Err(FormatError::Corrupt { .. })
            ));
        }
        for len in 0..BLOCK_ENTRY_LEN {
            assert!(matches!(
                decode(&bytes[..len], data_end),
                Err(FormatError::Truncated { .. })
            ));
        }
    }
}
