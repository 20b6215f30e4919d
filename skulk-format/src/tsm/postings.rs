//! The postings of a version-3 series index (`FORMAT.md`, "Series index,
//! version 3"): per label pair, the positions of the series carrying it.
//! They are the file's only record of which labels a series has, so they
//! cannot disagree with the series entries; a reader inverts them once to
//! give each series its pairs.

use super::cursor::{Cursor, put_varint};
use super::label_table::LabelTable;
use crate::{FormatError, Result};

/// Appends the postings of `series_pairs` (per series, in index order, the
/// numbers of its pairs) for a table of `pair_count` pairs: per pair, its
/// series count, its first position and the gaps between positions (each
/// minus one, as positions strictly ascend).
pub(crate) fn encode_postings<'a>(
    series_pairs: impl Iterator<Item = &'a [u32]> + Clone,
    pair_count: usize,
    out: &mut Vec<u8>,
) {
    let mut counts = vec![0u32; pair_count];
    for &p in series_pairs.clone().flatten() {
        if let Some(n) = counts.get_mut(p as usize) {
            *n += 1;
        }
    }
    let mut starts = Vec::with_capacity(pair_count + 1);
    let mut total = 0usize;
    starts.push(0);
    for &n in &counts {
        total += n as usize;
        starts.push(total);
    }
    // Positions grouped by pair; series are visited in ascending order, so
    // each pair's positions come out sorted.
    let mut positions = vec![0u32; total];
    let mut filled = starts.clone();
    for (series, pairs) in series_pairs.enumerate() {
        for &p in pairs {
            if let Some(next) = filled.get_mut(p as usize)
                && let Some(slot) = positions.get_mut(*next)
            {
                *slot = series as u32;
                *next += 1;
            }
        }
    }
    for (&from, &to) in starts.iter().zip(starts.iter().skip(1)) {
        let list = positions.get(from..to).unwrap_or_default();
        put_varint(out, list.len() as u64);
        let mut previous: Option<u32> = None;
        for &position in list {
            let gap = match previous {
                None => position,
                Some(prev) => position - prev - 1,
            };
            put_varint(out, u64::from(gap));
            previous = Some(position);
        }
    }
}

/// Per series, the numbers of its pairs, inverted from the postings: the
/// pairs of series `s` are `pairs[starts[s]..starts[s + 1]]`, ascending.
#[derive(Debug, Default)]
pub(crate) struct SeriesPairs {
    starts: Vec<u32>,
    pairs: Vec<u32>,
}

impl SeriesPairs {
    /// The pairs of series `s`.
    pub(crate) fn of(&self, s: usize) -> &[u32] {
        match (self.starts.get(s), self.starts.get(s + 1)) {
            (Some(&from), Some(&to)) => self.pairs.get(from as usize..to as usize),
            _ => None,
        }
        .unwrap_or_default()
    }
}

/// Where a checked postings list is in its walk: the byte after its last
/// read gap, how many positions are left, and the next one.
#[derive(Debug, Clone, Copy)]
struct ListWalk {
    at: usize,
    left: u32,
    next: u32,
}

impl ListWalk {
    /// Steps past the current position (the list was checked: its gaps are
    /// there and keep positions below the series count).
    #[inline]
    fn advance(&mut self, bytes: &[u8]) {
        self.left -= 1;
        if self.left > 0 {
            let mut rest = bytes.get(self.at..).unwrap_or_default();
            let before = rest.len();
            let gap = varint(&mut rest).unwrap_or_default();
            self.at += before - rest.len();
            self.next = self.next.wrapping_add(1).wrapping_add(gap as u32);
        }
    }
}

/// Series per range of the inversion: its slice of the pair array stays
/// in cache while every list stores into it.
const INVERT_RANGE: usize = 1 << 15;

/// Reads the postings of `table`'s pairs for `series` series from the
/// cursor, checking that each list is non-empty, strictly ascending and
/// below `series`, and that no series carries two pairs of one label name;
/// `bytes` are the bytes the cursor reads, starting at file offset `base`.
/// Returns each series' pairs and the file range of the postings.
pub(crate) fn decode_postings(
    cursor: &mut Cursor<'_>,
    bytes: &[u8],
    base: u64,
    table: &LabelTable,
    series: u32,
) -> Result<(SeriesPairs, std::ops::Range<u64>)> {
    decode_postings_by(cursor, bytes, base, table, series, INVERT_RANGE)
}

/// [`decode_postings`], inverting `range` series at a time.
fn decode_postings_by(
    cursor: &mut Cursor<'_>,
    bytes: &[u8],
    base: u64,
    table: &LabelTable,
    series: u32,
    range: usize,
) -> Result<(SeriesPairs, std::ops::Range<u64>)> {
    let groups = name_groups(table, cursor.offset())?;
    let start = cursor.offset();
    // First, check every list and note where its walk starts.
    let mut walks = Vec::with_capacity(table.pair_count() as usize);
    let mut total = 0u64;
    for _ in 0..table.pair_count() {
        let walk = check_list(cursor, base, series)?;
        total += u64::from(walk.left);
        walks.push(walk);
    }
    let end = cursor.offset();
    if total >= u64::from(u32::MAX) {
        return Err(FormatError::corrupt("at most 2^32 postings entries", start));
    }
    let (starts, pairs) = invert(walks, bytes, series as usize, total as usize, range);
    // Then, in order: no series has two pairs of one name.
    for (&from, &to) in starts.iter().zip(starts.iter().skip(1)) {
        let listed = pairs.get(from as usize..to as usize).unwrap_or_default();
        let group = |p: &u32| groups.get(*p as usize).copied();
        if listed
            .windows(2)
            .any(|w| w.first().map(group) == w.get(1).map(group))
        {
            let what = "one value per label name in a series (postings)";
            return Err(FormatError::corrupt(what, start));
        }
    }
    Ok((SeriesPairs { starts, pairs }, start..end))
}

/// Inverts checked postings (one walk per pair, in pair order) into each
/// series' pairs, `range` series at a time: each range counts its series'
/// pairs, then fills them, walking every list only as far as the range.
/// Ranges are fewer when pairs are many, so that looking at every walk per
/// range costs at most a few times the entries.
fn invert(
    walks: Vec<ListWalk>,
    bytes: &[u8],
    series: usize,
    total: usize,
    range: usize,
) -> (Vec<u32>, Vec<u32>) {
    let ranges = (series / range.max(1))
        .min(total.saturating_mul(4) / walks.len().max(1))
        .max(1);
    let width = series.div_ceil(ranges).max(1);
    let mut starts = Vec::with_capacity(series + 1);
    starts.push(0u32);
    let mut pairs = vec![0u32; total];
    let (mut counting, mut filling) = (walks.clone(), walks);
    let mut counts = vec![0u32; width];
    let mut sum = 0u32;
    for low in (0..series).step_by(width) {
        let high = (low + width).min(series) as u32;
        counts.fill(0);
        for walk in counting.iter_mut() {
            while walk.left > 0 && walk.next < high {
                if let Some(n) = counts.get_mut(walk.next as usize - low) {
                    *n += 1;
                }
                walk.advance(bytes);
            }
        }
        let first = starts.len() - 1;
        for &n in counts.iter().take(high as usize - low) {
            sum += n;
            starts.push(sum);
        }
        let mut filled: Vec<u32> = starts
            .get(first..starts.len() - 1)
            .unwrap_or_default()
            .to_vec();
        for (p, walk) in filling.iter_mut().enumerate() {
            while walk.left > 0 && walk.next < high {
                if let Some(next) = filled.get_mut(walk.next as usize - low) {
                    if let Some(slot) = pairs.get_mut(*next as usize) {
                        *slot = p as u32;
                    }
                    *next += 1;
                }
                walk.advance(bytes);
            }
        }
    }
    (starts, pairs)
}

/// Per pair, the number of its label name's run in the table: pairs are
/// sorted by (name, value) text, strictly (checked here; `at` is where the
/// postings start, the error's offset).
fn name_groups(table: &LabelTable, at: u64) -> Result<Vec<u32>> {
    let mut groups = Vec::with_capacity(table.pair_count() as usize);
    let mut previous: Option<(&str, &str)> = None;
    let mut group = 0u32;
    for pair in table.pairs() {
        if let Some(prev) = previous {
            if prev >= pair {
                let what = "label pairs sorted by name and value, each once";
                return Err(FormatError::corrupt(what, at));
            }
            if prev.0 != pair.0 {
                group += 1;
            }
        }
        groups.push(group);
        previous = Some(pair);
    }
    Ok(groups)
}

/// Checks one postings list; returns its walk, ready at its first
/// position (the cursor reads bytes starting at file offset `base`).
fn check_list(cursor: &mut Cursor<'_>, base: u64, series: u32) -> Result<ListWalk> {
    let at = cursor.offset();
    let count = cursor.varint_below(u64::from(series) + 1, "postings length")?;
    if count == 0 {
        return Err(FormatError::corrupt("a pair carried by a series", at));
    }
    cursor.check_count(count, 1, "postings within the index", at)?;
    let mut walk = ListWalk {
        at: 0,
        left: count as u32,
        next: 0,
    };
    let mut next: u64 = 0;
    for i in 0..count {
        let at = cursor.offset();
        let position = next.saturating_add(cursor.varint("postings gap")?);
        if position >= u64::from(series) {
            return Err(FormatError::corrupt("postings below the series count", at));
        }
        next = position + 1;
        if i == 0 {
            // The walk resumes after the first position's varint.
            walk.at = (cursor.offset() - base) as usize;
            walk.next = position as u32;
        }
    }
    Ok(walk)
}

/// The postings of a version-3 file ([`crate::TsmReader::postings`]): per
/// pair of its [`LabelTable`], in pair order, the positions (in
/// [`crate::TsmReader::series`] order) of the series carrying it,
/// ascending. Read in place from bytes checked when the file was opened.
#[derive(Debug, Clone)]
pub struct Postings<'a> {
    walk: &'a [u8],
    pair: u32,
    pairs: u32,
}

impl<'a> Postings<'a> {
    /// The postings in `bytes`, the checked postings of `pairs` pairs.
    pub(crate) fn new(bytes: &'a [u8], pairs: u32) -> Self {
        Self {
            walk: bytes,
            pair: 0,
            pairs,
        }
    }
}

impl<'a> Iterator for Postings<'a> {
    type Item = (u32, PostingsList<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.pair >= self.pairs {
            return None;
        }
        let count = varint(&mut self.walk)?;
        let list = PostingsList {
            walk: self.walk,
            left: count,
            next: 0,
        };
        // Skip the list's gaps: one final byte each.
        let mut ends = 0;
        let mut taken = 0;
        for &byte in self.walk {
            taken += 1;
            if byte & 0x80 == 0 {
                ends += 1;
                if ends == count {
                    break;
                }
            }
        }
        self.walk = self.walk.get(taken..)?;
        let pair = self.pair;
        self.pair += 1;
        Some((pair, list))
    }
}

/// The positions of the series carrying one pair, ascending.
#[derive(Debug, Clone)]
pub struct PostingsList<'a> {
    walk: &'a [u8],
    left: u64,
    next: u64,
}

impl PostingsList<'_> {
    /// Number of positions left.
    pub fn len(&self) -> usize {
        self.left as usize
    }

    /// True when no position is left.
    pub fn is_empty(&self) -> bool {
        self.left == 0
    }
}

impl Iterator for PostingsList<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        self.left = self.left.checked_sub(1)?;
        let position = self.next.wrapping_add(varint(&mut self.walk)?);
        self.next = position.wrapping_add(1);
        Some(position as u32)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left as usize))
    }
}

/// A varint from checked bytes; `None` where they end early.
fn varint(walk: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = walk.split_first()?;
        *walk = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tsm::label_table::TableBuilder;

    /// A table of `pairs` pairs with distinct names, encoded and decoded.
    fn table(names: &[String]) -> LabelTable {
        let mut builder = TableBuilder::default();
        for name in names {
            let n = builder.string(name).unwrap();
            builder.pair_of(n, "v").unwrap();
        }
        let mut out = Vec::new();
        builder.encode(&mut out);
        LabelTable::decode(&mut Cursor::new(&out, 0)).unwrap()
    }

    #[test]
    fn inverting_by_ranges_gives_each_series_its_pairs() {
        let names: Vec<String> = (0..40).map(|i| format!("k{i:02}")).collect();
        let table = table(&names);
        // Series `s` carries pair `p` when a mix of both is odd, and pair
        // `s % 40` always: every series has pairs, spread unevenly.
        let series: Vec<Vec<u32>> = (0..1000u32)
            .map(|s| {
                let mut pairs: Vec<u32> = (0..40)
                    .filter(|&p| (s * 7 + p * 13 + s * p) % 5 == 1 || p == s % 40)
                    .collect();
                pairs.dedup();
                pairs
            })
            .collect();
        let mut bytes = Vec::new();
        encode_postings(series.iter().map(Vec::as_slice), 40, &mut bytes);
        for range in [1, 3, 64, 999, 1000, 1 << 20] {
            let mut cursor = Cursor::new(&bytes, 0);
            let (decoded, at) =
                decode_postings_by(&mut cursor, &bytes, 0, &table, 1000, range).unwrap();
            assert_eq!(at, 0..bytes.len() as u64);
            for (s, pairs) in series.iter().enumerate() {
                assert_eq!(decoded.of(s), pairs.as_slice(), "series {s}, range {range}");
            }
        }
    }
}
