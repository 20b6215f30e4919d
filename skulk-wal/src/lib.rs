#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
// Bad input never panics (clippy.toml lets unit tests use these).
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod config;
mod cursor;
pub mod duration;
mod end_mark;
mod entry;
mod error;
mod frame;
mod header;
mod known;
mod pending;
mod recovery;
mod repair;
mod segment;
mod storage;
mod wal;
mod writer;

/// Log sequence number: every record's position in the log, starting at 1
/// and growing by one per record.
pub type Lsn = u64;

pub use config::{
    MAX_BATCH_SIZE, MAX_BATCH_TIMEOUT, MAX_SEGMENT_SIZE, MIN_SEGMENT_SIZE, SyncMode, WalConfig,
};
pub use end_mark::END_MARK_LEN;
pub use entry::{WalEntry, WalPoint};
pub use error::{Result, WalError};
pub use frame::{FRAME_HEADER_LEN, FRAME_HEADER_LEN_V1, MAX_PAYLOAD_LEN};
pub use header::{SEGMENT_HEADER_LEN, WalVersion};
pub use recovery::{LostEnd, Recovery, SegmentInfo, SkippedDamage};
pub use repair::{
    DroppedPoints, LostLsns, Repair, RepairReport, RepairedDamage, repair, repair_in,
};
pub use storage::LOCK_FILE;
pub use wal::Wal;

/// Told about each segment the log creates when it rolls over, before any
/// record goes into it: for a caller that keeps its own durable list of
/// segments (the engine's manifest), so that losing a whole segment can be
/// noticed.
pub trait SegmentObserver: Send + Sync {
    /// Records that the segment starting at `first_lsn` exists. An error
    /// fails the write that rolled over and poisons the log.
    fn segment_created(
        &self,
        first_lsn: Lsn,
    ) -> std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;
}
