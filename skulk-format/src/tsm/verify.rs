//! `TsmReader::verify`: every check the format defines.

use super::block::{BlockRef, decode_record, parse_record};
use super::cursor::{check_crc, crc32};
use super::footer::{FOOTER_LEN, TsmFooter};
use super::header::HEADER_LEN;
use crate::{FormatError, Result};

/// What [`crate::TsmReader::verify`] checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VerifyReport {
    /// Series checked.
    pub series: u64,
    /// Blocks whose CRC, decoding and index entry were checked.
    pub blocks: u64,
    /// Points decoded.
    pub points: u64,
    /// Bytes of codec payload (timestamp and value payloads, without any
    /// header or framing) in all blocks.
    pub payload_bytes: u64,
    /// Bytes covered by the whole-file CRC.
    pub file_crc_bytes: u64,
}

pub(crate) fn verify(
    bytes: &[u8],
    footer: &TsmFooter,
    series: usize,
    all_blocks: &[BlockRef],
) -> Result<VerifyReport> {
    let covered = bytes
        .get(..bytes.len().saturating_sub(FOOTER_LEN))
        .unwrap_or_default();
    check_crc("whole file", 0, footer.file_crc, crc32(covered))?;
    let mut report = VerifyReport {
        series: series as u64,
        file_crc_bytes: covered.len() as u64,
        ..VerifyReport::default()
    };
    // Inline blocks (one point each, in the index) have no record: their
    // bytes were checked with the index, and they tile nothing.
    let (inline, mut blocks): (Vec<&BlockRef>, Vec<&BlockRef>) =
        all_blocks.iter().partition(|block| block.is_inline());
    for block in inline {
        report.blocks += 1;
        report.points += u64::from(block.point_count);
        report.payload_bytes += block.payload_len() as u64;
    }
    let (mut timestamps, mut values) = (Vec::new(), Vec::new());
    for block in &blocks {
        timestamps.clear();
        values.clear();
        let view = parse_record(bytes, block)?;
        decode_record(&view, block.offset, &mut timestamps, &mut values)?;
        report.blocks += 1;
        report.points += timestamps.len() as u64;
        report.payload_bytes += block.payload_len() as u64;
    }
    blocks.sort_unstable_by_key(|block| block.offset);
    let mut expected = HEADER_LEN as u64;
    for block in blocks {
        if block.offset != expected {
            return Err(FormatError::corrupt(
                "block records tiling the data section",
                expected,
            ));
        }
        expected = block.end().unwrap_or(u64::MAX);
    }
    if expected != footer.data_end() {
        return Err(FormatError::corrupt(
            "block records tiling the data section",
            expected,
        ));
    }
    Ok(report)
}
