//! `Timestamp` and `DataPoint`.

use std::sync::Arc;

use crate::{SeriesId, SeriesMeta};

/// Nanoseconds since the Unix epoch, UTC. Every `i64` is a valid timestamp.
pub type Timestamp = i64;

/// One sample of one series. The series metadata is shared (`Arc`), so
/// cloning points of the same series is cheap.
///
/// ```
/// use std::sync::Arc;
/// use skulk_format::{DataPoint, SeriesMeta};
///
/// let cpu = Arc::new(SeriesMeta::new("cpu", vec![("host".into(), "a".into())]));
/// let p = DataPoint::for_series(cpu.clone(), 1_000, f64::NAN);
/// let q = DataPoint::new("cpu", vec![("host".into(), "a".into())], 1_000, f64::NAN);
/// assert_eq!(p.series_id, cpu.id());
/// assert!(p != q && p.bit_eq(&q)); // NaN != NaN, but the bits agree
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DataPoint {
    /// The series' metadata.
    pub series: Arc<SeriesMeta>,
    /// The series' id, `series.id()`, computed once.
    pub series_id: SeriesId,
    /// When, in nanoseconds since the Unix epoch.
    pub timestamp: Timestamp,
    /// The sample; any bit pattern, NaN payloads included, is kept exactly.
    pub value: f64,
}

impl DataPoint {
    /// Creates a point of series `metric{labels}`.
    pub fn new(
        metric: impl Into<String>,
        labels: Vec<(String, String)>,
        timestamp: Timestamp,
        value: f64,
    ) -> Self {
        Self::for_series(Arc::new(SeriesMeta::new(metric, labels)), timestamp, value)
    }

    /// Creates a point of an existing series.
    pub fn for_series(series: Arc<SeriesMeta>, timestamp: Timestamp, value: f64) -> Self {
        let series_id = series.id();
        Self {
            series,
            series_id,
            timestamp,
            value,
        }
    }

    /// True when both points have the same series, timestamp and value bits
    /// (`==` on `f64` treats NaN as unequal and `-0.0` as `0.0`).
    pub fn bit_eq(&self, other: &DataPoint) -> bool {
        self.series_id == other.series_id
            && self.series == other.series
            && self.timestamp == other.timestamp
            && self.value.to_bits() == other.value.to_bits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_computes_the_series_id() {
        let p = DataPoint::new("cpu", vec![("host".into(), "a".into())], 7, f64::NAN);
        assert_eq!(p.series_id, p.series.id());
        assert!(p.bit_eq(&p.clone()));
    }
}
