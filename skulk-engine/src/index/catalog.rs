//! The series catalog and its inverted index: every series by number, its
//! metric and labels as interned pairs, and per pair the sorted numbers of
//! the series carrying it (its postings).

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashMap, HashTable};
use skulk_format::{Postings, SeriesId, SeriesMeta};

use super::postings::SeriesRef;
use super::symbols::{Sym, Symbols};
use super::values::Values;
use crate::query::METRIC_LABEL;
use crate::{EngineError, Result};

/// A label name as the index keys it: a symbol, or [`METRIC`].
pub(crate) type NameKey = u32;
/// The number of an interned (name, value) pair.
pub(crate) type PairId = u32;

/// In [`SeriesIndex::index_appended_from`]'s `local`: a series of the file
/// that was not appended (the catalog knew it).
pub(crate) const NOT_APPENDED: SeriesRef = SeriesRef::MAX;

/// The name key of the metric name (`__name__` in matchers). No symbol
/// takes it, so a label literally named `__name__` stays apart from it.
pub(crate) const METRIC: NameKey = u32::MAX;

/// One (name, value) pair and the series carrying it.
#[derive(Debug, Clone)]
pub(crate) struct Pair {
    pub name: NameKey,
    pub value: Sym,
    /// Ascending: series are numbered in order of arrival and appended.
    pub postings: Vec<SeriesRef>,
}

/// Every series the engine knows, interned, with postings per pair.
///
/// Memory per series: its id (8 bytes) and slot in the id table (about 6
/// to 11), its pair numbers (4 bytes per label plus 4 for the metric), the
/// start of its pairs (4), and one postings entry per pair (4 bytes each,
/// plus the spare capacity of growing lists); strings are held once each.
#[derive(Debug, Default, Clone)]
pub(crate) struct SeriesIndex {
    symbols: Symbols,
    ids: Vec<SeriesId>,
    by_id: HashTable<SeriesRef>,
    /// `starts[r]..starts[r + 1]` are series `r`'s pairs in `labels`.
    starts: Vec<u32>,
    /// Per series: its metric pair, then its label pairs by name.
    labels: Vec<PairId>,
    pairs: Vec<Pair>,
    /// Pair numbers keyed by the hash of (name key, value text), so that
    /// a known pair is found with one hash of its text.
    pair_table: HashTable<PairId>,
    names: HashMap<NameKey, Values>,
    hasher: DefaultHashBuilder,
    /// The name keys of the last series inserted, by label position:
    /// series of one source mostly share their label names, which are
    /// then compared, not hashed.
    recent_names: Vec<NameKey>,
}

fn too_many(what: &str) -> EngineError {
    EngineError::InvalidArgument(format!("the series index holds more than 2^32 {what}"))
}

impl SeriesIndex {
    /// Number of series.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// The number of series `id`, if known.
    pub fn get(&self, id: SeriesId) -> Option<SeriesRef> {
        let ids = &self.ids;
        self.by_id
            .find(self.hasher.hash_one(id.0), |&r| {
                ids.get(r as usize) == Some(&id)
            })
            .copied()
    }

    /// True when series `id` is known.
    pub fn contains(&self, id: SeriesId) -> bool {
        self.get(id).is_some()
    }

    /// The id of series `r`.
    pub fn id(&self, r: SeriesRef) -> Option<SeriesId> {
        self.ids.get(r as usize).copied()
    }

    /// Adds series `meta` (whose id is `id`) unless known; returns its
    /// number.
    pub fn insert(&mut self, id: SeriesId, meta: &SeriesMeta) -> Result<SeriesRef> {
        let labels = meta.labels().iter();
        self.insert_labels(
            id,
            meta.metric(),
            labels.map(|(k, v)| (k.as_str(), v.as_str())),
        )
    }

    /// Adds series `id` of `metric` and `labels` (sorted by name) unless
    /// known; returns its number.
    pub fn insert_labels<'a>(
        &mut self,
        id: SeriesId,
        metric: &str,
        labels: impl Iterator<Item = (&'a str, &'a str)>,
    ) -> Result<SeriesRef> {
        if let Some(r) = self.get(id) {
            return Ok(r);
        }
        let mut pairs = Vec::with_capacity(labels.size_hint().0 + 1);
        pairs.push(self.pair(METRIC, metric)?);
        for (position, (name, value)) in labels.enumerate() {
            let name = self.recent_name_key(position, name)?;
            pairs.push(self.pair(name, value)?);
        }
        self.insert_pairs(id, &pairs)
    }

    /// The name key of `name`, the label at `position` of a series.
    fn recent_name_key(&mut self, position: usize, name: &str) -> Result<NameKey> {
        if let Some(&key) = self.recent_names.get(position)
            && self.symbols.resolve(key) == name
        {
            return Ok(key);
        }
        let key = self.name_key(name)?;
        match self.recent_names.get_mut(position) {
            Some(slot) => *slot = key,
            None => self.recent_names.push(key),
        }
        Ok(key)
    }

    /// Adds series `id` with its pairs (the metric pair first, then label
    /// pairs by name) unless known; returns its number.
    pub fn insert_pairs(&mut self, id: SeriesId, pairs: &[PairId]) -> Result<SeriesRef> {
        if let Some(r) = self.get(id) {
            return Ok(r);
        }
        self.insert_new(id, pairs)
    }

    /// Adds series `id`, which the caller found unknown ([`Self::contains`]
    /// is false), with its pairs; returns its number.
    fn insert_new(&mut self, id: SeriesId, pairs: &[PairId]) -> Result<SeriesRef> {
        let r = SeriesRef::try_from(self.ids.len())
            .ok()
            .filter(|&r| r < u32::MAX)
            .ok_or_else(|| too_many("series"))?;
        let end = u32::try_from(self.labels.len() + pairs.len()).map_err(|_| too_many("labels"))?;
        if self.starts.is_empty() {
            self.starts.push(0);
        }
        for &p in pairs {
            if let Some(pair) = self.pairs.get_mut(p as usize) {
                pair.postings.push(r);
            }
        }
        self.labels.extend_from_slice(pairs);
        self.starts.push(end);
        self.ids.push(id);
        self.number_id(r);
        Ok(r)
    }

    /// Makes room for `series` more series.
    pub fn reserve(&mut self, series: usize) {
        self.ids.reserve(series);
        self.starts.reserve(series + 1);
    }

    /// Appends pair `p` to the series being appended (see
    /// [`Self::append_series`]).
    pub fn append_pair(&mut self, p: PairId) {
        self.labels.push(p);
    }

    /// Appends series `id` (unknown to the catalog, see [`Self::contains`])
    /// with the pairs appended since the previous series, the metric pair
    /// first, without indexing it yet: [`Self::index_appended`] indexes
    /// every series appended at once, each pair's postings growing once
    /// to their final length instead of doubling series by series.
    pub fn append_series(&mut self, id: SeriesId) -> Result<()> {
        if self.ids.len() >= u32::MAX as usize - 1 {
            return Err(too_many("series"));
        }
        let end = u32::try_from(self.labels.len()).map_err(|_| too_many("labels"))?;
        if self.starts.is_empty() {
            self.starts.push(0);
        }
        self.starts.push(end);
        self.ids.push(id);
        Ok(())
    }

    /// Indexes the series appended from number `first` on (by id, and in
    /// the postings of their pairs); drops pairs appended after the last
    /// series.
    pub fn index_appended(&mut self, first: usize) {
        let end = self.starts.last().map_or(0, |&e| e as usize);
        self.labels.truncate(end);
        let Some(&base) = self.starts.get(first) else {
            return;
        };
        let appended = self.labels.get(base as usize..).unwrap_or_default();
        let mut counts = vec![0u32; self.pairs.len()];
        for &p in appended {
            if let Some(count) = counts.get_mut(p as usize) {
                *count += 1;
            }
        }
        for (pair, &count) in self.pairs.iter_mut().zip(&counts) {
            pair.postings.reserve_exact(count as usize);
        }
        for r in first..self.ids.len() {
            // Below u32::MAX: `append_series` refuses more.
            let r = r as SeriesRef;
            let i = r as usize;
            let (Some(&from), Some(&to)) = (self.starts.get(i), self.starts.get(i + 1)) else {
                continue;
            };
            for &p in self
                .labels
                .get(from as usize..to as usize)
                .unwrap_or_default()
            {
                if let Some(pair) = self.pairs.get_mut(p as usize) {
                    pair.postings.push(r);
                }
            }
        }
        self.number_appended(first);
    }

    /// Indexes the series appended from number `first` on, as
    /// [`Self::index_appended`] does, but with the label postings of a
    /// version-3 TSM file instead of inverting each series' labels:
    /// `pairs[p]` is the catalog's pair for the file's pair `p` (`None`
    /// when no appended series carries it) and `local[i]` the number of
    /// the file's `i`-th series ([`NOT_APPENDED`] when it was known). The
    /// file's lists ascend and its new series were numbered in file
    /// order, so each pair's postings stay sorted; numbers below `first`
    /// are skipped (indexed before).
    pub fn index_appended_from(
        &mut self,
        first: usize,
        postings: Postings<'_>,
        pairs: &[Option<PairId>],
        local: &[SeriesRef],
    ) {
        let end = self.starts.last().map_or(0, |&e| e as usize);
        self.labels.truncate(end);
        // Each appended series' metric pair: its first.
        for r in first..self.ids.len() {
            let metric = self
                .starts
                .get(r)
                .and_then(|&from| self.labels.get(from as usize));
            if let Some(pair) = metric.and_then(|&p| self.pairs.get_mut(p as usize)) {
                pair.postings.push(r as SeriesRef);
            }
        }
        for (file_pair, list) in postings {
            let pair = pairs.get(file_pair as usize).copied().flatten();
            let Some(pair) = pair.and_then(|p| self.pairs.get_mut(p as usize)) else {
                continue;
            };
            pair.postings.reserve_exact(list.len());
            for position in list {
                // Series numbered before `first` were indexed already.
                match local.get(position as usize) {
                    Some(&r) if r != NOT_APPENDED && r as usize >= first => pair.postings.push(r),
                    _ => {}
                }
            }
        }
        self.number_appended(first);
    }

    /// Enters the series from number `first` on into the table by id.
    fn number_appended(&mut self, first: usize) {
        let (ids, hasher) = (&self.ids, &self.hasher);
        self.by_id
            .reserve(ids.len().saturating_sub(first), |&other| {
                hasher.hash_one(ids.get(other as usize).map_or(0, |i| i.0))
            });
        for r in first..self.ids.len() {
            self.number_id(r as SeriesRef);
        }
    }

    /// Enters series `r` (in `ids` already) into the table by id.
    fn number_id(&mut self, r: SeriesRef) {
        let (ids, hasher) = (&self.ids, &self.hasher);
        let Some(id) = ids.get(r as usize) else {
            return;
        };
        self.by_id
            .insert_unique(hasher.hash_one(id.0), r, |&other| {
                hasher.hash_one(ids.get(other as usize).map_or(0, |i| i.0))
            });
    }

    /// The name key of label `name` (interned).
    pub fn name_key(&mut self, name: &str) -> Result<NameKey> {
        let sym = self.symbols.intern(name)?;
        if sym == METRIC {
            return Err(too_many("strings"));
        }
        Ok(sym)
    }

    /// The number of pair (`name`, `value`), interned.
    pub fn pair(&mut self, name: NameKey, value: &str) -> Result<PairId> {
        let hash = self.hasher.hash_one((name, value));
        if let Some(p) = self.find_pair(hash, name, value) {
            return Ok(p);
        }
        let value = self.symbols.intern(value)?;
        let p = PairId::try_from(self.pairs.len()).map_err(|_| too_many("pairs"))?;
        self.pairs.push(Pair {
            name,
            value,
            postings: Vec::new(),
        });
        let (pairs, hasher, symbols) = (&self.pairs, &self.hasher, &self.symbols);
        self.pair_table.insert_unique(hash, p, |&other| {
            let pair = pairs.get(other as usize);
            hasher.hash_one(pair.map_or((0, ""), |x| (x.name, symbols.resolve(x.value))))
        });
        let values = self.names.entry(name).or_default();
        values.add(p, &self.pairs, &self.symbols);
        Ok(p)
    }

    /// The name key a matcher on `name` reads: [`METRIC`] for `__name__`.
    pub fn query_name(&self, name: &str) -> Option<NameKey> {
        if name == METRIC_LABEL {
            Some(METRIC)
        } else {
            self.symbols.get(name)
        }
    }

    /// The text of a name key.
    pub fn name_text(&self, name: NameKey) -> &str {
        if name == METRIC {
            METRIC_LABEL
        } else {
            self.symbols.resolve(name)
        }
    }

    /// The pair with number `p`.
    pub fn pair_at(&self, p: PairId) -> Option<&Pair> {
        self.pairs.get(p as usize)
    }

    /// The text of a pair's value.
    pub fn value_text(&self, pair: &Pair) -> &str {
        self.symbols.resolve(pair.value)
    }

    /// The pair (`name`, `value`) whose hash is `hash`, if interned.
    fn find_pair(&self, hash: u64, name: NameKey, value: &str) -> Option<PairId> {
        let (pairs, symbols) = (&self.pairs, &self.symbols);
        let found = self.pair_table.find(hash, |&p| {
            pairs
                .get(p as usize)
                .is_some_and(|pair| pair.name == name && symbols.resolve(pair.value) == value)
        });
        found.copied()
    }

    /// The series carrying `name` = `value`.
    pub fn postings(&self, name: NameKey, value: &str) -> &[SeriesRef] {
        let hash = self.hasher.hash_one((name, value));
        self.find_pair(hash, name, value)
            .and_then(|p| self.pairs.get(p as usize))
            .map_or(&[], |pair| pair.postings.as_slice())
    }

    /// The values of `name`, each a pair.
    pub fn values(&self, name: NameKey) -> Option<&Values> {
        self.names.get(&name)
    }

    /// The pairs of `values` whose value starts with `prefix`.
    pub fn with_prefix<'a>(
        &'a self,
        values: &'a Values,
        prefix: &'a str,
    ) -> impl Iterator<Item = PairId> + 'a {
        values.with_prefix(prefix, &self.pairs, &self.symbols)
    }

    /// Every name key.
    pub fn name_keys(&self) -> impl Iterator<Item = NameKey> + '_ {
        self.names.keys().copied()
    }

    /// The pairs of series `r`: its metric pair, then its labels by name.
    pub fn series_pairs(&self, r: SeriesRef) -> &[PairId] {
        let i = r as usize;
        let (Some(&start), Some(&end)) = (self.starts.get(i), self.starts.get(i + 1)) else {
            return &[];
        };
        self.labels
            .get(start as usize..end as usize)
            .unwrap_or_default()
    }

    /// True when series `r` is `meta` (same metric, same labels): an id
    /// the catalog knows named by other labels is a collision.
    pub fn is_series(&self, r: SeriesRef, meta: &SeriesMeta) -> bool {
        let pairs = self.series_pairs(r);
        if pairs.len() != meta.labels().len() + 1 {
            return false;
        }
        let mut pairs = pairs.iter().filter_map(|&p| self.pair_at(p));
        let metric_matches = pairs
            .next()
            .is_some_and(|m| m.name == METRIC && self.value_text(m) == meta.metric());
        metric_matches
            && pairs.zip(meta.labels()).all(|(pair, (name, value))| {
                pair.name != METRIC
                    && self.symbols.resolve(pair.name) == name
                    && self.value_text(pair) == value
            })
    }

    /// The metadata of series `r`.
    pub fn meta(&self, r: SeriesRef) -> SeriesMeta {
        let (metric, labels) = self.parts(r);
        SeriesMeta::new(metric, labels)
    }

    /// The metadata of series `refs`, in order (hashed four at a time).
    pub fn metas(&self, refs: &[SeriesRef]) -> Vec<SeriesMeta> {
        SeriesMeta::new_many(refs.iter().map(|&r| self.parts(r)))
    }

    /// The metric and labels of series `r`, owned.
    fn parts(&self, r: SeriesRef) -> (String, Vec<(String, String)>) {
        let mut metric = "";
        let mut labels = Vec::with_capacity(self.series_pairs(r).len().saturating_sub(1));
        for pair in self.series_pairs(r).iter().filter_map(|&p| self.pair_at(p)) {
            let value = self.value_text(pair);
            if pair.name == METRIC {
                metric = value;
            } else {
                labels.push((self.name_text(pair.name).to_string(), value.to_string()));
            }
        }
        (metric.to_string(), labels)
    }

    /// Sorts every name's values (after a bulk import) and gives back
    /// spare capacity.
    pub fn compact(&mut self) {
        for values in self.names.values_mut() {
            values.settle(&self.pairs, &self.symbols);
        }
        for pair in &mut self.pairs {
            pair.postings.shrink_to_fit();
        }
        self.symbols.shrink_to_fit();
        self.ids.shrink_to_fit();
        self.starts.shrink_to_fit();
        self.labels.shrink_to_fit();
        self.pairs.shrink_to_fit();
    }

    /// A new index of the series `keep` accepts, numbered afresh.
    pub fn retained(&self, keep: impl Fn(SeriesId) -> bool) -> Result<SeriesIndex> {
        let mut out = SeriesIndex::default();
        let mut pairs = Vec::new();
        for (r, &id) in self.ids.iter().enumerate() {
            if !keep(id) {
                continue;
            }
            pairs.clear();
            for pair in self
                .series_pairs(r as SeriesRef)
                .iter()
                .filter_map(|&p| self.pair_at(p))
            {
                let name = match pair.name {
                    METRIC => METRIC,
                    name => out.name_key(self.symbols.resolve(name))?,
                };
                pairs.push(out.pair(name, self.value_text(pair))?);
            }
            out.insert_pairs(id, &pairs)?;
        }
        out.compact();
        Ok(out)
    }

    /// Heap bytes held (capacities).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let postings: usize = self
            .pairs
            .iter()
            .map(|p| p.postings.capacity() * size_of::<SeriesRef>())
            .sum();
        let values: usize = self.names.values().map(Values::heap_bytes).sum();
        self.symbols.heap_bytes()
            + self.ids.capacity() * size_of::<SeriesId>()
            + self.by_id.capacity() * (size_of::<SeriesRef>() + 1)
            + (self.starts.capacity() + self.labels.capacity()) * 4
            + self.pairs.capacity() * size_of::<Pair>()
            + postings
            + self.pair_table.capacity() * (size_of::<PairId>() + 1)
            + self.names.capacity() * (size_of::<(NameKey, Values)>() + 1)
            + values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(metric: &str, labels: &[(&str, &str)]) -> SeriesMeta {
        let labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        SeriesMeta::new(metric, labels.collect())
    }

    #[test]
    fn series_are_numbered_once_and_read_back() {
        let mut index = SeriesIndex::default();
        let a = meta("cpu", &[("host", "a"), ("dc", "x")]);
        let b = meta("", &[("__name__", "real label"), ("", "")]);
        let ra = index.insert(a.id(), &a).unwrap();
        let rb = index.insert(b.id(), &b).unwrap();
        assert_eq!(index.insert(a.id(), &a).unwrap(), ra);
        assert_eq!((ra, rb, index.len()), (0, 1, 2));
        assert_eq!(index.meta(ra), a);
        assert_eq!(index.meta(rb), b);
        assert!(index.is_series(ra, &a) && index.is_series(rb, &b));
        assert!(!index.is_series(ra, &b) && !index.is_series(rb, &a));
        for other in [
            meta("cpu", &[("host", "a")]),
            meta("cpu", &[("host", "a"), ("dc", "y")]),
            meta("cpu", &[("host", "a"), ("dc", "x"), ("rack", "1")]),
            meta("mem", &[("host", "a"), ("dc", "x")]),
            meta("cpu", &[("host", "a"), ("dx", "x")]),
        ] {
            assert!(!index.is_series(ra, &other), "{other}");
        }
        assert_eq!(index.get(b.id()), Some(rb));
        assert_eq!(index.postings(METRIC, "cpu"), &[ra]);
        assert_eq!(index.postings(METRIC, ""), &[rb]);
        let label = index.query_name("").unwrap();
        assert_eq!(index.postings(label, ""), &[rb]);
        // A label literally named `__name__` is not the metric.
        let real = index.symbols.get("__name__").unwrap();
        assert_eq!(index.postings(real, "real label"), &[rb]);
        assert_eq!(index.query_name("__name__"), Some(METRIC));
    }

    /// Series added in bulk are numbered, found and listed as when added
    /// one by one, after series added singly and before more of them.
    #[test]
    fn bulk_added_series_match_series_added_one_by_one() {
        let metas: Vec<SeriesMeta> = (0..300)
            .map(|i| {
                let host = format!("h{}", i % 37);
                let g = format!("g{}", i % 3);
                let mut labels = vec![("host", host.as_str()), ("g", g.as_str())];
                if i % 5 == 0 {
                    labels.push(("odd", "yes"));
                }
                meta(if i % 2 == 0 { "cpu" } else { "mem" }, &labels)
            })
            .collect();
        // Distinct series only (some of the above repeat).
        let mut seen = std::collections::HashSet::new();
        let metas: Vec<SeriesMeta> = metas.into_iter().filter(|m| seen.insert(m.id())).collect();
        let n = metas.len();
        assert!(n > 200);
        let mut single = SeriesIndex::default();
        for m in &metas {
            single.insert(m.id(), m).unwrap();
        }
        let mut bulk = SeriesIndex::default();
        for m in metas.iter().take(10) {
            bulk.insert(m.id(), m).unwrap();
        }
        let first = bulk.len();
        for m in metas.get(10..n - 40).unwrap() {
            let metric = bulk.pair(METRIC, m.metric()).unwrap();
            bulk.append_pair(metric);
            for (name, value) in m.labels() {
                let name = bulk.name_key(name).unwrap();
                let pair = bulk.pair(name, value).unwrap();
                bulk.append_pair(pair);
            }
            bulk.append_series(m.id()).unwrap();
        }
        // Pairs of a series never appended are dropped.
        bulk.append_pair(0);
        bulk.index_appended(first);
        bulk.index_appended(bulk.len());
        for m in metas.get(n - 40..).unwrap() {
            bulk.insert(m.id(), m).unwrap();
        }
        assert_eq!(bulk.len(), single.len());
        for (r, m) in metas.iter().enumerate() {
            let r = r as SeriesRef;
            assert_eq!(bulk.get(m.id()), Some(r));
            assert_eq!(bulk.meta(r), *m);
        }
        let host = bulk.query_name("host").unwrap();
        for h in 0..37 {
            let value = format!("h{h}");
            let want = single.postings(single.query_name("host").unwrap(), &value);
            assert_eq!(bulk.postings(host, &value), want, "{value}");
        }
        assert_eq!(bulk.postings(METRIC, "mem"), single.postings(METRIC, "mem"));
        let odd = bulk.query_name("odd").unwrap();
        let odd_series = metas.iter().filter(|m| m.label("odd").is_some()).count();
        assert_eq!(bulk.postings(odd, "yes").len(), odd_series);
    }

    #[test]
    fn retained_keeps_what_is_asked_and_renumbers() {
        let mut index = SeriesIndex::default();
        let metas: Vec<SeriesMeta> = (0..10)
            .map(|i| {
                meta(
                    "m",
                    &[("host", &format!("h{i}")), ("g", &format!("g{}", i % 3))],
                )
            })
            .collect();
        for m in &metas {
            index.insert(m.id(), m).unwrap();
        }
        let dropped = metas[4].id();
        let kept = index.retained(|id| id != dropped).unwrap();
        assert_eq!(kept.len(), 9);
        assert!(!kept.contains(dropped));
        let g = kept.query_name("g").unwrap();
        // g1 was series 1, 4 and 7; 4 is gone, 7 is now 6.
        assert_eq!(kept.postings(g, "g1"), &[1, 6]);
        for m in metas.iter().filter(|m| m.id() != dropped) {
            let r = kept.get(m.id()).unwrap();
            assert_eq!(kept.meta(r), *m);
        }
    }
}
