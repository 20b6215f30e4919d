//! The crate's error type.

use std::path::PathBuf;

/// What went wrong while turning Skulk data into Arrow or Parquet.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The engine refused or failed a read.
    #[error(transparent)]
    Engine(#[from] skulk_engine::EngineError),
    /// Arrow refused an array or a batch (a bug if it ever happens: the
    /// crate builds them to the schema it declares).
    #[error("arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// The Parquet writer failed on a file.
    #[error("parquet file {path}: {source}")]
    Parquet {
        /// The file being written.
        path: PathBuf,
        /// The writer's error.
        source: parquet::errors::ParquetError,
    },
    /// A file system call failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error, with its kind.
        source: std::io::Error,
    },
    /// The export's threads could not be started.
    #[error("starting the export's threads: {0}")]
    Threads(String),
    /// A request the crate cannot serve: a projection past the schema's
    /// columns, an export into a directory that already holds files.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

/// This crate's `Result`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Wraps an I/O error with the path it concerns.
pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, source }
}
