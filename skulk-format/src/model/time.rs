//! `TimeRange` and `TimePartition`.

use std::time::Duration;

use crate::{FormatError, Timestamp};

/// A half-open interval of time `[start, end)`, `start <= end`.
///
/// Because `i64::MAX` itself cannot lie before an exclusive end, an `end`
/// of `i64::MAX` is read as unbounded: [`TimeRange::ALL`] contains every
/// timestamp.
///
/// ```
/// use skulk_format::TimeRange;
///
/// let range = TimeRange::new(10, 20)?;
/// assert!(range.contains(10) && range.contains(19) && !range.contains(20));
/// assert!(range.overlaps(15, 100) && !range.overlaps(20, 30));
/// assert!(TimeRange::new(20, 10).is_err());
/// assert!(TimeRange::ALL.contains(i64::MAX));
/// # Ok::<(), skulk_format::FormatError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct TimeRange {
    start: Timestamp,
    end: Timestamp,
}

impl TimeRange {
    /// Every timestamp.
    pub const ALL: TimeRange = TimeRange {
        start: i64::MIN,
        end: i64::MAX,
    };

    /// `[start, end)`; an error when `start > end`.
    pub fn new(start: Timestamp, end: Timestamp) -> Result<Self, FormatError> {
        if start > end {
            return Err(FormatError::InvalidArgument(format!(
                "time range start {start} is after its end {end}"
            )));
        }
        Ok(Self { start, end })
    }

    /// Inclusive start.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// Exclusive end (`i64::MAX`: unbounded).
    pub fn end(&self) -> Timestamp {
        self.end
    }

    /// True when `ts` lies in the range.
    pub fn contains(&self, ts: Timestamp) -> bool {
        ts >= self.start && (ts < self.end || self.end == i64::MAX)
    }

    /// True when the range holds no timestamp.
    pub fn is_empty(&self) -> bool {
        self.start == self.end && self.end != i64::MAX
    }

    /// True when some timestamp in `[min, max]` (inclusive) lies in the range.
    pub fn overlaps(&self, min: Timestamp, max: Timestamp) -> bool {
        min <= max && self.contains(min.max(self.start)) && max >= self.start
    }
}

/// A fixed window of time `[start, start + duration)` whose points are kept
/// together (one memtable, one folder of TSM files).
///
/// ```
/// use std::time::Duration;
/// use skulk_format::TimePartition;
///
/// let hour = Duration::from_secs(3600);
/// let p = TimePartition::containing(5_400_000_000_000, hour)?; // 01:30
/// assert_eq!(p.start(), 3_600_000_000_000);
/// assert_eq!(p.end_ts(), 7_200_000_000_000);
/// assert!(p.range().contains(5_400_000_000_000));
/// # Ok::<(), skulk_format::FormatError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimePartition {
    start: Timestamp,
    duration_ns: i64,
}

impl TimePartition {
    /// A partition starting at `start`; an error when `duration` is zero or
    /// longer than `i64::MAX` nanoseconds.
    pub fn new(start: Timestamp, duration: Duration) -> Result<Self, FormatError> {
        let duration_ns = i64::try_from(duration.as_nanos())
            .ok()
            .filter(|&d| d > 0)
            .ok_or_else(|| {
                FormatError::InvalidArgument(format!(
                    "partition duration {duration:?} must be between 1 ns and i64::MAX ns"
                ))
            })?;
        Ok(Self { start, duration_ns })
    }

    /// The partition of length `duration` aligned to multiples of it (from
    /// the epoch) that contains `ts`.
    pub fn containing(ts: Timestamp, duration: Duration) -> Result<Self, FormatError> {
        let d = Self::new(0, duration)?.duration_ns;
        let floor = i128::from(ts.div_euclid(d)) * i128::from(d);
        // The first partition would start before i64::MIN: clip it there,
        // keeping its end so it still abuts the next one.
        let start = floor.max(i128::from(i64::MIN));
        let duration_ns = i64::try_from(floor + i128::from(d) - start).unwrap_or(d);
        Ok(Self {
            start: start as i64,
            duration_ns,
        })
    }

    /// Inclusive start.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// Length.
    pub fn duration(&self) -> Duration {
        Duration::from_nanos(self.duration_ns as u64)
    }

    /// Length in nanoseconds.
    pub fn duration_ns(&self) -> i64 {
        self.duration_ns
    }

    /// Exclusive end, saturating at `i64::MAX` (see [`TimeRange`] for how an
    /// end of `i64::MAX` is read).
    pub fn end_ts(&self) -> Timestamp {
        self.start.saturating_add(self.duration_ns)
    }

    /// True when `ts` lies in the partition.
    pub fn contains(&self, ts: Timestamp) -> bool {
        let offset = i128::from(ts) - i128::from(self.start);
        (0..i128::from(self.duration_ns)).contains(&offset)
    }

    /// The partition as a time range.
    pub fn range(&self) -> TimeRange {
        TimeRange {
            start: self.start,
            end: self.end_ts(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_half_open_and_validated() {
        let r = TimeRange::new(10, 20).unwrap();
        assert!(r.contains(10) && r.contains(19) && !r.contains(20) && !r.contains(9));
        assert!(TimeRange::new(21, 20).is_err());
        assert!(TimeRange::new(5, 5).unwrap().is_empty());
        assert!(TimeRange::ALL.contains(i64::MAX) && TimeRange::ALL.contains(i64::MIN));
        assert!(
            r.overlaps(0, 10) && r.overlaps(19, 30) && !r.overlaps(20, 30) && !r.overlaps(0, 9)
        );
    }

    #[test]
    fn partitions_align_and_contain_extremes() {
        let hour = Duration::from_secs(3600);
        let p = TimePartition::containing(-1, hour).unwrap();
        assert_eq!(p.start(), -3_600_000_000_000);
        assert!(p.contains(-1) && !p.contains(0));
        let last = TimePartition::containing(i64::MAX, hour).unwrap();
        assert!(last.contains(i64::MAX));
        assert_eq!(last.end_ts(), i64::MAX);
        let first = TimePartition::containing(i64::MIN, hour).unwrap();
        assert!(first.contains(i64::MIN));
        assert!(TimePartition::new(0, Duration::ZERO).is_err());
        assert!(TimePartition::new(0, Duration::from_secs(u64::MAX)).is_err());
    }
}
