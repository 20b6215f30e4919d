#![doc = include_str!("../README.md")]
#![deny(unsafe_code)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

mod checkpoint;
mod clock;
mod compact;
mod config;
mod engine;
mod error;
mod flush;
mod layout;
mod maintenance;
mod mmap;
mod query;
mod read;
mod recovery;
mod retention;
mod state;
mod stats;
mod tsm;

pub use checkpoint::{
    CHECKPOINT_FILE_NAME, CHECKPOINT_LEN, CHECKPOINT_MAGIC, decode_checkpoint, read_checkpoint,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::EngineConfig;
pub use engine::Engine;
pub use error::{EngineError, Result};
pub use query::{
    AggregateFn, Aggregation, Fill, Grouping, LabelMatcher, MAX_FILLED_WINDOWS, METRIC_LABEL,
    MatchOp, Quantile, Query, SeriesResult, SeriesSelector, WindowQuery, parse_series_key,
};
pub use stats::{CompactionStats, EngineStats, FlushStats, RecoveryStats, RetentionStats};

pub use skulk_format::{DataPoint, SeriesId, SeriesMeta, TimeRange};
pub use skulk_wal::{SyncMode, WalConfig};
