//! Merging sorted `(timestamp, value)` columns with last-write-wins.

/// A run of points sorted by strictly increasing timestamp.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Columns {
    /// Timestamps, strictly increasing.
    pub ts: Vec<i64>,
    /// Values, `values[i]` belongs to `ts[i]`.
    pub vals: Vec<f64>,
}

impl Columns {
    #[cfg(test)]
    /// Builds columns from points in any order, duplicates allowed: the
    /// last occurrence of a timestamp wins (a stable sort keeps input order
    /// among equal timestamps).
    pub fn from_unsorted(mut pairs: Vec<(i64, f64)>) -> Self {
        if !pairs.windows(2).all(|w| matches!(w, [a, b] if a.0 < b.0)) {
            pairs.sort_by_key(|p| p.0);
            dedup_keep_last(&mut pairs);
        }
        let (ts, vals) = pairs.into_iter().unzip();
        Self { ts, vals }
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    /// True when there are no points.
    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// A copy of the points in `range`.
    pub fn within(&self, range: skulk_format::TimeRange) -> Columns {
        let mut lo = self.ts.partition_point(|&t| t < range.start());
        let mut hi = if range.end() == i64::MAX {
            self.ts.len()
        } else {
            self.ts.partition_point(|&t| t < range.end())
        };
        hi = hi.min(self.ts.len());
        lo = lo.min(hi);
        Columns {
            ts: self.ts.get(lo..hi).unwrap_or_default().to_vec(),
            vals: self.vals.get(lo..hi).unwrap_or_default().to_vec(),
        }
    }

    /// Keeps only points with `start <= ts` and (`ts < end` or `end == i64::MAX`).
    pub fn retain_range(&mut self, range: skulk_format::TimeRange) {
        let lo = self.ts.partition_point(|&t| t < range.start());
        let hi = if range.end() == i64::MAX {
            self.ts.len()
        } else {
            self.ts.partition_point(|&t| t < range.end())
        };
        let hi = hi.max(lo);
        self.ts.truncate(hi);
        self.vals.truncate(hi);
        self.ts.drain(..lo);
        self.vals.drain(..lo);
    }
}

/// Removes all but the last of each run of equal timestamps from pairs
/// sorted by timestamp.
#[cfg(test)]
fn dedup_keep_last(pairs: &mut Vec<(i64, f64)>) {
    let mut write = 0usize;
    for read in 0..pairs.len() {
        let (Some(&cur), next) = (pairs.get(read), pairs.get(read + 1)) else {
            break;
        };
        if next.is_some_and(|n| n.0 == cur.0) {
            continue;
        }
        if let Some(slot) = pairs.get_mut(write) {
            *slot = cur;
        }
        write += 1;
    }
    pairs.truncate(write);
}

/// Merges sorted runs given oldest first: on equal timestamps the later run
/// wins. Runs whose time spans do not overlap are concatenated without a
/// per-point comparison.
pub(crate) fn merge_runs(runs: Vec<Columns>) -> Columns {
    let mut runs: Vec<Columns> = runs.into_iter().filter(|r| !r.is_empty()).collect();
    if runs.len() <= 1 {
        return runs.pop().unwrap_or_default();
    }
    if let Some(order) = disjoint_order(&runs) {
        return concat_in(order, runs);
    }
    let mut iter = runs.into_iter();
    let first = iter.next().unwrap_or_default();
    iter.fold(first, |older, newer| merge_two(&older, &newer))
}

/// Merges sources given oldest first, each a list of sorted runs that do
/// not overlap and are in time order (e.g. the blocks of one file). When no
/// two runs overlap at all, they are concatenated; otherwise each source is
/// joined first and the sources are merged with [`merge_runs`].
pub(crate) fn merge_sources(sources: Vec<Vec<Columns>>) -> Columns {
    let mut spans: Vec<(i64, i64)> = sources
        .iter()
        .flatten()
        .filter_map(|r| Some((*r.ts.first()?, *r.ts.last()?)))
        .collect();
    spans.sort_unstable();
    let disjoint = spans.windows(2).all(|w| matches!(w, [a, b] if a.1 < b.0));
    if disjoint {
        let mut runs: Vec<Columns> = sources
            .into_iter()
            .flatten()
            .filter(|r| !r.is_empty())
            .collect();
        if runs.len() <= 1 {
            return runs.pop().unwrap_or_default();
        }
        runs.sort_unstable_by_key(|r| r.ts.first().copied());
        let n = runs.len();
        return concat_in((0..n).collect(), runs);
    }
    let joined = sources
        .into_iter()
        .map(|runs| {
            let n = runs.len();
            concat_in((0..n).collect(), runs)
        })
        .collect();
    merge_runs(joined)
}

/// When no two runs overlap in time, the order (by first timestamp) in which
/// concatenating them gives a sorted run.
fn disjoint_order(runs: &[Columns]) -> Option<Vec<usize>> {
    let span = |r: &Columns| (r.ts.first().copied(), r.ts.last().copied());
    let mut order: Vec<usize> = (0..runs.len()).collect();
    order.sort_by_key(|&i| runs.get(i).and_then(|r| r.ts.first().copied()));
    let disjoint = order.windows(2).all(|w| match w {
        [a, b] => {
            let (_, a_max) = runs.get(*a).map(span).unwrap_or_default();
            let (b_min, _) = runs.get(*b).map(span).unwrap_or_default();
            matches!((a_max, b_min), (Some(x), Some(y)) if x < y)
        }
        _ => true,
    });
    disjoint.then_some(order)
}

fn concat_in(order: Vec<usize>, runs: Vec<Columns>) -> Columns {
    let total = runs.iter().map(Columns::len).sum();
    let mut out = Columns {
        ts: Vec::with_capacity(total),
        vals: Vec::with_capacity(total),
    };
    let mut slots: Vec<Option<Columns>> = runs.into_iter().map(Some).collect();
    for i in order {
        if let Some(run) = slots.get_mut(i).and_then(Option::take) {
            out.ts.extend_from_slice(&run.ts);
            out.vals.extend_from_slice(&run.vals);
        }
    }
    out
}

/// Two-way merge; `newer` wins on equal timestamps.
pub(crate) fn merge_two(older: &Columns, newer: &Columns) -> Columns {
    let cap = older.len() + newer.len();
    let mut out = Columns {
        ts: Vec::with_capacity(cap),
        vals: Vec::with_capacity(cap),
    };
    let (mut i, mut j) = (0usize, 0usize);
    loop {
        match (older.ts.get(i), newer.ts.get(j)) {
            (Some(&a), Some(&b)) if a < b => {
                push_from(&mut out, older, i);
                i += 1;
            }
            (Some(&a), Some(&b)) => {
                push_from(&mut out, newer, j);
                j += 1;
                i += usize::from(a == b);
            }
            (Some(_), None) => {
                extend_from(&mut out, older, i);
                break;
            }
            (None, Some(_)) => {
                extend_from(&mut out, newer, j);
                break;
            }
            (None, None) => break,
        }
    }
    out
}

fn push_from(out: &mut Columns, src: &Columns, i: usize) {
    if let (Some(&t), Some(&v)) = (src.ts.get(i), src.vals.get(i)) {
        out.ts.push(t);
        out.vals.push(v);
    }
}

fn extend_from(out: &mut Columns, src: &Columns, from: usize) {
    out.ts
        .extend_from_slice(src.ts.get(from..).unwrap_or_default());
    out.vals
        .extend_from_slice(src.vals.get(from..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn cols(pairs: &[(i64, f64)]) -> Columns {
        Columns::from_unsorted(pairs.to_vec())
    }

    #[test]
    fn later_runs_win_ties() {
        let merged = merge_runs(vec![
            cols(&[(1, 1.0), (3, 3.0)]),
            cols(&[(3, 30.0), (4, 4.0)]),
        ]);
        assert_eq!(merged.ts, vec![1, 3, 4]);
        assert_eq!(merged.vals, vec![1.0, 30.0, 4.0]);
    }

    #[test]
    fn unsorted_input_keeps_the_last_duplicate() {
        let c = cols(&[(5, 1.0), (2, 2.0), (5, 3.0), (2, 4.0)]);
        assert_eq!(c.ts, vec![2, 5]);
        assert_eq!(c.vals, vec![4.0, 3.0]);
    }

    #[test]
    fn range_trimming_is_half_open() {
        let mut c = cols(&[(1, 1.0), (2, 2.0), (3, 3.0), (i64::MAX, 9.0)]);
        c.retain_range(skulk_format::TimeRange::new(2, 3).unwrap());
        assert_eq!(c.ts, vec![2]);
        let mut all = cols(&[(i64::MIN, 1.0), (i64::MAX, 2.0)]);
        all.retain_range(skulk_format::TimeRange::ALL);
        assert_eq!(all.len(), 2);
    }

    proptest! {
        #[test]
        fn merge_sources_matches_a_map(sources in prop::collection::vec(
            prop::collection::vec(prop::collection::vec((-30i64..30, any::<f64>()), 0..10), 0..4),
            0..5)) {
            // Each source: runs cut from one sorted, deduplicated column.
            let mut model = BTreeMap::new();
            let mut built = Vec::new();
            for runs in &sources {
                let all = Columns::from_unsorted(runs.iter().flatten().copied().collect());
                for (&t, v) in all.ts.iter().zip(&all.vals) {
                    model.insert(t, v.to_bits());
                }
                let mid = all.len() / 2;
                let first = Columns { ts: all.ts[..mid].to_vec(), vals: all.vals[..mid].to_vec() };
                let second = Columns { ts: all.ts[mid..].to_vec(), vals: all.vals[mid..].to_vec() };
                built.push(vec![first, second]);
            }
            let merged = merge_sources(built);
            let got: Vec<(i64, u64)> =
                merged.ts.iter().zip(&merged.vals).map(|(&t, v)| (t, v.to_bits())).collect();
            let want: Vec<(i64, u64)> = model.into_iter().collect();
            prop_assert_eq!(got, want);
        }

        #[test]
        fn merge_matches_a_map(runs in prop::collection::vec(
            prop::collection::vec((-50i64..50, any::<f64>()), 0..40), 0..6)) {
            let mut model = BTreeMap::new();
            for run in &runs {
                for &(t, v) in run {
                    model.insert(t, v.to_bits());
                }
            }
            let merged = merge_runs(runs.into_iter().map(Columns::from_unsorted).collect());
            let got: Vec<(i64, u64)> =
                merged.ts.iter().zip(&merged.vals).map(|(&t, v)| (t, v.to_bits())).collect();
            let want: Vec<(i64, u64)> = model.into_iter().collect();
            prop_assert_eq!(got, want);
        }
    }
}
