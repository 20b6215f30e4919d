//! The crate's error type.

use datafusion::error::DataFusionError;

/// What can go wrong building or running SQL over Skulk.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The engine refused or failed a read.
    #[error(transparent)]
    Engine(#[from] skulk_engine::EngineError),
    /// Building record batches failed.
    #[error(transparent)]
    Arrow(#[from] skulk_arrow::Error),
    /// DataFusion refused the query (a SQL error, an unknown table or
    /// column, ...) or failed running it.
    #[error(transparent)]
    DataFusion(#[from] DataFusionError),
}

/// `Result` with this crate's [`enum@Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Error> for DataFusionError {
    fn from(e: Error) -> Self {
        match e {
            Error::DataFusion(e) => e,
            other => DataFusionError::External(Box::new(other)),
        }
    }
}

impl Error {
    /// The message on one line: DataFusion's errors may span several
    /// (a backtrace, the context of a nested error); the first cause is
    /// what a user needs.
    pub fn one_line(&self) -> String {
        let text = match self {
            Error::DataFusion(e) => e.find_root().to_string(),
            other => other.to_string(),
        };
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}
