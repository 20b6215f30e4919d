//! The series index, see `FORMAT.md`, "Series index".

use super::block::{BLOCK_ENTRY_LEN, BlockRef, INLINE_VALUE_LEN};
use super::cursor::{Cursor, put_varint, unzigzag, zigzag};
use super::label_table::{LabelTable, TableBuilder};
use super::meta_view::MetaView;
use super::postings::{Postings, encode_postings};
use super::version::FormatVersion;
use crate::{FormatError, IdCheck, Result, SeriesId, SeriesMeta, WrongId};

mod v3;

/// Smallest possible encoded series entry: id, metadata length, the
/// smallest metadata (two `u32`s) and the block count.
const MIN_ENTRY_LEN: usize = 8 + 4 + 8 + 4;
/// Canonical metadata up to this long is copied and hashed four entries at
/// a time; longer metadata is hashed in place, one entry at a time.
const BATCHED_META_LEN: u64 = 64 << 10;
/// Smallest version-2 series entry: id, metric, label count, block count.
const MIN_ENTRY_LEN_V2: usize = 8 + 3;
/// Smallest version-3 series entry: metric, block count.
const MIN_ENTRY_LEN_V3: usize = 2;
/// Smallest version-2 block entry: three one-byte varints (point count,
/// min timestamp, max timestamp) before the record's offset and length, or
/// two before an inline value's 8 bytes.
const MIN_BLOCK_ENTRY_LEN_V2: usize = 5;

/// One series of a TSM file: its id, metadata and blocks ordered by time,
/// borrowed from the reader ([`crate::TsmReader::series`],
/// [`crate::TsmReader::entry`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesEntry<'a> {
    /// The series id, the hash of `meta`.
    pub id: SeriesId,
    /// The series' metric and labels, read in place.
    pub meta: MetaView<'a>,
    /// The series' blocks, ordered by time, not overlapping.
    pub blocks: &'a [BlockRef],
}

impl SeriesEntry<'_> {
    /// Number of points in the series.
    pub fn point_count(&self) -> u64 {
        self.blocks.iter().map(|b| u64::from(b.point_count)).sum()
    }
}

/// A series as the writer collects it: its canonical metadata and blocks.
#[derive(Debug, Clone)]
pub(crate) struct WrittenSeries {
    pub id: SeriesId,
    pub meta: Vec<u8>,
    pub blocks: Vec<BlockRef>,
    /// The value bits of the inline blocks (one point each, no record), in
    /// block order.
    pub inline: Vec<u64>,
}

impl WrittenSeries {
    /// A series without blocks yet; `id` is `meta.id()`.
    pub(crate) fn new(id: SeriesId, meta: &SeriesMeta) -> Self {
        Self {
            id,
            meta: meta.canonical_bytes(),
            blocks: Vec::new(),
            inline: Vec::new(),
        }
    }

    /// Appends the entry (`FORMAT.md`, "Series entry").
    fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        let too_big = |what: &str| FormatError::InvalidArgument(format!("{what} exceeds u32"));
        out.extend_from_slice(&self.id.0.to_le_bytes());
        let meta_len = u32::try_from(self.meta.len()).map_err(|_| too_big("metadata"))?;
        out.extend_from_slice(&meta_len.to_le_bytes());
        out.extend_from_slice(&self.meta);
        let blocks = u32::try_from(self.blocks.len()).map_err(|_| too_big("block count"))?;
        out.extend_from_slice(&blocks.to_le_bytes());
        for block in &self.blocks {
            block.encode(out);
        }
        Ok(())
    }
}

/// Encodes the index of `entries`, which must be sorted by id, in
/// `version`; `min_ts` is the file's smallest timestamp (the header's).
pub(crate) fn encode_index(
    entries: &[WrittenSeries],
    version: FormatVersion,
    min_ts: i64,
    out: &mut Vec<u8>,
) -> Result<()> {
    let count = u32::try_from(entries.len())
        .map_err(|_| FormatError::InvalidArgument("more than u32::MAX series".into()))?;
    if version == FormatVersion::V1 {
        out.extend_from_slice(&count.to_le_bytes());
        return entries.iter().try_for_each(|entry| entry.encode(out));
    }
    let mut tables = TableBuilder::default();
    // Per series: its metric's string number, then where its pair numbers
    // end in `pairs` (one vector for all, not one per series).
    let mut numbered: Vec<(u32, usize)> = Vec::with_capacity(entries.len());
    let mut pairs: Vec<u32> = Vec::new();
    let mut uses: Vec<u64> = Vec::new();
    // The label names of the previous series by position: series of one
    // source share them, and a name equal to it is not hashed again.
    let mut recent: Vec<(&[u8], u32)> = Vec::new();
    for entry in entries {
        let meta = MetaView::checked(&entry.meta);
        let metric = tables.string(meta.metric())?;
        for (position, (name, value)) in meta.labels().enumerate() {
            let name = match recent.get(position) {
                Some(&(text, number)) if text == name.as_bytes() => number,
                _ => {
                    let number = tables.string(name)?;
                    match recent.get_mut(position) {
                        Some(slot) => *slot = (name.as_bytes(), number),
                        None => recent.push((name.as_bytes(), number)),
                    }
                    number
                }
            };
            let p = tables.pair_of(name, value)?;
            if uses.len() <= p as usize {
                uses.resize(p as usize + 1, 0);
            }
            if let Some(n) = uses.get_mut(p as usize) {
                *n += 1;
            }
            pairs.push(p);
        }
        numbered.push((metric, pairs.len()));
    }
    let v3 = version >= FormatVersion::V3;
    let renumbered = match v3 {
        true => tables.number_by_text(),
        false => tables.number_by_use(&uses),
    };
    for p in &mut pairs {
        *p = renumbered.get(*p as usize).copied().unwrap_or(*p);
    }
    tables.encode(out);
    out.extend_from_slice(&count.to_le_bytes());
    let mut start = 0;
    let series_pairs: Vec<&[u32]> = numbered
        .iter()
        .map(|&(_, end)| {
            let series = pairs.get(start..end).unwrap_or_default();
            start = end;
            series
        })
        .collect();
    if v3 {
        // In number order, which is canonical label order in version 3.
        encode_postings(series_pairs.iter().copied(), tables.pair_count(), out);
    }
    for ((entry, &(metric, _)), series_pairs) in entries.iter().zip(&numbered).zip(series_pairs) {
        if !v3 {
            out.extend_from_slice(&entry.id.0.to_le_bytes());
        }
        put_varint(out, u64::from(metric));
        if !v3 {
            put_varint(out, series_pairs.len() as u64);
            series_pairs
                .iter()
                .for_each(|&p| put_varint(out, u64::from(p)));
        }
        encode_blocks(entry, min_ts, out)?;
    }
    Ok(())
}

/// Appends the block count and block entries of `entry` (versions 2 and
/// 3); `min_ts` is the file's smallest timestamp.
fn encode_blocks(entry: &WrittenSeries, min_ts: i64, out: &mut Vec<u8>) -> Result<()> {
    put_varint(out, entry.blocks.len() as u64);
    let mut previous = min_ts;
    let mut inline = entry.inline.iter();
    for block in &entry.blocks {
        put_varint(out, u64::from(block.point_count));
        put_varint(out, zigzag(block.min_ts.wrapping_sub(previous)));
        if block.is_inline() {
            let bits = inline.next().ok_or_else(|| {
                FormatError::InvalidArgument("an inline block without its value".into())
            })?;
            out.extend_from_slice(&bits.to_le_bytes());
        } else {
            put_varint(out, block.max_ts.wrapping_sub(block.min_ts) as u64);
            put_varint(out, block.offset);
            put_varint(out, u64::from(block.len));
        }
        previous = block.max_ts;
    }
    Ok(())
}

/// Where one series' entry lies: 24 bytes per series in memory, the
/// metadata left in the file's bytes (versions 1 and 2) or in
/// [`Index::refs`] (version 3).
#[derive(Debug, Clone, Copy)]
struct Slot {
    id: SeriesId,
    /// Offset of the metadata: in the file, or in [`Index::refs`].
    meta_at: u64,
    meta_len: u32,
    /// The series' blocks start here in [`Index::blocks`] and end where the
    /// next series' start.
    first_block: u32,
}

/// A decoded series index: per series its id and where its metadata lies,
/// and every block entry in one vector.
#[derive(Debug, Default)]
pub(crate) struct Index {
    slots: Vec<Slot>,
    blocks: Vec<BlockRef>,
    /// The string and pair tables of a version-2 or -3 file.
    table: Option<LabelTable>,
    /// Version 3: each series' metric and pair numbers as version 2
    /// stores them in its entries (varints), rebuilt from the postings,
    /// but the pair numbers as gaps (`MetaView::ascending`).
    refs: Vec<u8>,
    /// Version 3: where the postings lie in the file.
    postings: Option<std::ops::Range<u64>>,
}

/// The error for an entry (at file offset `wrong.tag`) whose id is not
/// its metadata's hash.
fn wrong_id(wrong: WrongId<u64>) -> FormatError {
    FormatError::corrupt("series id equal to its metadata's hash", wrong.tag)
}

/// Where an index lies and what bounds its entries.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IndexPlace {
    /// File offset of the index's first byte.
    pub base: u64,
    /// End of the data section: every block record ends by it.
    pub data_end: u64,
    /// The header's min timestamp, which version 2's block entries are
    /// relative to.
    pub min_ts: i64,
}

impl Index {
    /// Decodes an index of `version` spanning exactly `bytes`.
    pub(crate) fn decode(bytes: &[u8], version: FormatVersion, place: IndexPlace) -> Result<Self> {
        if version >= FormatVersion::V3 {
            return Self::decode_v3(bytes, place);
        }
        let base = place.base;
        let mut cursor = Cursor::new(bytes, base);
        let table = match version {
            FormatVersion::V1 => None,
            _ => Some(LabelTable::decode(&mut cursor)?),
        };
        let count_at = cursor.offset();
        let count = cursor.u32("series count")? as usize;
        let min_len = match table {
            None => MIN_ENTRY_LEN,
            Some(_) => MIN_ENTRY_LEN_V2,
        };
        let what = "series count within the index";
        cursor.check_count(count as u64, min_len, what, count_at)?;
        let mut index = Index {
            slots: Vec::with_capacity(count),
            ..Index::default()
        };
        // Each id must be its metadata's hash: checked four at a time.
        let mut ids = IdCheck::default();
        for _ in 0..count {
            let at = cursor.offset();
            let slot = match &table {
                None => index.decode_entry(&mut cursor, place.data_end, &mut ids)?,
                Some(table) => index.decode_entry_v2(&mut cursor, bytes, table, place, &mut ids)?,
            };
            if index.slots.last().is_some_and(|prev| prev.id >= slot.id) {
                return Err(FormatError::corrupt("series sorted by id, ids unique", at));
            }
            index.slots.push(slot);
        }
        ids.finish().map_err(wrong_id)?;
        if cursor.remaining() != 0 {
            return Err(FormatError::corrupt(
                "index ending at its length",
                cursor.offset(),
            ));
        }
        index.blocks.shrink_to_fit();
        index.table = table;
        Ok(index)
    }

    /// Decodes one version-2 series entry, appending its blocks.
    fn decode_entry_v2(
        &mut self,
        cursor: &mut Cursor<'_>,
        bytes: &[u8],
        table: &LabelTable,
        place: IndexPlace,
        ids: &mut IdCheck<u64>,
    ) -> Result<Slot> {
        let at = cursor.offset();
        let id = SeriesId(cursor.u64("series id")?);
        let meta_at = cursor.offset();
        let (meta, canonical_len) = MetaView::parse_numbered(cursor, bytes, place.base, table)?;
        // Strings are stored once and may be named many times: metadata
        // too long to copy for a batched check is hashed piece by piece.
        if canonical_len <= BATCHED_META_LEN {
            ids.canonical(id, at, |out| meta.write_canonical(out))
                .map_err(wrong_id)?;
        } else if meta.id() != id {
            return Err(wrong_id(WrongId {
                tag: at,
                claimed: id,
                actual: meta.id(),
            }));
        }
        let meta_len = u32::try_from(cursor.offset() - meta_at)
            .map_err(|_| FormatError::corrupt("series metadata of at most 4 GiB", meta_at))?;
        let first_block = self.decode_blocks_v2(cursor, id, place)?;
        Ok(Slot {
            id,
            meta_at,
            meta_len,
            first_block,
        })
    }

    /// Decodes a version-2 or -3 entry's block count and block entries
    /// (of series `id`), appending them; returns where they start.
    fn decode_blocks_v2(
        &mut self,
        cursor: &mut Cursor<'_>,
        id: SeriesId,
        place: IndexPlace,
    ) -> Result<u32> {
        let count = cursor.varint_below(1 << 32, "block count")?;
        let first_block = self.begin_blocks(cursor, count, MIN_BLOCK_ENTRY_LEN_V2)?;
        for _ in 0..count {
            let entry_at = cursor.offset();
            let point_count = cursor.varint_below(1 << 32, "block point count")? as u32;
            let previous = self.previous_block(first_block);
            let base = previous.map_or(place.min_ts, |p| p.max_ts);
            let min_ts = base.wrapping_add(unzigzag(cursor.varint("block min timestamp")?));
            let block = if point_count == 1 {
                // One point: inline, its value's bits right here.
                let offset = cursor.offset();
                cursor.take(INLINE_VALUE_LEN, "inline block value")?;
                BlockRef {
                    series: id,
                    offset,
                    len: 0,
                    min_ts,
                    max_ts: min_ts,
                    point_count,
                }
            } else {
                let max_ts = min_ts.wrapping_add(cursor.varint("block max timestamp")? as i64);
                let block = BlockRef {
                    series: id,
                    offset: cursor.varint("block offset")?,
                    len: cursor.varint_below(1 << 32, "block length")? as u32,
                    min_ts,
                    max_ts,
                    point_count,
                };
                block.check(entry_at, place.data_end)?;
                block
            };
            self.push_block(first_block, block, entry_at)?;
        }
        Ok(first_block)
    }

    /// Checks that `count` block entries of at least `min_len` bytes fit
    /// what the cursor has left; returns where the series' blocks start.
    fn begin_blocks(&self, cursor: &Cursor<'_>, count: u64, min_len: usize) -> Result<u32> {
        let at = cursor.offset();
        cursor.check_count(count, min_len, "block count within the index", at)?;
        u32::try_from(self.blocks.len())
            .map_err(|_| FormatError::corrupt("at most u32::MAX blocks in a file", at))
    }

    /// The last block of the series whose blocks start at `first`, if any.
    fn previous_block(&self, first: u32) -> Option<BlockRef> {
        self.blocks.get(first as usize..)?.last().copied()
    }

    /// Appends `block` (its entry at `at`) to the series whose blocks start
    /// at `first`: it must start after the previous one ends.
    fn push_block(&mut self, first: u32, block: BlockRef, at: u64) -> Result<()> {
        if self
            .previous_block(first)
            .is_some_and(|prev| prev.max_ts >= block.min_ts)
        {
            return Err(FormatError::corrupt("blocks ordered by time", at));
        }
        self.blocks.push(block);
        Ok(())
    }

    /// The string and pair tables of a version-2 or -3 file.
    pub(crate) fn table(&self) -> Option<&LabelTable> {
        self.table.as_ref()
    }

    /// The postings of a version-3 file; `file` are the bytes the index
    /// was decoded from.
    pub(crate) fn postings<'a>(&'a self, file: &'a [u8]) -> Option<Postings<'a>> {
        let range = self.postings.as_ref()?;
        let bytes =
            file.get(usize::try_from(range.start).ok()?..usize::try_from(range.end).ok()?)?;
        Some(Postings::new(bytes, self.table.as_ref()?.pair_count()))
    }

    /// Decodes one series entry, appending its blocks.
    fn decode_entry(
        &mut self,
        cursor: &mut Cursor<'_>,
        data_end: u64,
        ids: &mut IdCheck<u64>,
    ) -> Result<Slot> {
        let at = cursor.offset();
        let id = SeriesId(cursor.u64("series id")?);
        let meta_len = cursor.u32("metadata length")?;
        let meta_at = cursor.offset();
        let meta = MetaView::parse(cursor.take(meta_len as usize, "series metadata")?, meta_at)?;
        ids.canonical(id, at, |out| meta.write_canonical(out))
            .map_err(wrong_id)?;
        let count = cursor.u32("block count")?;
        let first_block = self.begin_blocks(cursor, u64::from(count), BLOCK_ENTRY_LEN)?;
        for _ in 0..count {
            let entry_at = cursor.offset();
            let block = BlockRef::decode(cursor, id, data_end)?;
            self.push_block(first_block, block, entry_at)?;
        }
        Ok(Slot {
            id,
            meta_at,
            meta_len,
            first_block,
        })
    }

    /// Number of series.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Every block entry of every series.
    pub(crate) fn blocks(&self) -> &[BlockRef] {
        &self.blocks
    }

    /// Every series id, ascending.
    pub(crate) fn ids(&self) -> impl ExactSizeIterator<Item = SeriesId> + '_ {
        self.slots.iter().map(|slot| slot.id)
    }

    /// The position of series `id`, if held.
    pub(crate) fn position(&self, id: SeriesId) -> Option<usize> {
        self.slots.binary_search_by_key(&id, |slot| slot.id).ok()
    }

    /// The series at position `i`; `file` are the bytes the index was
    /// decoded from.
    pub(crate) fn entry<'a>(&'a self, i: usize, file: &'a [u8]) -> Option<SeriesEntry<'a>> {
        let slot = self.slots.get(i)?;
        let end = match self.slots.get(i + 1) {
            Some(next) => next.first_block as usize,
            None => self.blocks.len(),
        };
        let start = usize::try_from(slot.meta_at).ok()?;
        let range = start..start.checked_add(slot.meta_len as usize)?;
        let meta = match self.postings {
            Some(_) => self.refs.get(range)?,
            None => file.get(range)?,
        };
        let meta = match (&self.table, &self.postings) {
            (None, _) => MetaView::checked(meta),
            (Some(table), None) => MetaView::numbered(table, meta),
            (Some(table), Some(_)) => MetaView::ascending(table, meta),
        };
        Some(SeriesEntry {
            id: slot.id,
            meta,
            blocks: self.blocks.get(slot.first_block as usize..end)?,
        })
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>()
            + self.blocks.capacity() * std::mem::size_of::<BlockRef>()
            + self.table.as_ref().map_or(0, LabelTable::heap_bytes)
            + self.refs.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERSIONS: [FormatVersion; 3] = [FormatVersion::V1, FormatVersion::V2, FormatVersion::V3];

    fn entry(metric: &str, blocks: usize) -> WrittenSeries {
        let meta = SeriesMeta::new(
            metric,
            vec![("host".into(), "a".into()), ("dc".into(), metric.into())],
        );
        let mut entry = WrittenSeries::new(meta.id(), &meta);
        entry.blocks = (0..blocks as i64)
            .map(|i| BlockRef {
                series: entry.id,
                offset: 32 + 100 * i as u64,
                len: 100,
                min_ts: 10 * i - 3,
                max_ts: 10 * i + 5,
                point_count: 3,
            })
            .collect();
        entry
    }

    fn place(base: usize, data_end: u64) -> IndexPlace {
        IndexPlace {
            base: base as u64,
            data_end,
            min_ts: -7,
        }
    }

    /// The index bytes placed at file offset `base` of a file.
    fn file_with(entries: &mut [WrittenSeries], version: FormatVersion, base: usize) -> Vec<u8> {
        entries.sort_by_key(|e| e.id);
        let mut out = vec![0; base];
        encode_index(entries, version, -7, &mut out).unwrap();
        out
    }

    #[test]
    fn round_trips_in_both_versions() {
        for version in VERSIONS {
            let mut entries = vec![entry("a", 2), entry("b", 0), entry("c", 1)];
            let file = file_with(&mut entries, version, 500);
            let index = Index::decode(&file[500..], version, place(500, 500)).unwrap();
            assert_eq!(index.len(), 3);
            assert_eq!(index.table().is_some(), version != FormatVersion::V1);
            assert_eq!(
                index.postings(&file).is_some(),
                version == FormatVersion::V3
            );
            for (i, written) in entries.iter().enumerate() {
                let read = index.entry(i, &file).unwrap();
                assert_eq!(read.id, written.id);
                assert_eq!(read.meta.canonical_bytes(), written.meta);
                assert_eq!(read.meta.id(), written.id);
                assert_eq!(read.blocks, written.blocks);
                assert_eq!(index.position(written.id), Some(i));
            }
            assert!(index.entry(3, &file).is_none());
            assert_eq!(index.blocks().len(), 3);
        }
    }

    #[test]
    fn version_2_stores_each_string_and_pair_once() {
        let mut entries: Vec<WrittenSeries> = (0..5).map(|i| entry(&format!("m{i}"), 1)).collect();
        let mut v1 = entries.clone();
        let v1 = file_with(&mut v1, FormatVersion::V1, 0);
        let v2 = file_with(&mut entries, FormatVersion::V2, 0);
        let index = Index::decode(&v2, FormatVersion::V2, place(0, 500)).unwrap();
        let table = index.table().unwrap();
        // host, a, dc and the five metric names (each also a dc value).
        assert_eq!(table.string_count(), 8);
        assert_eq!(table.pair_count(), 6);
        assert!(
            (0..table.string_count()).all(|i| !table.string(i).is_empty()),
            "every string named"
        );
        assert!(v2.len() * 2 < v1.len(), "{} against {}", v2.len(), v1.len());
        let numbered = index.entry(0, &v2).unwrap().meta;
        let (metric, pairs) = numbered.numbers().unwrap();
        assert_eq!(table.string(metric), numbered.metric());
        let labels: Vec<_> = pairs.filter_map(|p| table.pair(p)).collect();
        assert_eq!(labels, numbered.labels().collect::<Vec<_>>());
    }

    #[test]
    fn every_truncation_and_inconsistency_is_refused() {
        for version in VERSIONS {
            let mut entries = vec![entry("a", 2), entry("b", 1)];
            let file = file_with(&mut entries, version, 0);
            for len in 0..file.len() {
                let decoded = Index::decode(&file[..len], version, place(0, 500));
                assert!(decoded.is_err(), "{version:?} {len}");
            }
            assert!(
                Index::decode(&file, version, place(0, 200)).is_err(),
                "block beyond the data section"
            );
            entries.swap(0, 1);
            let mut out = Vec::new();
            encode_index(&entries, version, -7, &mut out).unwrap();
            assert!(
                Index::decode(&out, version, place(0, 500)).is_err(),
                "unsorted ids"
            );
            let mut wrong_id = entry("a", 1);
            wrong_id.id = SeriesId(wrong_id.id.0 ^ 1);
            let mut out = Vec::new();
            encode_index(&[wrong_id], version, -7, &mut out).unwrap();
            // Version 3 stores no id: it is the hash, whatever was claimed.
            assert_eq!(
                Index::decode(&out, version, place(0, 500)).is_err(),
                version != FormatVersion::V3,
                "id not the hash"
            );
        }
    }

    #[test]
    fn every_byte_flip_of_a_numbered_index_is_refused_or_still_consistent() {
        for version in [FormatVersion::V2, FormatVersion::V3] {
            let mut entries = vec![entry("a", 2), entry("b", 1), entry("c", 0)];
            let file = file_with(&mut entries, version, 0);
            for i in 0..file.len() {
                for flip in [0x01u8, 0x80, 0xff] {
                    let mut bad = file.clone();
                    bad[i] ^= flip;
                    let Ok(index) = Index::decode(&bad, version, place(0, 500)) else {
                        continue;
                    };
                    // Whatever decodes is self-consistent: ids are the
                    // hashes of the metadata read back, and the postings
                    // name exactly the series carrying each pair.
                    for j in 0..index.len() {
                        let e = index.entry(j, &bad).unwrap();
                        assert_eq!(e.meta.to_meta().id(), e.id, "byte {i} ^ {flip:#x}");
                    }
                    let (Some(postings), Some(table)) = (index.postings(&bad), index.table())
                    else {
                        continue;
                    };
                    for (pair, positions) in postings {
                        let (name, value) = table.pair(pair).unwrap();
                        let listed: Vec<u32> = positions.collect();
                        let carrying: Vec<u32> = (0..index.len() as u32)
                            .filter(|&j| {
                                let e = index.entry(j as usize, &bad).unwrap();
                                e.meta.label(name) == Some(value)
                            })
                            .collect();
                        assert_eq!(listed, carrying, "byte {i} ^ {flip:#x}");
                    }
                }
            }
        }
    }

    #[test]
    fn version_3_postings_name_every_series_of_each_pair() {
        let mut entries: Vec<WrittenSeries> =
            (0..7).map(|i| entry(&format!("m{}", i % 3), 1)).collect();
        entries.sort_by_key(|e| e.id);
        entries.dedup_by_key(|e| e.id);
        let file = file_with(&mut entries, FormatVersion::V3, 0);
        let index = Index::decode(&file, FormatVersion::V3, place(0, 500)).unwrap();
        let table = index.table().unwrap();
        let pairs: Vec<_> = table.pairs().collect();
        let mut sorted = pairs.clone();
        sorted.sort();
        assert_eq!(pairs, sorted, "pairs numbered by text");
        let mut seen = 0;
        for (pair, positions) in index.postings(&file).unwrap() {
            let (name, value) = table.pair(pair).unwrap();
            for position in positions {
                let e = index.entry(position as usize, &file).unwrap();
                assert_eq!(e.meta.label(name), Some(value));
                seen += 1;
            }
        }
        // Every series carries `host` and `dc`.
        assert_eq!(seen, 2 * index.len());
    }

    /// A version-3 index by hand: strings `k`, `a`, `b`; two pairs of the
    /// string numbers `pairs`; `series` series of metric `k` without
    /// blocks; `postings` as given.
    fn hand_made_v3(pairs: [(u8, u8); 2], series: u32, postings: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&3u32.to_le_bytes());
        for s in ["k", "a", "b"] {
            out.push(1);
            out.extend_from_slice(s.as_bytes());
        }
        out.extend_from_slice(&2u32.to_le_bytes());
        for (name, value) in pairs {
            out.extend_from_slice(&[name, value]);
        }
        out.extend_from_slice(&series.to_le_bytes());
        for list in postings {
            out.extend_from_slice(list);
        }
        for _ in 0..series {
            out.extend_from_slice(&[0, 0]);
        }
        out
    }

    #[test]
    fn version_3_postings_that_no_series_could_carry_are_refused() {
        let decode = |bytes: &[u8]| Index::decode(bytes, FormatVersion::V3, place(0, 500));
        let err = |bytes: &[u8]| match decode(bytes) {
            Err(FormatError::Corrupt { what, .. }) => what,
            other => panic!("{other:?}"),
        };
        let (ka_kb, one) = ([(0, 1), (0, 2)], [1u8, 0].as_slice());
        // The control: k=a on series 0, k=b on series 1.
        let index = decode(&hand_made_v3(ka_kb, 2, &[one, &[1, 1]])).unwrap();
        assert_eq!(index.len(), 2);
        let labels = |i| index.entry(i, &[]).unwrap().meta.to_meta();
        assert_eq!(labels(0).labels(), &[("k".to_string(), "a".to_string())]);
        assert_eq!(labels(1).labels(), &[("k".to_string(), "b".to_string())]);
        // Both on series 0: two values of one name.
        assert!(err(&hand_made_v3(ka_kb, 1, &[one, one])).contains("one value"));
        assert!(err(&hand_made_v3([(0, 2), (0, 1)], 2, &[one, &[1, 1]])).contains("sorted"));
        assert!(err(&hand_made_v3([(0, 1), (0, 1)], 2, &[one, &[1, 1]])).contains("sorted"));
        assert!(err(&hand_made_v3(ka_kb, 2, &[&[0], &[1, 1]])).contains("carried"));
        assert!(err(&hand_made_v3(ka_kb, 2, &[one, &[1, 2]])).contains("below"));
        assert!(err(&hand_made_v3(ka_kb, 2, &[&[2, 1, 0], &[1, 1]])).contains("below"));
        assert!(err(&hand_made_v3(ka_kb, 2, &[&[3, 0, 0, 0], &[1, 1]])).contains("length"));
    }

    #[test]
    fn long_shared_strings_are_hashed_in_place_not_copied() {
        long_shared_strings_in(FormatVersion::V2);
        long_shared_strings_in(FormatVersion::V3);
    }

    fn long_shared_strings_in(version: FormatVersion) {
        // One 64 KiB value named by 64 labels: 4 MiB of canonical metadata
        // from an index of 64 KiB.
        let big = "v".repeat(64 << 10);
        let labels = (0..64).map(|i| (format!("k{i:02}"), big.clone()));
        let meta = SeriesMeta::new("m", labels.collect());
        let mut entry = WrittenSeries::new(meta.id(), &meta);
        // And a short series beside it, hashed from copied bytes.
        let short = SeriesMeta::new("m", vec![("k00".into(), "w".into())]);
        let mut both = vec![entry.clone(), WrittenSeries::new(short.id(), &short)];
        both.sort_by_key(|e| e.id);
        let mut out = Vec::new();
        encode_index(&both, version, 0, &mut out).unwrap();
        assert!(out.len() < 70 << 10, "{}", out.len());
        let index = Index::decode(&out, version, place(0, 500)).unwrap();
        let at = index.position(meta.id()).unwrap();
        let read = index.entry(at, &out).unwrap().meta;
        assert_eq!(read.canonical_len(), meta.canonical_bytes().len() as u64);
        assert_eq!(read.id(), meta.id());
        let at = index.position(short.id()).unwrap();
        assert_eq!(index.entry(at, &out).unwrap().meta, short);
        if version != FormatVersion::V2 {
            return;
        }
        entry.id = SeriesId(entry.id.0 ^ 1);
        let mut out = Vec::new();
        encode_index(&[entry], FormatVersion::V2, 0, &mut out).unwrap();
        let err = Index::decode(&out, FormatVersion::V2, place(0, 500)).unwrap_err();
        assert!(matches!(err, FormatError::Corrupt { what, .. } if what.contains("hash")));
    }

    #[test]
    fn a_huge_count_is_refused_before_allocating() {
        let bytes = u32::MAX.to_le_bytes();
        for version in VERSIONS {
            assert!(matches!(
                Index::decode(&bytes, version, place(0, 0)),
                Err(FormatError::Corrupt { .. })
            ));
        }
    }
}
