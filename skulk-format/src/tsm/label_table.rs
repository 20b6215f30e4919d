//! The string and label-pair tables of a version-2 series index
//! (`FORMAT.md`, "Series index, version 2").

use hashbrown::HashMap;

use super::cursor::{Cursor, put_varint};
use crate::{FormatError, Result};

/// Smallest encoded string: its varint length.
const MIN_STRING_LEN: usize = 1;
/// Smallest encoded pair: two varints.
const MIN_PAIR_LEN: usize = 2;

/// The distinct strings and (label name, label value) pairs of a
/// version-2 file, which its series entries name by number. Obtained from
/// [`crate::TsmReader::label_table`]; a reader that keeps its own catalog
/// maps each pair once instead of each series' labels.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LabelTable {
    text: String,
    /// `ends[i]` is where string `i` ends in `text`.
    ends: Vec<u32>,
    /// Per pair: its name and value string numbers.
    pairs: Vec<(u32, u32)>,
}

impl LabelTable {
    /// Number of strings.
    pub fn string_count(&self) -> u32 {
        self.ends.len() as u32
    }

    /// String `i` (empty past the end; the series entries were checked to
    /// name only strings that exist).
    #[inline]
    pub fn string(&self, i: u32) -> &str {
        let i = i as usize;
        let end = self.ends.get(i).map_or(0, |&e| e as usize);
        let start = match i.checked_sub(1) {
            Some(prev) => self.ends.get(prev).map_or(0, |&e| e as usize),
            None => 0,
        };
        self.text.get(start..end).unwrap_or_default()
    }

    /// Number of pairs.
    pub fn pair_count(&self) -> u32 {
        self.pairs.len() as u32
    }

    /// Pair `i` as (name, value) string numbers, if it exists.
    #[inline]
    pub fn pair_numbers(&self, i: u32) -> Option<(u32, u32)> {
        self.pairs.get(i as usize).copied()
    }

    /// Pair `i` as (name, value), if it exists.
    #[inline]
    pub fn pair(&self, i: u32) -> Option<(&str, &str)> {
        let (name, value) = self.pair_numbers(i)?;
        Some((self.string(name), self.string(value)))
    }

    /// Every pair as (name, value), by number.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        (0..self.pair_count()).filter_map(|i| self.pair(i))
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.text.capacity() + self.ends.capacity() * 4 + self.pairs.capacity() * 8
    }

    /// Decodes the tables at the start of a version-2 index.
    pub(crate) fn decode(cursor: &mut Cursor<'_>) -> Result<Self> {
        let count = cursor.u32("string count")? as usize;
        let what = "string count within the index";
        cursor.check_count(count as u64, MIN_STRING_LEN, what, cursor.offset())?;
        let mut table = LabelTable {
            text: String::new(),
            ends: Vec::with_capacity(count),
            pairs: Vec::new(),
        };
        for _ in 0..count {
            let len = cursor.varint_below(1 << 32, "string length")? as usize;
            let at = cursor.offset();
            let bytes = cursor.take(len, "string")?;
            let text =
                std::str::from_utf8(bytes).map_err(|_| FormatError::corrupt("UTF-8 text", at))?;
            table.text.push_str(text);
            let end = u32::try_from(table.text.len())
                .map_err(|_| FormatError::corrupt("strings of at most 4 GiB in all", at))?;
            table.ends.push(end);
        }
        let pairs = cursor.u32("pair count")? as usize;
        let what = "pair count within the index";
        cursor.check_count(pairs as u64, MIN_PAIR_LEN, what, cursor.offset())?;
        table.pairs.reserve_exact(pairs);
        let strings = count as u64;
        for _ in 0..pairs {
            let name = cursor.varint_below(strings, "pair name string")? as u32;
            let value = cursor.varint_below(strings, "pair value string")? as u32;
            table.pairs.push((name, value));
        }
        table.text.shrink_to_fit();
        Ok(table)
    }
}

/// Builds the tables of a file being written: each string and pair once,
/// numbered in order of first use.
#[derive(Debug, Default)]
pub(crate) struct TableBuilder<'a> {
    strings: HashMap<&'a str, u32>,
    string_list: Vec<&'a str>,
    /// Bytes of all strings: a reader refuses more than 4 GiB.
    text_len: u64,
    /// Pair numbers by name string number and value text: a known pair
    /// costs one lookup.
    pairs: HashMap<(u32, &'a str), u32>,
    pair_list: Vec<(u32, u32)>,
}

impl<'a> TableBuilder<'a> {
    /// The number of `s`.
    pub fn string(&mut self, s: &'a str) -> Result<u32> {
        if let Some(&i) = self.strings.get(s) {
            return Ok(i);
        }
        let i = u32::try_from(self.string_list.len())
            .map_err(|_| FormatError::InvalidArgument("more than 2^32 strings".into()))?;
        self.text_len += s.len() as u64;
        if self.text_len > u64::from(u32::MAX) {
            let what = "label strings of more than 4 GiB in one file";
            return Err(FormatError::InvalidArgument(what.into()));
        }
        self.strings.insert(s, i);
        self.string_list.push(s);
        Ok(i)
    }

    /// The number of pair (string `name`, `value`).
    pub fn pair_of(&mut self, name: u32, value: &'a str) -> Result<u32> {
        if let Some(&i) = self.pairs.get(&(name, value)) {
            return Ok(i);
        }
        let value_number = self.string(value)?;
        let i = u32::try_from(self.pair_list.len())
            .map_err(|_| FormatError::InvalidArgument("more than 2^32 label pairs".into()))?;
        self.pairs.insert((name, value), i);
        self.pair_list.push((name, value_number));
        Ok(i)
    }

    /// Renumbers the pairs by how many series use them, most used first
    /// (ties in order of first use), so that the numbers most series
    /// carry take one varint byte; `uses[p]` counts pair `p`. Returns the
    /// new number of each old one.
    pub fn number_by_use(&mut self, uses: &[u64]) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.pair_list.len() as u32).collect();
        order.sort_by_key(|&p| (std::cmp::Reverse(uses.get(p as usize).copied()), p));
        self.reorder(order)
    }

    /// Renumbers the pairs by (name, value) text, as version 3 orders
    /// them, so that a series' pairs in number order are in canonical
    /// label order. Returns the new number of each old one.
    pub fn number_by_text(&mut self) -> Vec<u32> {
        let list = &self.pair_list;
        let text = |p: u32| {
            let (name, value) = list.get(p as usize).copied().unwrap_or_default();
            let get = |s: u32| {
                self.string_list
                    .get(s as usize)
                    .copied()
                    .unwrap_or_default()
            };
            (get(name), get(value))
        };
        let mut order: Vec<u32> = (0..list.len() as u32).collect();
        order.sort_by(|&a, &b| text(a).cmp(&text(b)));
        self.reorder(order)
    }

    /// Puts the pairs in `order` (old numbers); returns the new number of
    /// each old one.
    fn reorder(&mut self, order: Vec<u32>) -> Vec<u32> {
        let mut renumbered = vec![0; order.len()];
        for (new, &old) in order.iter().enumerate() {
            if let Some(slot) = renumbered.get_mut(old as usize) {
                *slot = new as u32;
            }
        }
        let old_list = std::mem::take(&mut self.pair_list);
        self.pair_list = order
            .iter()
            .filter_map(|&old| old_list.get(old as usize).copied())
            .collect();
        renumbered
    }

    /// Number of pairs.
    pub fn pair_count(&self) -> usize {
        self.pair_list.len()
    }

    /// Appends the string and pair tables.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.string_list.len() as u32).to_le_bytes());
        for s in &self.string_list {
            put_varint(out, s.len() as u64);
            out.extend_from_slice(s.as_bytes());
        }
        out.extend_from_slice(&(self.pair_list.len() as u32).to_le_bytes());
        for &(name, value) in &self.pair_list {
            put_varint(out, u64::from(name));
            put_varint(out, u64::from(value));
        }
    }
}
