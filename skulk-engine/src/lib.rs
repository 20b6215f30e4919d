#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
// Bad input never panics (clippy.toml lets unit tests use these).
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod check;
mod checkpoint;
mod clock;
mod compact;
mod config;
mod delete;
mod engine;
mod error;
mod flush;
mod index;
mod layout;
mod levels;
mod locks;
mod losses;
mod maintenance;
mod manifest;
mod options;
mod partitions;
mod query;
mod read;
mod read_only;
mod recovery;
mod replay;
mod retention;
mod scan;
mod sequencer;
mod state;
mod stats;
mod tombstone;
mod tsm;
mod upgrade;

pub use check::{CheckedFile, DirectoryReport, FileStatus, check_directory};
pub use checkpoint::{
    CHECKPOINT_FILE_NAME, CHECKPOINT_LEN, CHECKPOINT_MAGIC, decode_checkpoint, read_checkpoint,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{
    CODEC_CHOICE_NAMES, EngineConfig, MAX_ACTIVE_PARTITIONS, MAX_COMPACTION_MIN_FILES,
    MAX_FLUSH_BYTES, MAX_FLUSH_POINTS, MAX_QUERY_THREADS,
};
pub use engine::Engine;
pub use error::{EngineError, Failure, Result};
pub use losses::{LOSSES_FILE_NAME, Loss, accept_losses};
pub use manifest::{
    FileRecord, MANIFEST_FILE_NAME, MANIFEST_MAGIC, MANIFEST_VERSION, Manifest, decode_manifest,
};
pub use options::OpenOptions;
pub use query::{
    AggregateFn, Aggregation, Fill, Grouping, LabelMatcher, MAX_FILLED_WINDOWS, METRIC_LABEL,
    MatchOp, Quantile, Query, SeriesResult, SeriesSelector, WindowQuery, parse_series_key,
};
pub use scan::{DEFAULT_CHUNK_POINTS, PointScan};
pub use stats::{
    CompactionStats, DeleteStats, EngineStats, FlushStats, RecoveryStats, RetentionStats,
};
pub use tombstone::Tombstone;

pub use skulk_format::{DataPoint, SeriesId, SeriesMeta, TimeRange};
pub use skulk_wal::{SyncMode, WalConfig};
