//! The one error type of this crate.

use std::path::PathBuf;

use skulk_format::{SeriesId, SeriesMeta};

use crate::Lsn;

/// Everything that can go wrong writing, recovering or repairing the log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WalError {
    /// An I/O error on `path` (a segment file or the log directory).
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Damaged bytes before the tail of the log. Nothing was changed on
    /// disk; [`crate::repair`] can cut the log at `offset` (after copying
    /// the originals aside).
    #[error(
        "corrupt WAL segment {segment} at byte {offset}: {what}; run repair to cut the log there"
    )]
    Corrupt {
        /// The segment file.
        segment: PathBuf,
        /// Byte offset of the damaged record or field in that file.
        offset: u64,
        /// What was wrong.
        what: &'static str,
    },
    /// A segment written by a newer format version.
    #[error(
        "WAL segment {segment} has format version {found}; this build reads version {supported}"
    )]
    UnsupportedVersion {
        /// The segment file.
        segment: PathBuf,
        /// The version byte found.
        found: u8,
        /// The newest version this build reads.
        supported: u8,
    },
    /// The segment observer (see [`crate::SegmentObserver`]) could not
    /// record a new segment; the log refuses writes until it is reopened.
    #[error("recording WAL segment {first_lsn} failed: {source}")]
    Observer {
        /// The first LSN of the new segment.
        first_lsn: u64,
        /// What the observer reported.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A previous write or sync failed: the log refuses writes until it is
    /// reopened, which replays what really is on disk. Keeps the kind of
    /// the first failure ([`WalError::io_kind`]).
    #[error(
        "the WAL is failed after an earlier error ({cause}) and refuses writes; reopen it to recover"
    )]
    Poisoned {
        /// The first failure, as text.
        cause: String,
        /// Its I/O error kind, when it was an I/O error.
        kind: Option<std::io::ErrorKind>,
    },
    /// Two different series hash to the same id. The point was not logged.
    #[error("series id collision on {id}: {existing} and {new} hash to the same id")]
    SeriesCollision {
        /// The shared id.
        id: SeriesId,
        /// The series the log already knows.
        existing: Box<SeriesMeta>,
        /// The series that was refused.
        new: Box<SeriesMeta>,
    },
    /// A Points record names a series that no earlier record defines.
    #[error("record {lsn} refers to series {series}, which no earlier record defines")]
    UnknownSeries {
        /// The record.
        lsn: Lsn,
        /// The undefined series.
        series: SeriesId,
    },
    /// Another open log (in this or another process) holds the directory's
    /// lock file.
    #[error("WAL directory {path} is in use by another process (its LOCK file is held)")]
    DirectoryInUse {
        /// The log directory.
        path: PathBuf,
    },
    /// A configuration value outside the range it may take.
    #[error("{key} = {value} is out of range: it must be {range}")]
    OutOfRange {
        /// The setting.
        key: &'static str,
        /// The value given.
        value: String,
        /// What it may be.
        range: String,
    },
    /// An argument that cannot be used (a bad configuration, an oversized
    /// record).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

/// Shorthand for results of this crate.
pub type Result<T, E = WalError> = std::result::Result<T, E>;

impl WalError {
    /// The kind of the I/O error behind this one, also after the log was
    /// poisoned by it: tells a full disk from a failing one or a missing
    /// permission.
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        match self {
            Self::Io { source, .. } => Some(source.kind()),
            Self::Poisoned { kind, .. } => *kind,
            Self::Observer { source, .. } => source
                .downcast_ref::<std::io::Error>()
                .map(std::io::Error::kind),
            _ => None,
        }
    }

    /// The error later calls get once this one poisoned the log.
    pub(crate) fn poisoned(&self) -> Self {
        match self {
            Self::Poisoned { cause, kind } => Self::Poisoned {
                cause: cause.clone(),
                kind: *kind,
            },
            other => Self::Poisoned {
                cause: other.to_string(),
                kind: other.io_kind(),
            },
        }
    }

    /// Wraps an I/O error with the path it happened on.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
