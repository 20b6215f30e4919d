//! Selecting series with the index: label matchers become unions,
//! intersections and differences of postings lists.
//!
//! Semantics are Prometheus': a series without a label has the empty
//! value for it, so a matcher that accepts the empty string (`l=""`,
//! `l!="v"`, `l=~"v|"`, `l!~"v"`) also accepts series that lack the
//! label. Such a matcher is applied by subtracting the series whose value
//! it refuses; any other matcher by intersecting with the series whose
//! value it accepts. When no matcher of the second kind is given, the
//! selection starts from every series (Prometheus' query language refuses
//! such a selector; the engine, like its TSDB, accepts it). A label stored
//! with the empty value is the same as no label to matchers.

use super::catalog::{NameKey, SeriesIndex};
use super::postings::{SeriesRef, difference, intersect, union};
use crate::query::{Candidates, CompiledMatcher, CompiledSelector};

/// The series `selector` picks, ascending.
pub(crate) fn select(index: &SeriesIndex, selector: &CompiledSelector) -> Vec<SeriesRef> {
    if let Some(meta) = selector.exact() {
        return index
            .get(meta.id())
            .filter(|&r| index.meta(r) == *meta)
            .into_iter()
            .collect();
    }
    let mut positive: Vec<Vec<SeriesRef>> = Vec::new();
    let mut negative: Vec<Vec<SeriesRef>> = Vec::new();
    for m in selector.matchers() {
        let name = index.query_name(m.name());
        if m.accepts("") {
            // Remove the series whose value the matcher refuses.
            let refused = match name {
                Some(name) if m.positive() => scan(index, name, |v| !m.test(v)),
                Some(name) => accepted_by_test(index, name, m),
                None => Vec::new(),
            };
            if !refused.is_empty() {
                negative.push(refused);
            }
        } else {
            // Keep only the series whose value the matcher accepts.
            let accepted = match name {
                Some(name) if m.positive() => accepted_by_test(index, name, m),
                Some(name) => scan(index, name, |v| !m.test(v)),
                None => Vec::new(),
            };
            if accepted.is_empty() {
                return Vec::new();
            }
            positive.push(accepted);
        }
    }
    positive.sort_by_key(Vec::len);
    let mut lists = positive.into_iter();
    let mut out: Vec<SeriesRef> = match lists.next() {
        Some(first) => lists.fold(first, |acc, list| intersect(&acc, &list)),
        None => (0..index.len())
            .filter_map(|r| SeriesRef::try_from(r).ok())
            .collect(),
    };
    if !negative.is_empty() && !out.is_empty() {
        let minus = union(negative.iter().map(Vec::as_slice), index.len());
        out = difference(&out, &minus);
    }
    out
}

/// The series whose value of `name` passes `m`'s test (before negation),
/// reading only the values the test may accept.
fn accepted_by_test(index: &SeriesIndex, name: NameKey, m: &CompiledMatcher) -> Vec<SeriesRef> {
    match m.candidates() {
        Candidates::Exact(set) => {
            let lists = set
                .iter()
                .filter(|v| m.test(v))
                .map(|v| index.postings(name, v));
            union(lists, index.len())
        }
        Candidates::Prefixes(prefixes) => {
            let Some(values) = index.values(name) else {
                return Vec::new();
            };
            let mut lists: Vec<&[SeriesRef]> = Vec::new();
            for prefix in prefixes {
                for p in index.with_prefix(values, prefix) {
                    if let Some(pair) = index.pair_at(p)
                        && m.test(index.value_text(pair))
                    {
                        lists.push(&pair.postings);
                    }
                }
            }
            lists.sort_unstable_by_key(|l| l.as_ptr());
            lists.dedup_by_key(|l| l.as_ptr());
            union(lists, index.len())
        }
        Candidates::Any => scan(index, name, |v| m.test(v)),
    }
}

/// The series whose value of `name` passes `keep`, testing every value.
fn scan(index: &SeriesIndex, name: NameKey, keep: impl Fn(&str) -> bool) -> Vec<SeriesRef> {
    let Some(values) = index.values(name) else {
        return Vec::new();
    };
    let lists = values
        .all()
        .filter_map(|p| index.pair_at(p))
        .filter(|pair| keep(index.value_text(pair)))
        .map(|pair| pair.postings.as_slice());
    union(lists, index.len())
}
