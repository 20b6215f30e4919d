//! Deletes: tombstones that hide points of some series in a time range
//! from the files written before the delete (`FORMAT.md`, "Tombstones").
//!
//! A delete first flushes every memtable, so each point written before it
//! lies in a file of a generation below the tombstone's `gen_limit`, and
//! each point written after it in a later one. Queries drop the points a
//! tombstone covers from the older files only; since every older file is
//! hidden alike, an older value can never show through. Compaction writes
//! what it merges without the covered points (its output has a fresh
//! generation, above every limit), and drops a tombstone once no file it
//! covers is left.

use skulk_format::{SeriesId, TimeRange};

use crate::query::merge::Columns;
use crate::tsm::TsmFile;

/// Points of `series` in `range` are deleted from files of generations
/// below `gen_limit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tombstone {
    /// Files whose last generation is below this were written before the
    /// delete.
    pub gen_limit: u64,
    /// The deleted timestamps, `[start, end)`.
    pub range: TimeRange,
    /// The series, sorted, unique.
    pub series: Vec<SeriesId>,
}

impl Tombstone {
    /// True when the tombstone hides points of series `id` in `file`.
    fn hides(&self, file_last_gen: u64, id: SeriesId) -> bool {
        file_last_gen < self.gen_limit && self.series.binary_search(&id).is_ok()
    }

    /// True when `file` still holds a point this tombstone hides.
    pub(crate) fn covers_points_of(&self, file: &TsmFile) -> bool {
        file.gens.last < self.gen_limit
            && file.overlaps(self.range)
            && self
                .series
                .iter()
                .any(|id| file.reader.blocks(*id, self.range).next().is_some())
    }
}

/// The deleted ranges of series `id` in a file of last generation
/// `file_last_gen`; empty when nothing is hidden.
pub(crate) fn hidden(tombstones: &[Tombstone], file_last_gen: u64, id: SeriesId) -> Vec<TimeRange> {
    tombstones
        .iter()
        .filter(|t| t.hides(file_last_gen, id))
        .map(|t| t.range)
        .collect()
}

/// Removes the points in any of `ranges` from `cols`.
pub(crate) fn remove_hidden(cols: &mut Columns, ranges: &[TimeRange]) {
    if ranges.is_empty() {
        return;
    }
    let keep: Vec<bool> = cols
        .ts
        .iter()
        .map(|t| !ranges.iter().any(|r| r.contains(*t)))
        .collect();
    let mut flags = keep.iter();
    cols.ts.retain(|_| *flags.next().unwrap_or(&true));
    let mut flags = keep.iter();
    cols.vals.retain(|_| *flags.next().unwrap_or(&true));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(start: i64, end: i64) -> TimeRange {
        TimeRange::new(start, end).unwrap()
    }

    #[test]
    fn hides_only_its_series_in_older_files() {
        let t = Tombstone {
            gen_limit: 5,
            range: range(10, 20),
            series: vec![SeriesId(1), SeriesId(3)],
        };
        let ts = std::slice::from_ref(&t);
        assert_eq!(hidden(ts, 4, SeriesId(3)), vec![range(10, 20)]);
        assert!(hidden(ts, 5, SeriesId(3)).is_empty(), "written after");
        assert!(hidden(ts, 4, SeriesId(2)).is_empty(), "another series");
    }

    #[test]
    fn removes_exactly_the_points_in_the_ranges() {
        let mut cols = Columns {
            ts: vec![5, 10, 15, 19, 20, 30, 40],
            vals: vec![0.5, 1.0, 1.5, 1.9, 2.0, 3.0, 4.0],
        };
        remove_hidden(&mut cols, &[range(10, 20), range(40, 41)]);
        assert_eq!(cols.ts, vec![5, 20, 30]);
        assert_eq!(cols.vals, vec![0.5, 2.0, 3.0]);
    }
}
