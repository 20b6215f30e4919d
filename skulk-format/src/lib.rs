#![doc = include_str!("../README.md")]
#![deny(unsafe_code)]
// Bad input never panics (clippy.toml lets unit tests use these).
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod error;
mod model;
mod stamp;
pub mod storage;
mod tsm;

pub use error::{FormatError, Result};
pub use model::{
    DataPoint, IdCheck, PointLog, SeriesId, SeriesIdBuildHasher, SeriesIdHasher, SeriesIdMap,
    SeriesIdSet, SeriesMeta, TimePartition, TimeRange, Timestamp, WrongId,
};
pub use stamp::{STAMP_LEN, Stamp, StampError};
pub use storage::{FsStorage, Storage};
pub use tsm::{
    BLOCK_ENTRY_LEN, BlockRef, FLAG_HAS_POINTS, FOOTER_LEN, FOOTER_MAGIC, FormatVersion,
    HEADER_LEN, HEADER_MAGIC, LabelTable, Labels, MetaView, PairNumbers, Postings, PostingsList,
    RECORD_FRAMING_LEN, SealedTsm, SeriesEntry, TsmFooter, TsmHandle, TsmHeader, TsmReader,
    TsmStats, TsmWriter, TsmWriterOptions, VerifyReport, publish_all,
};
