//! `TsmStats` and `TsmHandle`: what a finished file holds.

use std::path::PathBuf;

use super::footer::TsmFooter;
use super::index::SeriesEntry;
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
    /// Statistics of the index `entries` of a file of `file_size` bytes.
    pub(crate) fn of(entries: &[SeriesEntry], file_size: u64) -> Self {
        let blocks = entries.iter().flat_map(|entry| entry.blocks.iter());
        let min = blocks.clone().map(|b| b.min_ts).min();
        let max = blocks.clone().map(|b| b.max_ts).max();
        Self {
            series_count: entries.len() as u64,
            block_count: blocks.clone().count() as u64,
            total_point_count: blocks.map(|b| u64::from(b.point_count)).sum(),
            min_timestamp: min.unwrap_or(0),
            max_timestamp: max.unwrap_or(0),
            file_size,
        }
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
