#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
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

mod error;
mod model;
mod tsm;

pub use error::{FormatError, Result};
pub use model::{DataPoint, PointLog, SeriesId, SeriesMeta, TimePartition, TimeRange, Timestamp};
pub use tsm::{
    BLOCK_ENTRY_LEN, BlockRef, FLAG_HAS_POINTS, FOOTER_LEN, FOOTER_MAGIC, FormatVersion,
    HEADER_LEN, HEADER_MAGIC, RECORD_FRAMING_LEN, SeriesEntry, StdStorage, TsmFooter, TsmHandle,
    TsmHeader, TsmOutput, TsmReader, TsmStats, TsmStorage, TsmWriter, TsmWriterOptions,
    VerifyReport,
};
