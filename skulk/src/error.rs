//! `Error`: one error type over the whole stack.

/// Any error of the Skulk stack. Each layer's error converts into it with
/// `?`; `source()` gives the layer's error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Encoding or decoding a compressed block failed.
    #[error(transparent)]
    Codec(#[from] skulk_codec::CodecError),
    /// The data model or a TSM file: an invalid argument, I/O, corruption.
    #[error(transparent)]
    Format(#[from] skulk_format::FormatError),
    /// The write-ahead log: I/O, corruption, a poisoned log.
    #[error(transparent)]
    Wal(#[from] skulk_wal::WalError),
    /// A memtable or the partition manager refused a point or failed to flush.
    #[error(transparent)]
    Memtable(#[from] skulk_memtable::MemtableError),
    /// The engine: configuration, I/O, corruption, a failed (read-only) state.
    #[error(transparent)]
    Engine(#[from] skulk_engine::EngineError),
    /// An I/O error outside the crates above (e.g. creating a directory).
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// [`Error`] under the name the original `skulk` crate gave it.
pub type TsmError = Error;
