//! Per-window partial results: what one series contributes to a window,
//! mergeable across series (in series key order) and finished into the
//! window's value.
//!
//! Every function folds values left to right in time order, so a series
//! alone gives the same bits whether it is aggregated on its own or as a
//! group of one; a group folds the series' partials in key order.

use super::aggregate::window_start;
use super::{AggregateFn, Aggregation};

/// What a window of one series (or a group) holds so far.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Partial {
    Sum(f64),
    Count(u64),
    Mean {
        sum: f64,
        count: u64,
    },
    Min(f64),
    Max(f64),
    First(i64, f64),
    Last(i64, f64),
    Values(Vec<f64>),
    /// The sum of counter differences and how many there were.
    Increase {
        total: f64,
        deltas: u64,
    },
}

/// The value before the first point given, for counter functions: the
/// last point of the same series before them in the query's range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Baseline {
    None,
    Value(f64),
}

/// A counter's growth from `prev` to `cur`: a drop is a reset to zero.
fn counter_delta(prev: f64, cur: f64) -> f64 {
    if cur < prev { cur } else { cur - prev }
}

fn fold1(vals: &[f64], f: impl Fn(f64, f64) -> f64) -> f64 {
    vals.iter().copied().reduce(f).unwrap_or(f64::NAN)
}

impl Partial {
    /// The partial of one window of one series: `ts`/`vals` its points in
    /// time order (not empty), `prev` the value before them.
    fn of_window(function: AggregateFn, ts: &[i64], vals: &[f64], prev: Baseline) -> Self {
        let first = || (ts.first().copied(), vals.first().copied());
        let last = || (ts.last().copied(), vals.last().copied());
        match function {
            AggregateFn::Sum => Self::Sum(fold1(vals, |a, b| a + b)),
            AggregateFn::Count => Self::Count(vals.len() as u64),
            AggregateFn::Mean => Self::Mean {
                sum: fold1(vals, |a, b| a + b),
                count: vals.len() as u64,
            },
            AggregateFn::Min => Self::Min(vals.iter().copied().fold(f64::NAN, f64::min)),
            AggregateFn::Max => Self::Max(vals.iter().copied().fold(f64::NAN, f64::max)),
            AggregateFn::First => match first() {
                (Some(t), Some(v)) => Self::First(t, v),
                _ => Self::Values(Vec::new()),
            },
            AggregateFn::Last => match last() {
                (Some(t), Some(v)) => Self::Last(t, v),
                _ => Self::Values(Vec::new()),
            },
            AggregateFn::Quantile(_) => Self::Values(vals.to_vec()),
            AggregateFn::Increase | AggregateFn::Rate => {
                let mut total = None;
                let mut deltas = 0u64;
                let mut before = match prev {
                    Baseline::Value(v) => Some(v),
                    Baseline::None => None,
                };
                for &v in vals {
                    if let Some(p) = before {
                        let d = counter_delta(p, v);
                        total = Some(total.map_or(d, |t: f64| t + d));
                        deltas += 1;
                    }
                    before = Some(v);
                }
                Self::Increase {
                    total: total.unwrap_or(0.0),
                    deltas,
                }
            }
        }
    }

    /// Adds what a later series (in key order) holds for the same window.
    pub(crate) fn merge(&mut self, other: Partial) {
        match (self, other) {
            (Self::Sum(a), Self::Sum(b)) => *a += b,
            (Self::Count(a), Self::Count(b)) => *a += b,
            (Self::Mean { sum, count }, Self::Mean { sum: s, count: c }) => {
                *sum += s;
                *count += c;
            }
            (Self::Min(a), Self::Min(b)) => *a = a.min(b),
            (Self::Max(a), Self::Max(b)) => *a = a.max(b),
            (Self::First(t, v), Self::First(t2, v2)) => {
                if t2 < *t {
                    (*t, *v) = (t2, v2);
                }
            }
            (Self::Last(t, v), Self::Last(t2, v2)) => {
                if t2 >= *t {
                    (*t, *v) = (t2, v2);
                }
            }
            (Self::Values(a), Self::Values(b)) => a.extend(b),
            (
                Self::Increase { total, deltas },
                Self::Increase {
                    total: t,
                    deltas: d,
                },
            ) => {
                if d > 0 && *deltas == 0 {
                    (*total, *deltas) = (t, d);
                } else if d > 0 {
                    *total += t;
                    *deltas += d;
                }
            }
            // Partials of one query share their function.
            (this, other) => *this = other,
        }
    }

    /// The window's value; `None` when it has none (a counter window
    /// without a difference, an empty quantile).
    pub(crate) fn finish(self, agg: &Aggregation) -> Option<f64> {
        match self {
            Self::Sum(v) | Self::Min(v) | Self::Max(v) => Some(v),
            Self::First(_, v) | Self::Last(_, v) => Some(v),
            Self::Count(n) => Some(n as f64),
            Self::Mean { sum, count } => Some(sum / count as f64),
            Self::Values(mut values) => match agg.function {
                AggregateFn::Quantile(q) => quantile(&mut values, q.get()),
                _ => None,
            },
            Self::Increase { total, deltas } => match (deltas, agg.function) {
                (0, _) => None,
                (_, AggregateFn::Rate) => Some(total * 1e9 / agg.step_ns as f64),
                _ => Some(total),
            },
        }
    }
}

/// The φ-quantile as Prometheus computes it: linear interpolation between
/// the two nearest ranks of the values ordered by `f64::total_cmp` (a
/// whole rank gives that value's exact bits, so infinities do not turn
/// into NaN). Selects the ranks without sorting everything.
fn quantile(values: &mut [f64], phi: f64) -> Option<f64> {
    let n = values.len();
    let rank = phi * (n.checked_sub(1)? as f64);
    let lower = rank.floor();
    let weight = rank - lower;
    let lo = (lower as usize).min(n - 1);
    let (_, &mut low, upper) = values.select_nth_unstable_by(lo, f64::total_cmp);
    if weight == 0.0 {
        return Some(low);
    }
    let high = upper.iter().copied().min_by(f64::total_cmp).unwrap_or(low);
    Some(low * (1.0 - weight) + high * weight)
}

/// The partial of every non-empty window of one series, in time order:
/// `ts`/`vals` sorted by timestamp, `baseline` the value before them.
pub(crate) fn window_partials(
    agg: &Aggregation,
    ts: &[i64],
    vals: &[f64],
    baseline: Baseline,
) -> Vec<(i64, Partial)> {
    let mut out = Vec::new();
    let mut start = 0usize;
    while start < ts.len() {
        let window = window_start(ts.get(start).copied().unwrap_or_default(), agg.step_ns);
        let end = start
            + ts.get(start..)
                .unwrap_or_default()
                .partition_point(|&t| window_start(t, agg.step_ns) == window);
        let end = end.max(start + 1);
        let prev = match start.checked_sub(1).and_then(|i| vals.get(i)) {
            Some(&v) => Baseline::Value(v),
            None => baseline,
        };
        let partial = Partial::of_window(
            agg.function,
            ts.get(start..end).unwrap_or_default(),
            vals.get(start..end).unwrap_or_default(),
            prev,
        );
        out.push((window, partial));
        start = end;
    }
    out
}
