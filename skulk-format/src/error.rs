//! The one error type of this crate.

use std::path::{Path, PathBuf};

use skulk_codec::CodecError;

/// Everything that can go wrong building the data model or reading and
/// writing TSM files.
///
/// Errors about a file's bytes name the file (when the reader was given a
/// name, see [`crate::TsmReader::open_named`]) and the byte offset in the
/// file where the problem was found.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// An argument that cannot be represented (e.g. a time range whose start
    /// is after its end, or points out of timestamp order).
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
    /// The file is structurally invalid: `what` was expected at `offset`.
    /// The file is damaged; restore it from a replica or backup.
    #[error("corrupt TSM file {}: expected {what} at byte {offset}", shown(.file))]
    Corrupt {
        /// The file, when known.
        file: Option<PathBuf>,
        /// What was expected there.
        what: &'static str,
        /// Byte offset in the file.
        offset: u64,
    },
    /// The file ends (or a section ends) before `what` was complete.
    #[error(
        "truncated TSM file {}: {what} at byte {offset} needs {needed} bytes, {available} available",
        shown(.file)
    )]
    Truncated {
        /// The file, when known.
        file: Option<PathBuf>,
        /// What was being read.
        what: &'static str,
        /// Byte offset in the file where it starts.
        offset: u64,
        /// Bytes it needs.
        needed: u64,
        /// Bytes there are.
        available: u64,
    },
    /// A stored CRC32 does not match the bytes it covers.
    #[error(
        "checksum mismatch in TSM file {}: {what} at byte {offset} has CRC32 {actual:#010x}, \
         stored {expected:#010x}; the file is damaged",
        shown(.file)
    )]
    ChecksumMismatch {
        /// The file, when known.
        file: Option<PathBuf>,
        /// The section or record covered.
        what: &'static str,
        /// Byte offset of the covered bytes.
        offset: u64,
        /// The CRC stored in the file.
        expected: u32,
        /// The CRC of the bytes.
        actual: u32,
    },
    /// The file was written in a format version this build does not know;
    /// read it with a newer build.
    #[error(
        "TSM file {} has format version {found}; this build reads versions up to {supported}",
        shown(.file)
    )]
    UnsupportedVersion {
        /// The file, when known.
        file: Option<PathBuf>,
        /// The version byte found.
        found: u8,
        /// The newest version this build reads.
        supported: u8,
    },
    /// A block at `offset` failed to encode or decode.
    #[error("block at byte {offset} of TSM file {}: {source}", shown(.file))]
    Codec {
        /// The file, when known.
        file: Option<PathBuf>,
        /// Byte offset of the block record.
        offset: u64,
        /// The codec's error.
        #[source]
        source: CodecError,
    },
    /// An earlier write of this writer failed; the file cannot be completed.
    /// Drop the writer (which removes its temporary file) and start again.
    #[error("TSM writer for {path} failed earlier and cannot continue")]
    Poisoned {
        /// The file being written.
        path: PathBuf,
    },
}

fn shown(file: &Option<PathBuf>) -> String {
    match file {
        Some(path) => path.display().to_string(),
        None => "<buffer>".to_owned(),
    }
}

impl FormatError {
    /// Names `file` in the error if it does not name one yet.
    pub fn with_file(mut self, name: Option<&Path>) -> Self {
        let Some(name) = name else { return self };
        match &mut self {
            FormatError::Corrupt { file, .. }
            | FormatError::Truncated { file, .. }
            | FormatError::ChecksumMismatch { file, .. }
            | FormatError::UnsupportedVersion { file, .. }
            | FormatError::Codec { file, .. }
                if file.is_none() =>
            {
                *file = Some(name.to_path_buf());
            }
            _ => {}
        }
        self
    }

    /// A [`FormatError::Corrupt`] without a file name.
    pub(crate) fn corrupt(what: &'static str, offset: u64) -> Self {
        FormatError::Corrupt {
            file: None,
            what,
            offset,
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = FormatError> = std::result::Result<T, E>;
