#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

mod error;
mod model;

pub use error::{FormatError, Result};
pub use model::{DataPoint, PointLog, SeriesId, SeriesMeta, TimePartition, TimeRange, Timestamp};
