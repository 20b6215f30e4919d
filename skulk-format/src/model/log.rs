//! `PointLog`: the seam between a memtable and the write-ahead log.
//!
//! Defined here, at the bottom of the crate graph, so that the memtable can
//! log through the WAL without depending on it.

use crate::DataPoint;

/// A log that makes points durable before they are applied anywhere else.
pub trait PointLog {
    /// The log's error type.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Logs `points` as one record and returns once the record is durable
    /// under the log's sync mode, with the record's sequence number (LSN).
    /// On error nothing may be considered logged.
    fn log_points(&mut self, points: &[DataPoint]) -> Result<u64, Self::Error>;
}
