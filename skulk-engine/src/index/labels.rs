//! Label names and values of a selection, answered from the index.

use std::collections::BTreeSet;

use hashbrown::HashSet;

use super::catalog::{NameKey, SeriesIndex};
use super::postings::{SeriesRef, intersect};

/// The label names (`__name__` for the metric) of the series `selected`
/// (every series when `None`), sorted, each once.
pub(crate) fn label_names(index: &SeriesIndex, selected: Option<&[SeriesRef]>) -> Vec<String> {
    let mut keys: HashSet<NameKey> = HashSet::new();
    match selected {
        Some(refs) if refs.len() < index.len() => {
            for &r in refs {
                for p in index.series_pairs(r) {
                    if let Some(pair) = index.pair_at(*p) {
                        keys.insert(pair.name);
                    }
                }
            }
        }
        _ => {
            for name in index.name_keys() {
                let carried = index.values(name).is_some_and(|values| {
                    values
                        .all()
                        .any(|p| index.pair_at(p).is_some_and(|x| !x.postings.is_empty()))
                });
                if carried {
                    keys.insert(name);
                }
            }
        }
    }
    let names: BTreeSet<&str> = keys.into_iter().map(|k| index.name_text(k)).collect();
    names.into_iter().map(str::to_string).collect()
}

/// The values label `name` (`__name__`: the metric) takes in the series
/// `selected` (every series when `None`), sorted, each once. A label stored
/// with the empty value lists it.
pub(crate) fn label_values(
    index: &SeriesIndex,
    name: &str,
    selected: Option<&[SeriesRef]>,
) -> Vec<String> {
    let Some(key) = index.query_name(name) else {
        return Vec::new();
    };
    let Some(values) = index.values(key) else {
        return Vec::new();
    };
    let mut out: BTreeSet<&str> = BTreeSet::new();
    match selected {
        Some(refs) if refs.len() < index.len() && refs.len() <= values.len().saturating_mul(8) => {
            for &r in refs {
                let pairs = index
                    .series_pairs(r)
                    .iter()
                    .filter_map(|&p| index.pair_at(p));
                if let Some(pair) = pairs.into_iter().find(|pair| pair.name == key) {
                    out.insert(index.value_text(pair));
                }
            }
        }
        Some(refs) if refs.len() < index.len() => {
            for pair in values.all().filter_map(|p| index.pair_at(p)) {
                if !intersect(&pair.postings, refs).is_empty() {
                    out.insert(index.value_text(pair));
                }
            }
        }
        _ => {
            for pair in values.all().filter_map(|p| index.pair_at(p)) {
                if !pair.postings.is_empty() {
                    out.insert(index.value_text(pair));
                }
            }
        }
    }
    out.into_iter().map(str::to_string).collect()
}
