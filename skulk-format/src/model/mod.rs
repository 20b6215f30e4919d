//! The data model shared by every Skulk crate.

mod log;
mod point;
mod series;
mod time;

pub use log::PointLog;
pub use point::{DataPoint, Timestamp};
pub use series::{SeriesId, SeriesMeta};
pub use time::{TimePartition, TimeRange};
