//! `TsmStats` and `TsmHandle`: what a finished file holds.

use std::path::PathBuf;

use super::block::BlockRef;
use super::footer::TsmFooter;
use crate::Timestamp;

/// Summary of a TSM file, derived from its index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TsmStats {
    /// Number of series.
    pub series_count: u64,
    /// Number of blocks.
    pub block_count: u64,
    /// Number of points.
    pub total_point_count: u64,
    /// Smallest timestamp (0 without points).
    pub min_timestamp: Timestamp,
    /// Largest timestamp (0 without points).
    pub max_timestamp: Timestamp,
    /// File size in bytes.
    pub file_size: u64,
}

impl TsmStats {
    /// Statistics of a file of `file_size` bytes holding `series` series
    /// and `blocks`.
    pub(crate) fn of<'a>(
        series: usize,
        blocks: impl Iterator<Item = &'a BlockRef>,
        file_size: u64,
    ) -> Self {
        let mut stats = Self {
            series_count: series as u64,
            block_count: 0,
            total_point_count: 0,
            min_timestamp: i64::MAX,
            max_timestamp: i64::MIN,
            file_size,
        };
        for block in blocks {
            stats.block_count += 1;
            stats.total_point_count += u64::from(block.point_count);
            stats.min_timestamp = stats.min_timestamp.min(block.min_ts);
            stats.max_timestamp = stats.max_timestamp.max(block.max_ts);
        }
        if stats.block_count == 0 {
            (stats.min_timestamp, stats.max_timestamp) = (0, 0);
        }
        stats
    }
}

/// A published TSM file, returned by [`crate::TsmWriter::finish`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TsmHandle {
    /// Where the file was published.
    pub path: PathBuf,
    /// The file's footer.
    pub footer: TsmFooter,
    /// What the file holds.
    pub stats: TsmStats,
}
