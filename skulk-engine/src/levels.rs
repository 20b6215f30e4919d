//! Time buckets of growing size that TSM files cover (`FORMAT.md`,
//! "Levels").
//!
//! Level 0 is one partition; level `k` covers `8^k` partitions, aligned to
//! multiples of its length from the Unix epoch, so that every bucket lies in
//! exactly one bucket of each level above. A flush puts partitions that data
//! has moved past into the largest bucket that lies wholly before the newest
//! partition; compaction merges the files inside a bucket into one file of
//! that bucket. The largest level is capped by the largest span a file may
//! cover: a tenth of the retention when one is set (so retention, which drops
//! a file only once its whole span has expired, keeps data at most that much
//! longer), else unbounded.

use std::time::Duration;

/// Buckets per bucket of the next level.
pub(crate) const FANOUT: i64 = 8;

/// A time span `[start, end)` (an `end` of `i64::MAX` saturated, so it
/// includes `i64::MAX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Span {
    pub start: i64,
    pub end: i64,
}

impl Span {
    /// True when `other` lies within this span.
    pub fn contains(&self, other: &Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// True when the spans share a timestamp.
    pub fn overlaps(&self, other: &Span) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// True when the whole span lies at or before `cutoff` (retention).
    pub fn expired(&self, cutoff: i64) -> bool {
        self.end <= cutoff && self.end != i64::MAX
    }
}

/// The bucket sizes of one data directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Levels {
    partition_ns: i64,
    max_level: u32,
}

impl Levels {
    /// Levels for `partition` with files covering at most `max_span`
    /// (`None`: unbounded).
    pub fn new(partition: Duration, max_span: Option<Duration>) -> Self {
        let partition_ns = i64::try_from(partition.as_nanos())
            .unwrap_or(i64::MAX)
            .max(1);
        let cap = max_span.map_or(i128::MAX, |d| d.as_nanos().min(i128::MAX as u128) as i128);
        let mut max_level = 0;
        let mut span = i128::from(partition_ns);
        while span * i128::from(FANOUT) <= cap.min(i128::from(i64::MAX)) {
            span *= i128::from(FANOUT);
            max_level += 1;
        }
        Self {
            partition_ns,
            max_level,
        }
    }

    /// The largest level.
    pub fn max_level(&self) -> u32 {
        self.max_level
    }

    /// Length of a bucket of `level`, capped where it spans every `i64`.
    fn len(&self, level: u32) -> i128 {
        let all = i128::from(u64::MAX) + 1;
        i128::from(FANOUT)
            .checked_pow(level)
            .and_then(|n| n.checked_mul(i128::from(self.partition_ns)))
            .map_or(all, |len| len.min(all))
    }

    /// The bucket of `level` holding timestamp `ts`.
    pub fn bucket(&self, level: u32, ts: i64) -> Span {
        let len = self.len(level);
        let start = i128::from(ts).div_euclid(len) * len;
        Span {
            start: start.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64,
            end: (start + len).min(i128::from(i64::MAX)) as i64,
        }
    }

    /// The partition holding `ts`, as a span.
    pub fn partition(&self, ts: i64) -> Span {
        self.bucket(0, ts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_nest_and_align() {
        let levels = Levels::new(Duration::from_nanos(10), None);
        assert!(levels.max_level() >= 15);
        assert_eq!(levels.bucket(0, 25), Span { start: 20, end: 30 });
        assert_eq!(levels.bucket(1, 25), Span { start: 0, end: 80 });
        assert_eq!(levels.bucket(1, -1), Span { start: -80, end: 0 });
        assert_eq!(
            levels.bucket(2, 700),
            Span {
                start: 640,
                end: 1280
            }
        );
        for ts in [-1_000_000, -7, 0, 9, 12_345] {
            for k in 0..5 {
                assert!(levels.bucket(k + 1, ts).contains(&levels.bucket(k, ts)));
            }
        }
    }

    #[test]
    fn the_largest_span_caps_the_levels() {
        let day = Duration::from_secs(86_400);
        assert_eq!(Levels::new(day, Some(day * 7)).max_level(), 0);
        assert_eq!(Levels::new(day, Some(day * 8)).max_level(), 1);
        assert_eq!(Levels::new(day, Some(day * 100)).max_level(), 2);
    }

    #[test]
    fn extreme_timestamps_clip() {
        let levels = Levels::new(Duration::from_secs(3600), None);
        let top = levels.bucket(levels.max_level(), i64::MAX);
        assert_eq!(top.end, i64::MAX);
        let bottom = levels.bucket(levels.max_level(), i64::MIN);
        assert_eq!(bottom.start, i64::MIN);
        assert!(
            !Span {
                start: 0,
                end: i64::MAX
            }
            .expired(i64::MAX)
        );
    }
}
