//! The one error type of this crate.

use std::path::PathBuf;

/// Everything that can go wrong building the data model or reading and
/// writing TSM files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// An argument that cannot be represented (e.g. a time range whose start
    /// is after its end).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// An I/O error on `path`.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = FormatError> = std::result::Result<T, E>;
