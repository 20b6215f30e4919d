//! `MetaView`: a series' metadata read in place from a TSM index entry
//! (`FORMAT.md`: the canonical bytes of a version-1 "Series entry", the
//! numbered pairs of a version-2 one), so that opening a file allocates
//! nothing per label.

use std::fmt;

use super::cursor::Cursor;
use super::label_table::LabelTable;
use crate::{FormatError, Result, SeriesId, SeriesMeta};

/// Smallest encoded label: two `u32` lengths.
const MIN_LABEL_LEN: usize = 8;

/// A series' metric and labels, borrowed from a file's index entry: its
/// canonical bytes (version 1) or its pair numbers and the file's
/// [`LabelTable`] (version 2). The entry was checked when the file was
/// opened: UTF-8, labels sorted by key with unique keys, every number
/// within its table.
///
/// ```
/// use skulk_format::{SeriesMeta, TsmReader, TsmWriter};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("1.tsm");
/// let cpu = SeriesMeta::new("cpu", vec![("host".into(), "a".into())]);
/// let mut writer = TsmWriter::create(&path, Default::default())?;
/// writer.write_series(&cpu, &[1], &[1.0])?;
/// writer.finish()?;
///
/// let reader = TsmReader::open(std::fs::read(&path)?)?;
/// let entry = reader.entry(cpu.id()).expect("written");
/// assert_eq!(entry.meta.metric(), "cpu");
/// assert_eq!(entry.meta.labels().collect::<Vec<_>>(), [("host", "a")]);
/// assert_eq!(entry.meta, cpu);
/// assert_eq!(entry.meta.to_meta(), cpu);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy)]
pub struct MetaView<'a> {
    repr: Repr<'a>,
}

#[derive(Clone, Copy)]
enum Repr<'a> {
    /// Version 1: the canonical bytes.
    Canonical(&'a [u8]),
    /// Version 2: the metric's string number, the label count and the pair
    /// numbers as varints, naming entries of `table`. Version 3 (as the
    /// reader rebuilds them from the postings): the same, but each pair
    /// number after the first as its gap to the one before, less one
    /// (`ascending`), as they strictly ascend.
    Numbered {
        table: &'a LabelTable,
        refs: &'a [u8],
        ascending: bool,
    },
}

impl<'a> MetaView<'a> {
    /// Checks `bytes` (which start at file offset `base`) as canonical
    /// metadata: every length within the bytes, UTF-8 text, label keys
    /// strictly ascending, no bytes left over.
    pub(crate) fn parse(bytes: &'a [u8], base: u64) -> Result<Self> {
        let mut cursor = Cursor::new(bytes, base);
        text(&mut cursor)?;
        let count = cursor.u32("label count")?;
        let what = "label count within the metadata";
        cursor.check_count(u64::from(count), MIN_LABEL_LEN, what, cursor.offset())?;
        let mut previous: Option<&str> = None;
        for _ in 0..count {
            let at = cursor.offset();
            let key = text(&mut cursor)?;
            text(&mut cursor)?;
            check_order(&mut previous, key, at)?;
        }
        if cursor.remaining() != 0 {
            return Err(FormatError::corrupt(
                "metadata ending at its length",
                cursor.offset(),
            ));
        }
        Ok(Self::checked(bytes))
    }

    /// Reads the numbered metadata of a version-2 entry from `cursor`
    /// (`FORMAT.md`, "Series entry (version 2)"), checking every number
    /// against `table` and the order of the label names; `bytes` are the
    /// bytes the cursor reads, which start at file offset `base`. Returns
    /// the metadata and the length of its canonical bytes.
    pub(crate) fn parse_numbered(
        cursor: &mut Cursor<'_>,
        bytes: &'a [u8],
        base: u64,
        table: &'a LabelTable,
    ) -> Result<(Self, u64)> {
        let start = cursor.offset();
        let metric = cursor.varint_below(u64::from(table.string_count()), "metric string")?;
        let mut canonical_len = 8 + table.string(metric as u32).len() as u64;
        let count = cursor.varint_below(1 << 32, "label count")?;
        // A pair number is at least one byte.
        cursor.check_count(count, 1, "label count within the index", cursor.offset())?;
        let mut previous: Option<&str> = None;
        for _ in 0..count {
            let at = cursor.offset();
            let pair = cursor.varint_below(u64::from(table.pair_count()), "label pair")?;
            let (name, value) = table.pair(pair as u32).unwrap_or_default();
            check_order(&mut previous, name, at)?;
            canonical_len += 8 + (name.len() + value.len()) as u64;
        }
        let range = (start - base) as usize..(cursor.offset() - base) as usize;
        let refs = bytes
            .get(range)
            .ok_or(FormatError::corrupt("series metadata", start))?;
        Ok((Self::numbered(table, refs), canonical_len))
    }

    /// A view of canonical bytes [`MetaView::parse`] accepted before.
    pub(crate) fn checked(bytes: &'a [u8]) -> Self {
        Self {
            repr: Repr::Canonical(bytes),
        }
    }

    /// A view of numbered metadata [`MetaView::parse_numbered`] accepted
    /// before.
    pub(crate) fn numbered(table: &'a LabelTable, refs: &'a [u8]) -> Self {
        Self {
            repr: Repr::Numbered {
                table,
                refs,
                ascending: false,
            },
        }
    }

    /// A view of numbered metadata whose pair numbers ascend strictly and
    /// are stored as gaps (the first as it is, then each less the one
    /// before, less one), checked before (a version-3 reader's).
    pub(crate) fn ascending(table: &'a LabelTable, refs: &'a [u8]) -> Self {
        Self {
            repr: Repr::Numbered {
                table,
                refs,
                ascending: true,
            },
        }
    }

    /// The canonical bytes ([`SeriesMeta::canonical_bytes`]).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_canonical(&mut out);
        out
    }

    /// The series id this metadata hashes to (hashed piece by piece:
    /// numbered metadata may name long strings many times).
    pub fn id(&self) -> SeriesId {
        match self.repr {
            Repr::Canonical(bytes) => SeriesMeta::id_of_canonical(bytes),
            Repr::Numbered { .. } => {
                let labels = self.labels();
                SeriesMeta::id_of_parts(self.metric(), labels.left(), labels)
            }
        }
    }

    /// Length of the canonical bytes, computed without building them.
    pub fn canonical_len(&self) -> u64 {
        match self.repr {
            Repr::Canonical(bytes) => bytes.len() as u64,
            Repr::Numbered { .. } => {
                let labels = self.labels().map(|(k, v)| 8 + (k.len() + v.len()) as u64);
                8 + self.metric().len() as u64 + labels.sum::<u64>()
            }
        }
    }

    /// Appends the canonical bytes ([`SeriesMeta::canonical_bytes`]).
    pub(crate) fn write_canonical(&self, out: &mut Vec<u8>) {
        match self.repr {
            Repr::Canonical(bytes) => out.extend_from_slice(bytes),
            Repr::Numbered { .. } => {
                let labels = self.labels();
                SeriesMeta::write_canonical_parts(out, self.metric(), labels.left(), labels);
            }
        }
    }

    /// The metric name.
    pub fn metric(&self) -> &'a str {
        match self.repr {
            Repr::Canonical(bytes) => Walk(bytes).text().unwrap_or_default(),
            Repr::Numbered { table, refs, .. } => {
                let metric = Walk(refs).varint().unwrap_or(u64::from(u32::MAX));
                table.string(metric as u32)
            }
        }
    }

    /// The labels, sorted by key.
    pub fn labels(&self) -> Labels<'a> {
        match self.repr {
            Repr::Canonical(bytes) => {
                let mut walk = Walk(bytes);
                walk.text();
                let left = walk.u32().unwrap_or(0);
                Labels {
                    walk,
                    left,
                    table: None,
                    numbers: None,
                }
            }
            Repr::Numbered { table, .. } => match self.numbers() {
                Some((_, numbers)) => Labels {
                    walk: Walk(&[]),
                    left: 0,
                    table: Some(table),
                    numbers: Some(numbers),
                },
                None => Labels {
                    walk: Walk(&[]),
                    left: 0,
                    table: None,
                    numbers: None,
                },
            },
        }
    }

    /// For metadata of a version-2 or -3 file: the metric's string number
    /// and the label pairs' numbers in its [`LabelTable`].
    pub fn numbers(&self) -> Option<(u32, PairNumbers<'a>)> {
        let Repr::Numbered {
            refs, ascending, ..
        } = self.repr
        else {
            return None;
        };
        let mut walk = Walk(refs);
        let metric = walk.varint()? as u32;
        let left = walk.varint()? as u32;
        let next = ascending.then_some(0);
        Some((metric, PairNumbers { walk, left, next }))
    }

    /// The value of label `key`, if present.
    pub fn label(&self, key: &str) -> Option<&'a str> {
        self.labels().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// An owned copy.
    pub fn to_meta(&self) -> SeriesMeta {
        let labels = self.labels().map(|(k, v)| (k.to_string(), v.to_string()));
        SeriesMeta::new(self.metric(), labels.collect())
    }
}

impl PartialEq for MetaView<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.metric() == other.metric() && self.labels().eq(other.labels())
    }
}

impl Eq for MetaView<'_> {}

impl PartialEq<SeriesMeta> for MetaView<'_> {
    fn eq(&self, other: &SeriesMeta) -> bool {
        self.metric() == other.metric()
            && self
                .labels()
                .eq(other.labels().iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }
}

/// Writes [`SeriesMeta::key`].
impl fmt::Display for MetaView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.to_meta(), f)
    }
}

impl fmt::Debug for MetaView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetaView")
            .field("metric", &self.metric())
            .field("labels", &self.labels().collect::<Vec<_>>())
            .finish()
    }
}

/// The labels of a [`MetaView`], as `(key, value)`.
#[derive(Debug, Clone)]
pub struct Labels<'a> {
    /// Canonical bytes: the labels left to read, and how many.
    walk: Walk<'a>,
    left: u32,
    /// Numbered metadata: the table and the pair numbers left.
    table: Option<&'a LabelTable>,
    numbers: Option<PairNumbers<'a>>,
}

impl<'a> Labels<'a> {
    /// How many labels are left.
    pub(crate) fn left(&self) -> u32 {
        match &self.numbers {
            Some(numbers) => numbers.left,
            None => self.left,
        }
    }
}

impl<'a> Iterator for Labels<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        match (self.table, &mut self.numbers) {
            (Some(table), Some(numbers)) => table.pair(numbers.next()?),
            _ => {
                self.left = self.left.checked_sub(1)?;
                Some((self.walk.text()?, self.walk.text()?))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left() as usize))
    }
}

/// The pair numbers of a version-2 or -3 series ([`MetaView::numbers`]).
#[derive(Debug, Clone)]
pub struct PairNumbers<'a> {
    walk: Walk<'a>,
    left: u32,
    /// Gaps (version 3 as read): the smallest number the next may be.
    next: Option<u64>,
}

impl Iterator for PairNumbers<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        self.left = self.left.checked_sub(1)?;
        let stored = self.walk.varint()?;
        let number = match self.next {
            Some(next) => next.wrapping_add(stored),
            None => stored,
        };
        if let Some(next) = &mut self.next {
            *next = number.wrapping_add(1);
        }
        Some(number as u32)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left as usize))
    }
}

/// Steps through bytes a parse accepted; anything short ends the walk (no
/// panic) though checked bytes never are.
#[derive(Debug, Clone)]
struct Walk<'a>(&'a [u8]);

impl<'a> Walk<'a> {
    fn u32(&mut self) -> Option<u32> {
        let (head, rest) = self.0.split_first_chunk::<4>()?;
        self.0 = rest;
        Some(u32::from_le_bytes(*head))
    }

    fn text(&mut self) -> Option<&'a str> {
        let len = self.u32()? as usize;
        let bytes = self.0.get(..len)?;
        self.0 = self.0.get(len..)?;
        std::str::from_utf8(bytes).ok()
    }

    fn varint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self.0.split_first()?;
            self.0 = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }
}

/// Label keys must be strictly ascending (the canonical order).
fn check_order<'k>(previous: &mut Option<&'k str>, key: &'k str, at: u64) -> Result<()> {
    if previous.is_some_and(|p| p >= key) {
        return Err(FormatError::corrupt(
            "label keys sorted and unique (canonical metadata)",
            at,
        ));
    }
    *previous = Some(key);
    Ok(())
}

fn text<'a>(cursor: &mut Cursor<'a>) -> Result<&'a str> {
    let len = cursor.u32("text length")? as usize;
    let at = cursor.offset();
    let bytes = cursor.take(len, "text")?;
    std::str::from_utf8(bytes).map_err(|_| FormatError::corrupt("UTF-8 text", at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(metric: &str, labels: &[(&str, &str)]) -> SeriesMeta {
        let labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        SeriesMeta::new(metric, labels.collect())
    }

    #[test]
    fn reads_back_any_metadata() {
        for m in [
            meta("", &[]),
            meta("cpu", &[("host", "a"), ("", ""), ("größe", "a\u{0}b")]),
            meta("m{x", &[("__name__", "v")]),
        ] {
            let bytes = m.canonical_bytes();
            let view = MetaView::parse(&bytes, 0).unwrap();
            assert_eq!(view.to_meta(), m);
            assert_eq!(view, m);
            assert_eq!(view.id(), m.id());
            assert_eq!(view.to_string(), m.to_string());
            for (k, v) in m.labels() {
                assert_eq!(view.label(k), Some(v.as_str()));
            }
            assert_eq!(view.label("absent"), None);
        }
    }

    /// Canonical-looking bytes of labels in the order given.
    fn raw(metric: &str, labels: &[(&str, &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        let text = |out: &mut Vec<u8>, s: &str| {
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        };
        text(&mut out, metric);
        out.extend_from_slice(&(labels.len() as u32).to_le_bytes());
        for (k, v) in labels {
            text(&mut out, k);
            text(&mut out, v);
        }
        out
    }

    #[test]
    fn refuses_every_truncation_and_unsorted_keys() {
        let m = meta("cpu", &[("a", "1"), ("b", "2")]);
        let bytes = m.canonical_bytes();
        for len in 0..bytes.len() {
            assert!(MetaView::parse(&bytes[..len], 0).is_err(), "{len}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(MetaView::parse(&longer, 0).is_err());
        // Keys out of order, or repeated: not canonical.
        assert!(MetaView::parse(&raw("cpu", &[("b", "2"), ("a", "1")]), 0).is_err());
        assert!(MetaView::parse(&raw("cpu", &[("a", "1"), ("a", "2")]), 0).is_err());
        assert!(MetaView::parse(&raw("cpu", &[("a", "1"), ("b", "2")]), 0).is_ok());
        let bad_utf8 = b"\x02\0\0\0\xff\xfe\0\0\0\0";
        assert!(MetaView::parse(bad_utf8, 0).is_err());
    }
}
