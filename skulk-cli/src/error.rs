//! The CLI's error type and its exit codes.
//!
//! | exit | meaning |
//! |---:|---|
//! | 0 | success |
//! | 1 | the operation failed (I/O, storage engine) |
//! | 2 | usage: bad arguments or configuration |
//! | 3 | needs attention: `verify` found a damaged, missing, changed or stray file; `repair` left something it could not repair, or a loss not accepted |
//! | 4 | `import` met a bad input line (everything before it was kept) |

use std::path::PathBuf;
use std::process::ExitCode;

use crate::ingest::LineError;

/// Everything a command can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// Bad arguments: the message says which and what is expected.
    #[error("{0}")]
    Usage(String),
    /// The `--config` file cannot be used.
    #[error("config file {path}: {reason}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// An I/O error on a file given on the command line or on the output.
    #[error("{path}: {source}")]
    Io {
        /// The file (`-` for standard input or output).
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// An input line could not be imported.
    #[error("{path}: {source}")]
    BadLine {
        /// The input file (`-` for standard input).
        path: PathBuf,
        /// Which line and why.
        #[source]
        source: LineError,
    },
    /// `verify` found something that needs attention (a damaged, missing,
    /// changed or stray file), or `repair` left something it could not
    /// repair or a loss not accepted.
    #[error("{count} problem(s) need attention, the first: {first}")]
    Corruption {
        /// Number of problems.
        count: usize,
        /// The first problem: file, offset and what is wrong.
        first: String,
    },
    /// `bench` read back something other than what it wrote.
    #[error("bench check failed: {0}")]
    Mismatch(String),
    /// A SQL query was refused (`usage`: the query itself is wrong) or
    /// failed; the message is one line.
    #[error("{message}")]
    Sql {
        /// What went wrong.
        message: String,
        /// True for a syntax, planning or schema error in the query.
        usage: bool,
    },
    /// Building Arrow batches or writing Parquet failed.
    #[cfg(feature = "parquet")]
    #[error(transparent)]
    Arrow(#[from] skulk_arrow::Error),
    /// The storage engine failed.
    #[error(transparent)]
    Engine(#[from] skulk_engine::EngineError),
    /// Reading a TSM file failed.
    #[error(transparent)]
    Format(#[from] skulk_format::FormatError),
    /// Reading a WAL segment failed.
    #[error(transparent)]
    Wal(#[from] skulk_wal::WalError),
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            CliError::Usage(_) | CliError::Config { .. } | CliError::Sql { usage: true, .. } => 2,
            // The engine's invalid arguments come from what was typed
            // (e.g. a bad regular expression in a matcher), a setting the
            // directory keeps from the `--config` file.
            CliError::Engine(
                skulk_engine::EngineError::InvalidArgument(_)
                | skulk_engine::EngineError::InvalidSelector { .. }
                | skulk_engine::EngineError::SettingMismatch { .. }
                | skulk_engine::EngineError::OutOfRange { .. },
            ) => 2,
            CliError::Corruption { .. } => 3,
            CliError::BadLine { .. } => 4,
            _ => 1,
        })
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> CliError {
        let path = path.into();
        move |source| CliError::Io { path, source }
    }

    /// An I/O error writing the command's output.
    pub fn output(source: std::io::Error) -> CliError {
        CliError::Io {
            path: PathBuf::from("<output>"),
            source,
        }
    }

    /// True when this is a broken pipe on the output (e.g. `| head`), which
    /// ends the command quietly.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }

    /// One line: the error and each cause not already part of its message.
    pub fn one_line(&self) -> String {
        let mut line = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            let text = cause.to_string();
            if !line.contains(&text) {
                line.push_str(": ");
                line.push_str(&text);
            }
            source = cause.source();
        }
        line.replace('\n', " ")
    }
}

/// Shorthand for results of the CLI.
pub type Result<T, E = CliError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_joins_causes_without_repeating_them() {
        let err = CliError::Io {
            path: "data.csv".into(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file\nreally"),
        };
        assert_eq!(err.one_line(), "data.csv: no such file really");
        assert_eq!(err.exit_code(), ExitCode::from(1));
        assert_eq!(CliError::Usage("x".into()).exit_code(), ExitCode::from(2));
    }

    #[test]
    fn a_setting_out_of_range_is_a_usage_error() {
        let err = CliError::from(skulk_engine::EngineError::OutOfRange {
            key: "wal.batch_size".into(),
            value: "0".into(),
            range: "1 to 4096".into(),
        });
        assert_eq!(err.exit_code(), ExitCode::from(2));
        assert_eq!(
            err.one_line(),
            "wal.batch_size = 0 is out of range: it must be 1 to 4096"
        );
    }
}
