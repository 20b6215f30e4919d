//! The query model: what to read ([`Query`]) and what comes back
//! ([`SeriesResult`]), plus the pure building blocks the engine runs them
//! with (selection, last-write-wins merge, window aggregation).

mod aggregate;
mod grammar;
mod grouping;
mod matcher;
pub(crate) mod merge;
mod window;
mod windowed;

use std::sync::Arc;

use skulk_format::{SeriesMeta, TimeRange};

pub use aggregate::{AggregateFn, Aggregation, Quantile};
pub use grammar::parse_series_key;
pub use grouping::{Fill, Grouping, MAX_FILLED_WINDOWS};
pub(crate) use matcher::{Candidates, CompiledMatcher, CompiledSelector};
pub use matcher::{LabelMatcher, METRIC_LABEL, MatchOp, SeriesSelector};
pub use windowed::WindowQuery;

/// A read: which series, which time range, and optionally a window
/// aggregation.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Which series.
    pub selector: SeriesSelector,
    /// Which points (half-open; see [`TimeRange`]).
    pub range: TimeRange,
    /// When set, one point per non-empty window instead of raw points.
    pub aggregation: Option<Aggregation>,
}

impl Query {
    /// Raw points of the selected series in `range`.
    pub fn raw(selector: SeriesSelector, range: TimeRange) -> Self {
        Self {
            selector,
            range,
            aggregation: None,
        }
    }

    /// Windowed aggregates of the selected series in `range`.
    pub fn aggregated(
        selector: SeriesSelector,
        range: TimeRange,
        aggregation: Aggregation,
    ) -> Self {
        Self {
            selector,
            range,
            aggregation: Some(aggregation),
        }
    }
}

/// The points of one series: timestamps strictly increasing, one value each
/// (the last written for that timestamp).
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesResult {
    /// The series.
    pub series: Arc<SeriesMeta>,
    /// Timestamps, strictly increasing (empty from a scan asked for
    /// values only: [`crate::PointScan::values_only`]).
    pub timestamps: Vec<i64>,
    /// `values[i]` belongs to `timestamps[i]`.
    pub values: Vec<f64>,
}

impl SeriesResult {
    /// Number of points.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when the series has no point in the range.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}
