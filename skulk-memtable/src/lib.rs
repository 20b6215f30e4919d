#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
// Bad input never panics (clippy.toml lets unit tests use these).
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod chunk;
mod error;
mod flush;
mod hash;
mod manager;
mod options;
mod scan;
mod seal;
mod series;
mod series_map;
mod snapshot;
mod stats;
mod table;

pub use error::{MemtableError, Result};
pub use flush::FlushOutcome;
pub use manager::{
    FlushCandidate, FlushReason, FrozenPartition, ManagerStats, PartitionFlush, PartitionManager,
    PartitionManagerConfig, PartitionScan, PartitionSeriesScan, partition_file_name,
};
pub use options::MemTableOptions;
pub use scan::{BySeriesScan, DataPointScan, MergedScan, SeriesScan};
pub use snapshot::{MemTableSnapshot, SeriesColumns, SeriesSnapshot};
pub use stats::MemTableStats;
pub use table::TimeSeriesMemTable;
