//! Series identity: `SeriesMeta` (metric + labels) and its stable `SeriesId`.
//!
//! The id is specified in `FORMAT.md`, "Series id", and must never change:
//! it is written into every TSM file and WAL record.

use std::fmt;

use super::id_check::{LANES, series_ids};

/// Stable 64-bit identifier of a series: a hash of its [`SeriesMeta`].
///
/// Different metadata can hash to the same id (a collision); whoever holds
/// the metadata (a TSM file's index, the WAL's series definitions) stores it
/// next to the id so that a collision is detected, never silently merged.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct SeriesId(pub u64);

impl fmt::Display for SeriesId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// A series' metric name and labels. Labels are kept sorted by key with
/// unique keys (the last value given for a key wins), so equal series have
/// equal metadata and equal ids however their labels were ordered.
///
/// ```
/// use skulk_format::SeriesMeta;
///
/// let label = |k: &str, v: &str| (k.to_string(), v.to_string());
/// let a = SeriesMeta::new("cpu", vec![label("host", "a"), label("dc", "x")]);
/// let b = SeriesMeta::new("cpu", vec![label("dc", "x"), label("host", "a")]);
/// assert_eq!(a.id(), b.id());
/// assert_eq!(a.label("host"), Some("a"));
/// assert_eq!(a.to_string(), r#"cpu{dc="x",host="a"}"#);
/// ```
///
/// Deserialised metadata keeps the same rule: labels are sorted by key, and
/// a key given twice is an error (no value is dropped silently).
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "SeriesFields")]
pub struct SeriesMeta {
    metric: String,
    labels: Vec<(String, String)>,
    /// The hash of the fields above, computed once at construction (they
    /// never change after): every write checks a point's claimed id, and
    /// would otherwise hash each new series once per crate it crosses.
    /// Last, so that it never decides an ordering.
    #[serde(skip)]
    id: SeriesId,
}

/// [`SeriesMeta`] as serialised, before its labels are checked.
#[derive(serde::Deserialize)]
struct SeriesFields {
    metric: String,
    labels: Vec<(String, String)>,
}

impl TryFrom<SeriesFields> for SeriesMeta {
    type Error = String;

    fn try_from(fields: SeriesFields) -> Result<Self, String> {
        let mut labels = fields.labels;
        labels.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some([(key, _), _]) = labels
            .windows(2)
            .find(|w| matches!(w, [a, b] if a.0 == b.0))
        {
            return Err(format!(
                "series {:?} has the label {key:?} twice; give each label once",
                fields.metric
            ));
        }
        Ok(Self::with_id(fields.metric, labels))
    }
}

impl SeriesMeta {
    /// Creates metadata, sorting labels by key; for duplicate keys the last
    /// value wins.
    pub fn new(metric: impl Into<String>, labels: Vec<(String, String)>) -> Self {
        Self::with_id(metric.into(), sorted_unique(labels))
    }

    /// Metadata of labels already sorted by key with unique keys, its id
    /// computed.
    fn with_id(metric: String, labels: Vec<(String, String)>) -> Self {
        let mut meta = Self::unhashed(metric, labels);
        let mut hash = Fnv1a64::default();
        meta.canonical_pieces(|piece| hash.write(piece));
        meta.id = SeriesId(mix64(hash.0));
        meta
    }

    /// Metadata whose id is still to be set.
    fn unhashed(metric: String, labels: Vec<(String, String)>) -> Self {
        Self {
            metric,
            labels,
            id: SeriesId(0),
        }
    }

    /// Many metadata at once, as [`SeriesMeta::new`] builds each, hashing
    /// four series side by side: FNV waits on one multiply per byte, so
    /// one hash at a time leaves the multiplier mostly idle. What a query
    /// returning many series uses.
    ///
    /// ```
    /// use skulk_format::SeriesMeta;
    ///
    /// let parts = (0..6).map(|i| ("cpu".to_string(), vec![("host".into(), format!("h{i}"))]));
    /// let many = SeriesMeta::new_many(parts.clone());
    /// let one_by_one: Vec<SeriesMeta> = parts.map(|(m, l)| SeriesMeta::new(m, l)).collect();
    /// assert_eq!(many, one_by_one);
    /// assert!(many.iter().zip(&one_by_one).all(|(a, b)| a.id() == b.id()));
    /// ```
    pub fn new_many(parts: impl IntoIterator<Item = (String, Vec<(String, String)>)>) -> Vec<Self> {
        let mut metas: Vec<Self> = parts
            .into_iter()
            .map(|(metric, labels)| Self::unhashed(metric, sorted_unique(labels)))
            .collect();
        let mut lanes: [Vec<u8>; LANES] = Default::default();
        for group in metas.chunks_mut(LANES) {
            for (lane, meta) in lanes.iter_mut().zip(group.iter()) {
                lane.clear();
                meta.write_canonical(lane);
            }
            let ids = series_ids(&lanes, group.len());
            for (meta, id) in group.iter_mut().zip(ids) {
                meta.id = id;
            }
        }
        metas
    }

    /// The metric name.
    pub fn metric(&self) -> &str {
        &self.metric
    }

    /// The labels, sorted by key, keys unique.
    pub fn labels(&self) -> &[(String, String)] {
        &self.labels
    }

    /// The value of label `key`, if present.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .and_then(|i| self.labels.get(i))
            .map(|(_, v)| v.as_str())
    }

    /// The canonical byte encoding that [`SeriesMeta::id`] hashes:
    /// `u32 len, metric, u32 label count, then per label u32 len, key, u32 len, value`
    /// (all lengths little-endian byte counts of UTF-8).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.canonical_len());
        self.canonical_pieces(|piece| out.extend_from_slice(piece));
        out
    }

    /// The length of [`SeriesMeta::canonical_bytes`], without building them.
    pub fn canonical_len(&self) -> usize {
        8 + self.metric.len()
            + self
                .labels
                .iter()
                .map(|(k, v)| 8 + k.len() + v.len())
                .sum::<usize>()
    }

    /// The series id: `mix64(fnv1a64(canonical_bytes))`, see `FORMAT.md`
    /// (computed when the metadata was built).
    pub fn id(&self) -> SeriesId {
        self.id
    }

    /// The id of the series whose [`SeriesMeta::canonical_bytes`] are
    /// `bytes`, hashed from the bytes as they are (a TSM index entry's
    /// metadata, checked without decoding it).
    pub fn id_of_canonical(bytes: &[u8]) -> SeriesId {
        let mut hash = Fnv1a64::default();
        hash.write(bytes);
        SeriesId(mix64(hash.0))
    }

    /// The id of the series of `metric` and `count` `labels` (sorted by
    /// key), hashed piece by piece as [`SeriesMeta::id`] does, without
    /// building its canonical bytes.
    pub(crate) fn id_of_parts<'a>(
        metric: &str,
        count: u32,
        labels: impl Iterator<Item = (&'a str, &'a str)>,
    ) -> SeriesId {
        let mut hash = Fnv1a64::default();
        canonical_pieces(metric, count, labels, |piece| hash.write(piece));
        SeriesId(mix64(hash.0))
    }

    /// Appends the canonical bytes of the series of `metric` and `count`
    /// `labels` (sorted by key), as [`SeriesMeta::canonical_bytes`] lays
    /// them out.
    pub(crate) fn write_canonical_parts<'a>(
        out: &mut Vec<u8>,
        metric: &str,
        count: u32,
        labels: impl Iterator<Item = (&'a str, &'a str)>,
    ) {
        canonical_pieces(metric, count, labels, |piece| out.extend_from_slice(piece));
    }

    /// Appends [`SeriesMeta::canonical_bytes`] to `out` (no vector of
    /// their own is built).
    pub fn write_canonical(&self, out: &mut Vec<u8>) {
        self.canonical_pieces(|piece| out.extend_from_slice(piece));
    }

    /// Hands [`SeriesMeta::canonical_bytes`] to `put` in pieces, in order.
    fn canonical_pieces(&self, put: impl FnMut(&[u8])) {
        let labels = self.labels.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        canonical_pieces(&self.metric, self.labels.len() as u32, labels, put);
    }

    /// The series key in the usual text form: `metric{k1="v1",k2="v2"}`,
    /// values quoted with Rust string escapes. A metric that form cannot
    /// carry (empty, holding a `{`, or starting or ending with whitespace)
    /// is written as the label `__name__`: `{__name__="m{x",k1="v1"}`. A
    /// label name that is not [plain](SeriesMeta::is_plain_label_name) is
    /// quoted with the same escapes as values: `{"host name"="a","a=b"="c"}`.
    /// So the key reads back as the same series, with one exception: a
    /// label literally named `__name__` is written `__name__="v"`, which a
    /// reader takes for the metric name (quoted or not, as in Prometheus),
    /// so such a key names two metrics and is refused when read back.
    pub fn key(&self) -> String {
        self.to_string()
    }

    /// Whether `name` is a *plain* label name, written bare in a series
    /// key: not empty, and holding none of `=`, `!`, `,`, `{`, `}`, `"`, no
    /// whitespace and no control characters. Any other name is written as a
    /// quoted string (see [`SeriesMeta::key`]). Every name matching
    /// `[A-Za-z_][A-Za-z0-9_]*` (the Prometheus legacy names) is plain, and
    /// so are names like `host.name`, `dc-1` or `größe`.
    pub fn is_plain_label_name(name: &str) -> bool {
        !name.is_empty()
            && !name.chars().any(|c| {
                matches!(c, '=' | '!' | ',' | '{' | '}' | '"')
                    || c.is_whitespace()
                    || c.is_control()
            })
    }
}

/// `labels` sorted by key, keeping the last value given for a key.
fn sorted_unique(mut labels: Vec<(String, String)>) -> Vec<(String, String)> {
    if labels.windows(2).all(|w| matches!(w, [a, b] if a.0 < b.0)) {
        return labels;
    }
    // Stable sort keeps insertion order among equal keys, so keeping the
    // last of each run keeps the last value given.
    labels.sort_by(|a, b| a.0.cmp(&b.0));
    let mut unique: Vec<(String, String)> = Vec::with_capacity(labels.len());
    for label in labels {
        match unique.last_mut() {
            Some(last) if last.0 == label.0 => *last = label,
            _ => unique.push(label),
        }
    }
    unique
}

/// Hands the canonical bytes of the series of `metric` and `count`
/// `labels` (sorted by key) to `put` in pieces, in order (`FORMAT.md`,
/// "Series id").
fn canonical_pieces<'a>(
    metric: &str,
    count: u32,
    labels: impl Iterator<Item = (&'a str, &'a str)>,
    mut put: impl FnMut(&[u8]),
) {
    fn string(put: &mut impl FnMut(&[u8]), s: &str) {
        put(&(s.len() as u32).to_le_bytes());
        put(s.as_bytes());
    }
    string(&mut put, metric);
    put(&count.to_le_bytes());
    for (key, value) in labels {
        string(&mut put, key);
        string(&mut put, value);
    }
}

/// Writes [`SeriesMeta::key`].
impl fmt::Display for SeriesMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let metric = &self.metric;
        let bare = !metric.is_empty() && !metric.contains('{') && metric.trim() == metric;
        if bare {
            f.write_str(metric)?;
            if self.labels.is_empty() {
                return Ok(());
            }
            f.write_str("{")?;
        } else {
            write!(f, "{{__name__={metric:?}")?;
            if !self.labels.is_empty() {
                f.write_str(",")?;
            }
        }
        for (i, (key, value)) in self.labels.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if Self::is_plain_label_name(key) {
                write!(f, "{key}={value:?}")?;
            } else {
                write!(f, "{key:?}={value:?}")?;
            }
        }
        f.write_str("}")
    }
}

/// FNV-1a's 64-bit offset basis.
pub(super) const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
/// FNV-1a's 64-bit prime.
pub(super) const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a, 64 bits (offset basis 0xcbf29ce484222325, prime
/// 0x100000001b3), fed in pieces.
struct Fnv1a64(u64);

impl Default for Fnv1a64 {
    fn default() -> Self {
        Self(FNV_OFFSET_BASIS)
    }
}

impl Fnv1a64 {
    fn write(&mut self, bytes: &[u8]) {
        self.0 = bytes.iter().fold(self.0, |hash, &byte| {
            (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME)
        });
    }
}

#[cfg(test)]
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash = Fnv1a64::default();
    hash.write(bytes);
    hash.0
}

/// The SplitMix64 finalizer: spreads FNV's weak low bits over the whole
/// word, which bloom filters and hash tables rely on.
pub(super) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn many_built_at_once_are_built_as_one_by_one() {
        let part = |i: usize| {
            // Unsorted, with a key given twice, and of varied lengths.
            let labels = labels(&[("z", "1"), ("a", "x"), ("z", "2")]);
            let extra = (0..i % 5).map(|k| (format!("k{k}"), "v".repeat(i)));
            (format!("m{i}"), labels.into_iter().chain(extra).collect())
        };
        for n in 0..10 {
            let many = SeriesMeta::new_many((0..n).map(part));
            let one_by_one: Vec<SeriesMeta> = (0..n)
                .map(|i| {
                    let (metric, labels) = part(i);
                    SeriesMeta::new(metric, labels)
                })
                .collect();
            assert_eq!(many, one_by_one);
            for meta in &many {
                assert_eq!(
                    meta.id(),
                    SeriesMeta::id_of_canonical(&meta.canonical_bytes())
                );
                assert_eq!(meta.label("z"), Some("2"));
            }
        }
    }

    #[test]
    fn the_id_hashes_exactly_the_canonical_bytes() {
        let metas = [
            SeriesMeta::new("", Vec::new()),
            SeriesMeta::new("cpu", labels(&[("host", "a"), ("dc", "x")])),
            SeriesMeta::new("m{x", labels(&[("", ""), ("ключ", "värde 🦊")])),
        ];
        for meta in metas {
            let expected = SeriesId(mix64(fnv1a64(&meta.canonical_bytes())));
            assert_eq!(meta.id(), expected, "{meta}");
            assert_eq!(meta.canonical_len(), meta.canonical_bytes().len());
        }
        // FNV-1a's published test vector for "a".
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn label_order_does_not_change_the_id() {
        let a = SeriesMeta::new("cpu", labels(&[("host", "a"), ("dc", "x")]));
        let b = SeriesMeta::new("cpu", labels(&[("dc", "x"), ("host", "a")]));
        assert_eq!(a, b);
        assert_eq!(a.id(), b.id());
    }

    #[test]
    fn duplicate_keys_keep_the_last_value() {
        let meta = SeriesMeta::new("m", labels(&[("k", "1"), ("j", "0"), ("k", "2")]));
        assert_eq!(meta.labels(), labels(&[("j", "0"), ("k", "2")]).as_slice());
        assert_eq!(meta.label("k"), Some("2"));
    }

    #[test]
    fn ids_are_pinned_across_platforms_and_versions() {
        // Pinned values, computed independently from the FORMAT.md definition:
        // changing them breaks every file on disk.
        assert_eq!(
            SeriesMeta::new("", vec![]).id(),
            SeriesId(0x813f_0174_a236_7c13)
        );
        assert_eq!(
            SeriesMeta::new("cpu.usage", labels(&[("host", "server1")])).id(),
            SeriesId(0xa290_7e6c_fc8a_079c)
        );
    }

    #[test]
    fn length_prefixes_keep_boundaries_apart() {
        let a = SeriesMeta::new("ab", labels(&[("c", "d")]));
        let b = SeriesMeta::new("a", labels(&[("bc", "d")]));
        assert_ne!(a.canonical_bytes(), b.canonical_bytes());
    }

    #[test]
    fn display_is_the_usual_series_key() {
        let meta = SeriesMeta::new("cpu", labels(&[("host", "a")]));
        assert_eq!(meta.to_string(), r#"cpu{host="a"}"#);
        let odd = SeriesMeta::new("m{x ", labels(&[("k", "v")]));
        assert_eq!(odd.to_string(), r#"{__name__="m{x ",k="v"}"#);
        assert_eq!(SeriesMeta::new("", vec![]).key(), r#"{__name__=""}"#);
    }

    #[test]
    fn plain_label_names_are_written_bare() {
        for name in [
            "host",
            "_x9",
            "host.name",
            "dc-1",
            "größe",
            "a~b",
            "a\\b",
            "__name__",
        ] {
            assert!(SeriesMeta::is_plain_label_name(name), "{name}");
            let meta = SeriesMeta::new("m", labels(&[(name, "v")]));
            assert_eq!(meta.to_string(), format!("m{{{name}=\"v\"}}"));
        }
    }

    #[test]
    fn other_label_names_are_quoted_like_values() {
        let cases = [
            ("", r#"m{""="v"}"#),
            ("host name", r#"m{"host name"="v"}"#),
            ("a=b", r#"m{"a=b"="v"}"#),
            ("a!", r#"m{"a!"="v"}"#),
            ("a,b", r#"m{"a,b"="v"}"#),
            ("{x}", r#"m{"{x}"="v"}"#),
            ("say \"hi\"", r#"m{"say \"hi\""="v"}"#),
            (" lead", r#"m{" lead"="v"}"#),
            ("trail\t", r#"m{"trail\t"="v"}"#),
            ("nl\nx", r#"m{"nl\nx"="v"}"#),
            ("bell\u{7}", r#"m{"bell\u{7}"="v"}"#),
        ];
        for (name, key) in cases {
            assert!(!SeriesMeta::is_plain_label_name(name), "{name:?}");
            assert_eq!(SeriesMeta::new("m", labels(&[(name, "v")])).key(), key);
        }
        let mixed = SeriesMeta::new(
            "{m",
            labels(&[("a=b", "c"), ("host name", "a"), ("k", "v")]),
        );
        assert_eq!(
            mixed.key(),
            r#"{__name__="{m","a=b"="c","host name"="a",k="v"}"#
        );
    }
}
