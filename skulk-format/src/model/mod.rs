//! The data model shared by every Skulk crate.

mod point;
mod series;
mod time;

pub use point::{DataPoint, Timestamp};
pub use series::{SeriesId, SeriesMeta};
pub use time::{TimePartition, TimeRange};
