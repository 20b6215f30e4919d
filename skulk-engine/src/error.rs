//! The one error type of this crate.

use std::path::PathBuf;

/// Everything that can go wrong opening, writing, querying or maintaining an
/// engine. Lower crates' errors are wrapped unchanged (see `source()`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// An I/O error on `path`.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file of the data directory holds bytes that cannot be valid.
    #[error(
        "corrupt {what} in {path} at offset {offset}; restore the file from a backup or move it aside"
    )]
    Corrupt {
        /// What was being read.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Byte offset of the bad data.
        offset: u64,
    },
    /// A file was written by a newer version of Skulk.
    #[error(
        "{path} has format version {found}, this build supports up to {supported}; upgrade Skulk"
    )]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// Version found.
        found: u32,
        /// Newest version this build reads.
        supported: u32,
    },
    /// The configuration text is not valid (unknown key, wrong type, bad value).
    #[error("invalid configuration: {0}")]
    Config(#[from] Box<toml::de::Error>),
    /// Another open engine (in this or another process) holds the data
    /// directory's `LOCK` file.
    #[error("data directory {path} is in use by another process (its LOCK file is held)")]
    DirectoryInUse {
        /// The data directory.
        path: PathBuf,
    },
    /// A file the manifest lists is gone: the points it held are lost
    /// unless it is restored (from a backup). `skulk repair --accept-loss`
    /// records the loss and lets the directory open without it.
    #[error(
        "{path} is missing: the manifest lists it as holding {holds}; restore it, or accept the loss with `skulk repair --accept-loss`"
    )]
    MissingFile {
        /// The file.
        path: PathBuf,
        /// What it held, as far as the manifest knows.
        holds: String,
    },
    /// A file the manifest lists is not the file that was written (another
    /// size or checksum).
    #[error("{path} changed since it was written: {what}; restore it from a backup")]
    FileChanged {
        /// The file.
        path: PathBuf,
        /// How it differs.
        what: String,
    },
    /// The configuration names another value of a setting that a data
    /// directory keeps for good.
    #[error(
        "{setting} is {stored} in this data directory, the configuration says {configured}; leave it out of the configuration or set it to {stored}"
    )]
    SettingMismatch {
        /// The setting.
        setting: &'static str,
        /// What the directory's manifest records.
        stored: String,
        /// What the configuration asked for.
        configured: String,
    },
    /// The engine was opened read-only ([`crate::Engine::open_read_only`]):
    /// it does not write, flush, compact or apply retention.
    #[error("the engine is open read-only; open it with Engine::open to write")]
    ReadOnly,
    /// A selector, matcher or series key in text form that cannot be read
    /// (see `SeriesSelector::parse`).
    #[error("invalid {what} {input:?}: {reason}")]
    InvalidSelector {
        /// What was read: `selector`, `matcher` or `series key`.
        what: &'static str,
        /// The text.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A configuration value outside the range it may take.
    #[error("{key} = {value} is out of range: it must be {range}")]
    OutOfRange {
        /// The setting, as written in TOML (`wal.batch_size`).
        key: String,
        /// The value given.
        value: String,
        /// What it may be.
        range: String,
    },
    /// An argument or configuration value that cannot be used.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A durability failure happened earlier (a failed sync or write of the
    /// WAL, a TSM file, the manifest or a folder, during a write, flush,
    /// compaction or retention); the engine is read-only until it is
    /// reopened (recovery then replays what is really on disk). The first
    /// failure keeps its I/O error kind and path ([`EngineError::io_kind`]).
    #[error("engine is read-only after an earlier durability failure ({0}); reopen it")]
    Failed(Failure),
    /// The write-ahead log failed.
    #[error(transparent)]
    Wal(#[from] skulk_wal::WalError),
    /// Reading or writing a TSM file or the data model failed.
    #[error(transparent)]
    Format(#[from] skulk_format::FormatError),
    /// A memtable refused points.
    #[error(transparent)]
    Memtable(#[from] skulk_memtable::MemtableError),
    /// Encoding or decoding a block failed.
    #[error(transparent)]
    Codec(#[from] skulk_codec::CodecError),
}

/// The first failure that put an engine in the failed state (or the last
/// error of its background maintenance), kept with its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What failed and why, as one line.
    pub message: String,
    /// The kind of the I/O error behind it, if it was one: tells a full
    /// disk (`StorageFull`) from a failing one or a missing permission.
    pub kind: Option<std::io::ErrorKind>,
    /// The file or folder it happened on, when known.
    pub path: Option<PathBuf>,
}

impl Failure {
    /// `what` failed with `error`.
    pub(crate) fn new(what: &str, error: &EngineError) -> Self {
        Self {
            message: format!("{what} failed: {error}"),
            kind: error.io_kind(),
            path: error.path().map(PathBuf::from),
        }
    }

    /// A failure without an error behind it.
    pub(crate) fn plain(message: String) -> Self {
        Self {
            message,
            kind: None,
            path: None,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl EngineError {
    /// The kind of the I/O error behind this error, if any: also for the
    /// errors of an engine (or WAL) that an I/O error put in the failed
    /// state, so that a full disk stays distinguishable from EIO or a
    /// permission error on every later call.
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        match self {
            Self::Io { source, .. } => Some(source.kind()),
            Self::Wal(e) => e.io_kind(),
            Self::Format(skulk_format::FormatError::Io { source, .. }) => Some(source.kind()),
            Self::Failed(failure) => failure.kind,
            _ => None,
        }
    }

    /// The file or folder the error happened on, when it names one.
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            Self::Io { path, .. }
            | Self::Corrupt { path, .. }
            | Self::UnsupportedVersion { path, .. }
            | Self::MissingFile { path, .. }
            | Self::FileChanged { path, .. }
            | Self::DirectoryInUse { path }
            | Self::Wal(skulk_wal::WalError::Io { path, .. })
            | Self::Format(skulk_format::FormatError::Io { path, .. }) => Some(path),
            Self::Wal(skulk_wal::WalError::Corrupt { segment, .. }) => Some(segment),
            Self::Failed(failure) => failure.path.as_deref(),
            _ => None,
        }
    }

    /// An [`EngineError::Io`] on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;

/// Attaches a path to an I/O result.
pub(crate) trait IoContext<T> {
    /// Maps an I/O error to [`EngineError::Io`] on `path`.
    fn at(self, path: &std::path::Path) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, path: &std::path::Path) -> Result<T> {
        self.map_err(|e| EngineError::io(path, e))
    }
}
