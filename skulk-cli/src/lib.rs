#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
// Bad input never panics (clippy.toml lets unit tests use these).
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod app;
pub mod cli;
mod commands;
mod config;
mod datadir;
mod disk;
mod error;
mod files;
pub mod fuzzing;
pub mod ingest;
mod logging;
pub mod output;
pub mod point_writer;
#[cfg(feature = "sql")]
mod sql_output;
pub mod timearg;
pub mod timefmt;
pub mod value_text;
mod wal_file;

pub use app::{main_entry, run};
pub use cli::Cli;
pub use error::{CliError, Result};
