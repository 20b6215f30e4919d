//! Window aggregation across series: [`WindowQuery`] and
//! [`Engine::query_windows`].

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;
use skulk_format::{SeriesMeta, TimeRange};

use super::window::{Baseline, Partial, window_partials};
use super::{Aggregation, CompiledSelector, Fill, Grouping, Query, SeriesResult, SeriesSelector};
use crate::{Engine, Result};

/// A window aggregation of the selected series, each on its own or
/// combined into groups by label names, with a fill policy for empty
/// windows. Run it with [`Engine::query_windows`].
///
/// Across a group, every function but the counter ones pools the points
/// of all the group's series in each window (`max by (host)` is the
/// largest value any of them had); `rate` and `increase` are computed per
/// series and then summed, as `sum by (host) (increase(...))` would.
/// Results obey the same rules as [`Query`]: the last write of a
/// timestamp wins, and values are combined in a fixed order (time order
/// within a series, series in key order within a group), so a query gives
/// the same bits every time.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowQuery {
    /// Which series.
    pub selector: SeriesSelector,
    /// Which points (half-open; see [`TimeRange`]).
    pub range: TimeRange,
    /// Window length and function.
    pub aggregation: Aggregation,
    /// How series are combined.
    pub grouping: Grouping,
    /// What empty windows hold.
    pub fill: Fill,
}

impl WindowQuery {
    /// Each selected series aggregated on its own, empty windows left out.
    pub fn new(selector: SeriesSelector, range: TimeRange, aggregation: Aggregation) -> Self {
        Self {
            selector,
            range,
            aggregation,
            grouping: Grouping::None,
            fill: Fill::None,
        }
    }

    /// The same query grouped by `grouping`.
    pub fn grouped(mut self, grouping: Grouping) -> Self {
        self.grouping = grouping;
        self
    }

    /// The same query with empty windows filled by `fill`.
    pub fn filled(mut self, fill: Fill) -> Self {
        self.fill = fill;
        self
    }
}

/// One group's windows, sorted by window start.
type Windows = Vec<(i64, Partial)>;

/// Series decoded at once by a grouped query: memory holds their raw
/// points and their windows, besides the groups' windows.
const SERIES_PER_BATCH: usize = 256;

impl Engine {
    /// Runs a window aggregation; one result per series or group (sorted by
    /// key), one point per window stamped with the window's start. Without
    /// grouping it is [`Engine::query`] with an aggregation (one snapshot).
    /// Groups are computed series by series, in parallel and in batches,
    /// each series read from its own snapshot: memory holds the raw points
    /// of one batch of series and the windows of the result, never all
    /// the raw points.
    ///
    /// ```
    /// use skulk_engine::{AggregateFn, Aggregation, DataPoint, Engine, EngineConfig};
    /// use skulk_engine::{Grouping, SeriesSelector, TimeRange, WindowQuery};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let engine = Engine::open(dir.path(), EngineConfig::default())?;
    /// let cpu = |dc: &str, host: &str, ts, v| {
    ///     let labels = vec![("dc".into(), dc.into()), ("host".into(), host.into())];
    ///     DataPoint::new("cpu", labels, ts, v)
    /// };
    /// engine.write_batch(&[cpu("x", "a", 0, 1.0), cpu("x", "b", 5, 9.0), cpu("y", "c", 0, 4.0)])?;
    /// let max = Aggregation::new(10, AggregateFn::Max)?;
    /// let query = WindowQuery::new(SeriesSelector::metric("cpu"), TimeRange::ALL, max)
    ///     .grouped(Grouping::By(vec!["dc".into()]));
    /// let by_dc = engine.query_windows(&query)?;
    /// let maxima: Vec<_> = by_dc.iter().map(|g| (g.series.label("dc"), g.values[0])).collect();
    /// assert_eq!(maxima, [(Some("x"), 9.0), (Some("y"), 4.0)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn query_windows(&self, query: &WindowQuery) -> Result<Vec<SeriesResult>> {
        query.aggregation.validate()?;
        let step = query.aggregation.step_ns;
        let results = match query.grouping {
            Grouping::None => self.query(&Query::aggregated(
                query.selector.clone(),
                query.range,
                query.aggregation,
            ))?,
            _ => self.grouped(query)?,
        };
        results
            .into_iter()
            .filter(|r| !r.is_empty())
            .map(|r| query.fill.apply(r, query.range, step))
            .collect()
    }

    fn grouped(&self, query: &WindowQuery) -> Result<Vec<SeriesResult>> {
        let agg = query.aggregation;
        // Surfaces a bad regular expression (listing would select nothing).
        CompiledSelector::new(&query.selector)?;
        let mut groups: BTreeMap<Arc<SeriesMeta>, Windows> = BTreeMap::new();
        for batch in self.list_series(&query.selector).chunks(SERIES_PER_BATCH) {
            let partials: Vec<Option<(Arc<SeriesMeta>, Windows)>> = batch
                .par_iter()
                .map(|meta| {
                    let exact = SeriesSelector::Exact(meta.clone());
                    let raw = self.query(&Query::raw(exact, query.range))?;
                    Ok(raw.into_iter().next().map(|r| {
                        let windows =
                            window_partials(&agg, &r.timestamps, &r.values, Baseline::None);
                        (r.series, windows)
                    }))
                })
                .collect::<Result<_>>()?;
            for (series, windows) in partials.into_iter().flatten() {
                let key = query.grouping.key(&series);
                merge_windows(groups.entry(key).or_default(), windows);
            }
        }
        Ok(groups
            .into_iter()
            .filter_map(|(series, windows)| {
                let (timestamps, values) = windows
                    .into_iter()
                    .filter_map(|(w, p)| Some((w, p.finish(&agg)?)))
                    .unzip();
                let result = SeriesResult {
                    series,
                    timestamps,
                    values,
                };
                (!result.is_empty()).then_some(result)
            })
            .collect())
    }
}

/// Merges one series' windows into its group's (both sorted by window
/// start); the series comes later in key order than those merged before.
fn merge_windows(group: &mut Windows, series: Windows) {
    let same_windows =
        group.len() == series.len() && group.iter().zip(&series).all(|((a, _), (b, _))| a == b);
    if same_windows {
        for ((_, into), (_, from)) in group.iter_mut().zip(series) {
            into.merge(from);
        }
        return;
    }
    if group.is_empty() {
        *group = series;
        return;
    }
    let old = std::mem::take(group);
    let mut left = old.into_iter().peekable();
    let mut right = series.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (Some((a, _)), Some((b, _))) => a <= b,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let next = if take_left { left.next() } else { right.next() };
        let Some((w, p)) = next else { break };
        match group.last_mut() {
            Some((last, into)) if *last == w => into.merge(p),
            _ => group.push((w, p)),
        }
    }
}
