//! The data model shared by every Skulk crate.

mod id_check;
mod id_hash;
mod log;
mod point;
mod series;
mod time;

pub use id_check::{IdCheck, WrongId};
pub(crate) use id_check::{LANES, series_ids};
pub use id_hash::{SeriesIdBuildHasher, SeriesIdHasher, SeriesIdMap, SeriesIdSet};
pub use log::PointLog;
pub use point::{DataPoint, Timestamp};
pub use series::{SeriesId, SeriesMeta};
pub use time::{TimePartition, TimeRange};
