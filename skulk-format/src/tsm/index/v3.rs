//! Decoding a version-3 series index (`FORMAT.md`, "Series index,
//! version 3"): the tables, the postings, entries without ids, and each
//! id hashed from its series' metadata.

use super::{BATCHED_META_LEN, Index, IndexPlace, MIN_ENTRY_LEN_V3, Slot};
use crate::model::{LANES, series_ids};
use crate::tsm::cursor::{Cursor, put_varint};
use crate::tsm::label_table::LabelTable;
use crate::tsm::meta_view::MetaView;
use crate::tsm::pieces::PairPieces;
use crate::tsm::postings::decode_postings;
use crate::{FormatError, Result, SeriesId};

impl Index {
    /// Decodes the index of a version-3 file (`FORMAT.md`, "Series index,
    /// version 3"): the tables, the postings, then entries without ids,
    /// whose ids are their metadata's hashes.
    pub(super) fn decode_v3(bytes: &[u8], place: IndexPlace) -> Result<Self> {
        let mut cursor = Cursor::new(bytes, place.base);
        let table = LabelTable::decode(&mut cursor)?;
        let count_at = cursor.offset();
        let count = cursor.u32("series count")?;
        let what = "series count within the index";
        cursor.check_count(u64::from(count), MIN_ENTRY_LEN_V3, what, count_at)?;
        let (series_pairs, postings) =
            decode_postings(&mut cursor, bytes, place.base, &table, count)?;
        let mut index = Index {
            slots: Vec::with_capacity(count as usize),
            postings: Some(postings),
            ..Index::default()
        };
        let mut entries_at = Vec::with_capacity(count as usize);
        // The canonical length of each pair's label, to find the series
        // too long to copy for a batched hash without walking their labels.
        let pair_lens: Vec<u64> = table
            .pairs()
            .map(|(name, value)| 8 + (name.len() + value.len()) as u64)
            .collect();
        let mut long = Vec::new();
        for i in 0..count as usize {
            entries_at.push(cursor.offset());
            let metric = cursor.varint_below(u64::from(table.string_count()), "metric string")?;
            let meta_at = index.refs.len();
            let pairs = series_pairs.of(i);
            let labels_len: u64 = pairs
                .iter()
                .map(|&p| pair_lens.get(p as usize).copied().unwrap_or_default())
                .sum();
            if 8 + table.string(metric as u32).len() as u64 + labels_len > BATCHED_META_LEN {
                long.push(i);
            }
            put_varint(&mut index.refs, metric);
            put_varint(&mut index.refs, pairs.len() as u64);
            // Ascending: as gaps, mostly one byte (`MetaView::ascending`).
            let mut next = 0u32;
            for &p in pairs {
                put_varint(&mut index.refs, u64::from(p.wrapping_sub(next)));
                next = p.wrapping_add(1);
            }
            let first_block = index.decode_blocks_v2(&mut cursor, SeriesId(0), place)?;
            index.slots.push(Slot {
                id: SeriesId(0),
                meta_at: meta_at as u64,
                meta_len: (index.refs.len() - meta_at) as u32,
                first_block,
            });
        }
        drop(series_pairs);
        if cursor.remaining() != 0 {
            return Err(FormatError::corrupt(
                "index ending at its length",
                cursor.offset(),
            ));
        }
        index.refs.shrink_to_fit();
        index.blocks.shrink_to_fit();
        index.table = Some(table);
        index.hash_ids(&entries_at, &long, bytes.len())?;
        Ok(index)
    }

    /// Version 3: sets each series' id to its metadata's hash (four at a
    /// time), stamps it on the series' blocks, and checks that the ids
    /// ascend strictly; `entries_at` are the entries' file offsets, `long`
    /// the series (ascending) whose canonical metadata is too long to copy,
    /// `index_len` the index's length in bytes.
    fn hash_ids(&mut self, entries_at: &[u64], long: &[usize], index_len: usize) -> Result<()> {
        let mut long = long.iter().peekable();
        let mut lanes: [Vec<u8>; LANES] = Default::default();
        let mut queued: [usize; LANES] = [0; LANES];
        let mut n = 0;
        let mut ids = vec![SeriesId(0); self.slots.len()];
        // Pieces copy each pair's strings once: bounded by the index's own
        // size, so a string named by many pairs is not copied for each.
        let limit = 2 * index_len as u64 + (1 << 20);
        let pieces = self.table.as_ref().and_then(|t| PairPieces::of(t, limit));
        for i in 0..self.slots.len() {
            let Some(meta) = self.meta_of(i) else {
                continue;
            };
            if long.next_if_eq(&&i).is_some() {
                // Strings named many times: hashed in place, not copied.
                if let Some(id) = ids.get_mut(i) {
                    *id = meta.id();
                }
                continue;
            }
            let (Some(lane), Some(slot), Some((_, pairs))) =
                (lanes.get_mut(n), queued.get_mut(n), meta.numbers())
            else {
                continue;
            };
            lane.clear();
            match &pieces {
                Some(pieces) => pieces.write(meta.metric(), pairs, lane),
                None => meta.write_canonical(lane),
            }
            *slot = i;
            n += 1;
            if n == LANES {
                for (&i, id) in queued.iter().zip(series_ids(&lanes, n)) {
                    if let Some(slot) = ids.get_mut(i) {
                        *slot = id;
                    }
                }
                n = 0;
            }
        }
        for (&i, id) in queued.iter().zip(series_ids(&lanes, n)).take(n) {
            if let Some(slot) = ids.get_mut(i) {
                *slot = id;
            }
        }
        for (i, &id) in ids.iter().enumerate() {
            if i > 0 && ids.get(i - 1).is_some_and(|&prev| prev >= id) {
                let at = entries_at.get(i).copied().unwrap_or_default();
                return Err(FormatError::corrupt("series sorted by id, ids unique", at));
            }
            let end = match self.slots.get(i + 1) {
                Some(next) => next.first_block as usize,
                None => self.blocks.len(),
            };
            if let Some(slot) = self.slots.get_mut(i) {
                slot.id = id;
                let first = slot.first_block as usize;
                for block in self.blocks.get_mut(first..end).unwrap_or_default() {
                    block.series = id;
                }
            }
        }
        Ok(())
    }

    /// The metadata of series `i` of a version-3 index (in [`Self::refs`]).
    fn meta_of(&self, i: usize) -> Option<MetaView<'_>> {
        let slot = self.slots.get(i)?;
        let start = usize::try_from(slot.meta_at).ok()?;
        let refs = self.refs.get(start..start + slot.meta_len as usize)?;
        Some(MetaView::ascending(self.table.as_ref()?, refs))
    }
}
