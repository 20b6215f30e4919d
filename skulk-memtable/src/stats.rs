//! `MemTableStats`: what an engine needs to know about a memtable.

use skulk_format::{TimePartition, Timestamp};

/// A summary of a memtable, cheap to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemTableStats {
    /// The partition the memtable covers.
    pub partition: TimePartition,
    /// Series held.
    pub series_count: usize,
    /// Distinct (series, timestamp) points held.
    pub point_count: u64,
    /// Points written, overwrites included.
    pub writes: u64,
    /// Smallest timestamp written, if any.
    pub min_timestamp: Option<Timestamp>,
    /// Largest timestamp written, if any.
    pub max_timestamp: Option<Timestamp>,
    /// Heap bytes held, see [`crate::TimeSeriesMemTable::memory_usage`].
    pub memory_bytes: usize,
    /// Lowest log sequence number applied, if any.
    pub min_lsn: Option<u64>,
    /// Highest log sequence number applied, if any.
    pub max_lsn: Option<u64>,
}
