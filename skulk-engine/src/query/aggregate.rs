//! Window aggregation over sorted columns.

use std::fmt;
use std::str::FromStr;

use super::window::{Baseline, window_partials};
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
    /// The φ-quantile of the window's values, interpolated linearly
    /// between the two nearest ranks as Prometheus' `quantile_over_time`
    /// does (values ordered by `f64::total_cmp`, so NaNs sort last).
    Quantile(Quantile),
    /// How much a counter grew in the window: the sum of the differences
    /// between consecutive points, from the last point before the window
    /// (in the query's range) to the window's last point. A value below
    /// the previous one is a counter reset, as in Prometheus: the counter
    /// restarted from zero, so it grew by the new value. No extrapolation:
    /// the increases of consecutive windows add up to the whole range's.
    /// A window without a difference (its only point is the range's first)
    /// has no value.
    Increase,
    /// [`AggregateFn::Increase`] per second: the increase divided by the
    /// window length in seconds.
    Rate,
}

/// A quantile φ between 0 and 1 inclusive (compared by its bits, so it is
/// `Eq` and `Hash`).
#[derive(Debug, Clone, Copy)]
pub struct Quantile(f64);

impl Quantile {
    /// φ, refused unless `0 <= phi <= 1`.
    pub fn new(phi: f64) -> Result<Self> {
        if (0.0..=1.0).contains(&phi) {
            Ok(Self(phi))
        } else {
            Err(EngineError::InvalidArgument(format!(
                "quantile {phi} is not between 0 and 1"
            )))
        }
    }

    /// φ.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl PartialEq for Quantile {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Eq for Quantile {}

impl std::hash::Hash for Quantile {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state);
    }
}

impl AggregateFn {
    /// The names [`AggregateFn::from_str`] reads (`quantile(φ)` stands
    /// for any φ).
    pub const NAMES: &[&str] = &[
        "min",
        "max",
        "sum",
        "count",
        "mean",
        "first",
        "last",
        "quantile(φ)",
        "increase",
        "rate",
    ];

    /// Whether the function reads counters (rate, increase): across series
    /// it is computed per series first, then summed.
    pub fn is_counter_fn(self) -> bool {
        matches!(self, Self::Increase | Self::Rate)
    }
}

/// Reads `min`, `max`, `sum`, `count`, `mean` (or `avg`), `first`, `last`,
/// `increase`, `rate` and `quantile(0.99)`.
impl FromStr for AggregateFn {
    type Err = EngineError;

    fn from_str(text: &str) -> Result<Self> {
        let text = text.trim();
        let function = match text.to_ascii_lowercase().as_str() {
            "min" => Self::Min,
            "max" => Self::Max,
            "sum" => Self::Sum,
            "count" => Self::Count,
            "mean" | "avg" => Self::Mean,
            "first" => Self::First,
            "last" => Self::Last,
            "increase" => Self::Increase,
            "rate" => Self::Rate,
            other => {
                let phi = other
                    .strip_prefix("quantile(")
                    .and_then(|rest| rest.strip_suffix(')'))
                    .ok_or_else(|| {
                        EngineError::InvalidArgument(format!(
                            "unknown aggregation {text:?} (expected one of {})",
                            Self::NAMES.join(", ")
                        ))
                    })?;
                let phi: f64 = phi.trim().parse().map_err(|_| {
                    EngineError::InvalidArgument(format!("quantile {phi:?} is not a number"))
                })?;
                Self::Quantile(Quantile::new(phi)?)
            }
        };
        Ok(function)
    }
}

/// Writes the name [`AggregateFn::from_str`] reads.
impl fmt::Display for AggregateFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Min => f.write_str("min"),
            Self::Max => f.write_str("max"),
            Self::Sum => f.write_str("sum"),
            Self::Count => f.write_str("count"),
            Self::Mean => f.write_str("mean"),
            Self::First => f.write_str("first"),
            Self::Last => f.write_str("last"),
            Self::Quantile(q) => write!(f, "quantile({:?})", q.get()),
            Self::Increase => f.write_str("increase"),
            Self::Rate => f.write_str("rate"),
        }
    }
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
        if let AggregateFn::Quantile(q) = self.function {
            Quantile::new(q.get())?;
        }
        Ok(())
    }

    /// Aggregates `(ts, vals)`, sorted by timestamp, into window starts and
    /// results.
    pub(crate) fn apply(&self, ts: &[i64], vals: &[f64]) -> (Vec<i64>, Vec<f64>) {
        let mut out_ts = Vec::new();
        let mut out_vals = Vec::new();
        for (window, partial) in window_partials(self, ts, vals, Baseline::None) {
            if let Some(v) = partial.finish(self) {
                out_ts.push(window);
                out_vals.push(v);
            }
        }
        (out_ts, out_vals)
    }
}

/// The start of the window holding `ts`, clamped at `i64::MIN`.
pub(crate) fn window_start(ts: i64, step: i64) -> i64 {
    let floor = i128::from(ts.div_euclid(step)) * i128::from(step);
    i64::try_from(floor).unwrap_or(i64::MIN)
}

#[cfg(test)]
mod tests;
