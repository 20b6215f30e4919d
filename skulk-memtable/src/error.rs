//! The one error type of this crate.

use std::path::PathBuf;

use skulk_codec::CodecError;
use skulk_format::{FormatError, SeriesId, Timestamp};

/// Everything that can go wrong inserting into, reading or flushing a memtable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MemtableError {
    /// A point whose timestamp lies outside the memtable's partition; route
    /// it to the memtable of the partition that contains it.
    #[error(
        "timestamp {timestamp} lies outside partition [{partition_start}, {partition_end}); \
         route the point to the partition that contains it"
    )]
    OutOfPartition {
        /// The point's timestamp.
        timestamp: Timestamp,
        /// Inclusive start of the memtable's partition.
        partition_start: Timestamp,
        /// Exclusive end of the memtable's partition (`i64::MAX`: unbounded).
        partition_end: Timestamp,
    },
    /// Two different series hash to the same id. Nothing was inserted; rename
    /// one of the series (e.g. add a label).
    #[error(
        "series {new} has the same id {id} as the stored series {existing}; nothing was inserted"
    )]
    SeriesIdCollision {
        /// The shared id.
        id: SeriesId,
        /// The series already stored.
        existing: String,
        /// The series of the refused point.
        new: String,
    },
    /// An argument that cannot be used (e.g. a point whose `series_id` is
    /// not the id of its `series`, or options out of range).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The write-ahead log refused the points; nothing was applied.
    #[error("write-ahead log append failed, nothing was applied: {0}")]
    Log(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// An I/O error on `path` (e.g. creating the flush directory).
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Writing or reading a TSM file failed.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// Encoding or decoding an in-memory chunk failed.
    #[error(transparent)]
    Codec(#[from] CodecError),
}

/// Shorthand for results of this crate.
pub type Result<T, E = MemtableError> = std::result::Result<T, E>;
