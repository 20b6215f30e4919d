//! Window aggregation over sorted columns.

use crate::{EngineError, Result};

/// What a window aggregation computes per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggregateFn {
    /// Smallest value (NaN values are ignored unless all are NaN).
    Min,
    /// Largest value (NaN values are ignored unless all are NaN).
    Max,
    /// Sum of values.
    Sum,
    /// Number of points.
    Count,
    /// Arithmetic mean.
    Mean,
    /// Value of the earliest point.
    First,
    /// Value of the latest point.
    Last,
}

/// Groups points into windows `[k * step_ns, (k + 1) * step_ns)` (aligned to
/// the epoch) and emits one point per non-empty window, stamped with the
/// window's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Aggregation {
    /// Window length in nanoseconds, at least 1.
    pub step_ns: i64,
    /// What each window computes.
    pub function: AggregateFn,
}

impl Aggregation {
    /// An aggregation; `step_ns` must be positive.
    pub fn new(step_ns: i64, function: AggregateFn) -> Result<Self> {
        let agg = Self { step_ns, function };
        agg.validate()?;
        Ok(agg)
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.step_ns <= 0 {
            return Err(EngineError::InvalidArgument(format!(
                "aggregation step {} ns must be positive",
                self.step_ns
            )));
        }
        Ok(())
    }

    /// Aggregates `(ts, vals)`, sorted by timestamp, into window starts and
    /// results.
    pub(crate) fn apply(&self, ts: &[i64], vals: &[f64]) -> (Vec<i64>, Vec<f64>) {
        let mut out_ts = Vec::new();
        let mut out_vals = Vec::new();
        let mut start = 0usize;
        while start < ts.len() {
            let window = window_start(ts.get(start).copied().unwrap_or_default(), self.step_ns);
            let end = start
                + ts.get(start..)
                    .unwrap_or_default()
                    .partition_point(|&t| window_start(t, self.step_ns) == window);
            let slice = vals.get(start..end).unwrap_or_default();
            out_ts.push(window);
            out_vals.push(reduce(self.function, slice));
            start = end.max(start + 1);
        }
        (out_ts, out_vals)
    }
}

/// The start of the window holding `ts`, clamped at `i64::MIN`.
fn window_start(ts: i64, step: i64) -> i64 {
    let floor = i128::from(ts.div_euclid(step)) * i128::from(step);
    i64::try_from(floor).unwrap_or(i64::MIN)
}

fn reduce(function: AggregateFn, vals: &[f64]) -> f64 {
    match function {
        AggregateFn::Min => vals.iter().copied().fold(f64::NAN, f64::min),
        AggregateFn::Max => vals.iter().copied().fold(f64::NAN, f64::max),
        AggregateFn::Sum => vals.iter().sum(),
        AggregateFn::Count => vals.len() as f64,
        AggregateFn::Mean => vals.iter().sum::<f64>() / vals.len() as f64,
        AggregateFn::First => vals.first().copied().unwrap_or(f64::NAN),
        AggregateFn::Last => vals.last().copied().unwrap_or(f64::NAN),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(f: AggregateFn, step: i64, ts: &[i64], vals: &[f64]) -> (Vec<i64>, Vec<f64>) {
        Aggregation::new(step, f).unwrap().apply(ts, vals)
    }

    #[test]
    fn every_function_over_two_windows() {
        let ts = [0, 3, 9, 10, 15];
        let vals = [4.0, 1.0, 7.0, 2.0, 6.0];
        let want = [
            (AggregateFn::Min, [1.0, 2.0]),
            (AggregateFn::Max, [7.0, 6.0]),
            (AggregateFn::Sum, [12.0, 8.0]),
            (AggregateFn::Count, [3.0, 2.0]),
            (AggregateFn::Mean, [4.0, 4.0]),
            (AggregateFn::First, [4.0, 2.0]),
            (AggregateFn::Last, [7.0, 6.0]),
        ];
        for (f, expected) in want {
            let (wts, wvals) = run(f, 10, &ts, &vals);
            assert_eq!(wts, vec![0, 10], "{f:?}");
            assert_eq!(wvals, expected.to_vec(), "{f:?}");
        }
    }

    #[test]
    fn negative_timestamps_align_to_the_epoch_and_empty_windows_are_skipped() {
        let (wts, wvals) = run(AggregateFn::Count, 10, &[-11, -1, 35], &[0.0; 3]);
        assert_eq!(wts, vec![-20, -10, 30]);
        assert_eq!(wvals, vec![1.0, 1.0, 1.0]);
        let (wts, _) = run(AggregateFn::Count, 7, &[i64::MIN, i64::MAX], &[0.0; 2]);
        assert_eq!(wts.len(), 2);
    }

    #[test]
    fn step_must_be_positive() {
        assert!(Aggregation::new(0, AggregateFn::Sum).is_err());
        assert!(Aggregation::new(-5, AggregateFn::Sum).is_err());
    }
}
