//! Grouping series by label names, and filling empty windows.

use std::sync::Arc;

use skulk_format::{SeriesMeta, TimeRange};

use super::aggregate::window_start;
use super::{METRIC_LABEL, SeriesResult};
use crate::{EngineError, Result};

/// Which series a window aggregation combines.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Grouping {
    /// Every series on its own (the default).
    #[default]
    None,
    /// One group per combination of the values of these labels, as
    /// PromQL's `by (...)`: a group is named by those labels only (a
    /// series without a label has it empty, and empty labels are left
    /// out); the metric name is kept only when `__name__` is listed, and is
    /// empty otherwise. `By(vec![])` puts every series in one group.
    By(Vec<String>),
    /// One group per label set left after removing these labels, as
    /// PromQL's `without (...)`; the metric name is kept unless `__name__`
    /// is listed.
    Without(Vec<String>),
}

impl Grouping {
    /// The group `series` belongs to.
    pub(crate) fn key(&self, series: &Arc<SeriesMeta>) -> Arc<SeriesMeta> {
        match self {
            Self::None => Arc::clone(series),
            Self::By(names) => {
                let metric = if names.iter().any(|n| n == METRIC_LABEL) {
                    series.metric()
                } else {
                    ""
                };
                let labels = names
                    .iter()
                    .filter(|n| *n != METRIC_LABEL)
                    .filter_map(|n| Some((n.clone(), series.label(n)?.to_string())))
                    .filter(|(_, v)| !v.is_empty())
                    .collect();
                Arc::new(SeriesMeta::new(metric, labels))
            }
            Self::Without(names) => {
                let metric = if names.iter().any(|n| n == METRIC_LABEL) {
                    ""
                } else {
                    series.metric()
                };
                let labels = series
                    .labels()
                    .iter()
                    .filter(|(k, _)| !names.contains(k))
                    .cloned()
                    .collect();
                Arc::new(SeriesMeta::new(metric, labels))
            }
        }
    }
}

/// What an aggregated series holds in a window without points.
#[derive(Debug, Clone, Copy, Default)]
pub enum Fill {
    /// Nothing: empty windows are left out (the default).
    #[default]
    None,
    /// This value, bit for bit.
    Value(f64),
    /// The value of the last window before it that has one (windows
    /// before the first value stay empty).
    Previous,
}

impl PartialEq for Fill {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::None, Self::None) | (Self::Previous, Self::Previous) => true,
            (Self::Value(a), Self::Value(b)) => a.to_bits() == b.to_bits(),
            _ => false,
        }
    }
}

impl Eq for Fill {}

/// Most windows one filled series may have.
pub const MAX_FILLED_WINDOWS: i128 = 10_000_000;

impl Fill {
    /// `result` with its empty windows filled: every window of the query's
    /// range (from the series' first or to its last window on an unbounded
    /// side). Refused when that is more than [`MAX_FILLED_WINDOWS`].
    pub(crate) fn apply(
        self,
        result: SeriesResult,
        range: TimeRange,
        step: i64,
    ) -> Result<SeriesResult> {
        let (Some(&first), Some(&last)) = (result.timestamps.first(), result.timestamps.last())
        else {
            return Ok(result);
        };
        let value = match self {
            Self::None => return Ok(result),
            Self::Value(v) => Some(v),
            Self::Previous => None,
        };
        let from = if range.start() == i64::MIN {
            first
        } else {
            window_start(range.start(), step)
        };
        let to = if range.end() == i64::MAX {
            last
        } else {
            window_start(range.end().saturating_sub(1), step).max(last)
        };
        let windows = (i128::from(to) - i128::from(from)) / i128::from(step) + 1;
        if windows > MAX_FILLED_WINDOWS {
            return Err(EngineError::InvalidArgument(format!(
                "filling would give {windows} windows per series (at most \
                 {MAX_FILLED_WINDOWS}); use a longer step or a shorter range"
            )));
        }
        let mut out_ts = Vec::with_capacity(usize::try_from(windows).unwrap_or(0));
        let mut out_vals = Vec::with_capacity(out_ts.capacity());
        let mut points = result.timestamps.iter().zip(&result.values).peekable();
        let mut previous = None;
        let mut window = i128::from(from);
        while window <= i128::from(to) {
            let w = i64::try_from(window).unwrap_or(i64::MAX);
            while points.peek().is_some_and(|(t, _)| **t < w) {
                points.next();
            }
            let own = points.next_if(|(t, _)| **t == w).map(|(_, v)| *v);
            if let Some(v) = own.or(value).or(previous) {
                out_ts.push(w);
                out_vals.push(v);
            }
            previous = own.or(previous);
            window += i128::from(step);
        }
        Ok(SeriesResult {
            series: result.series,
            timestamps: out_ts,
            values: out_vals,
        })
    }
}
