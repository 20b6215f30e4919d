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
mod entry;
mod error;
mod frame;
mod header;
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

pub use config::{MIN_SEGMENT_SIZE, SyncMode, WalConfig};
pub use entry::{WalEntry, WalPoint};
pub use error::{Result, WalError};
pub use frame::{FRAME_HEADER_LEN, MAX_PAYLOAD_LEN};
pub use header::{SEGMENT_HEADER_LEN, WalVersion};
pub use recovery::{Recovery, SegmentInfo};
pub use repair::{RepairCut, RepairReport, repair, repair_in};
pub use storage::LOCK_FILE;
pub use wal::Wal;
