//! `SeriesMap`: a memtable's series by id.
//!
//! The hash table holds only each series' place in a vector, not the
//! series' buffer: growing it then moves and maps 16-byte entries instead
//! of whole buffers, which at a million new series was most of the cost of
//! a write (rehashing, and the kernel clearing the new table's pages). A
//! series is never removed from a memtable, so places never move.

use std::collections::hash_map::Entry;

use skulk_format::{SeriesId, SeriesIdMap};

use crate::hash::map_heap_bytes;
use crate::series::SeriesBuffer;

#[derive(Debug, Default)]
pub(crate) struct SeriesMap {
    places: SeriesIdMap<usize>,
    /// Every series, in order of arrival.
    buffers: Vec<(SeriesId, SeriesBuffer)>,
}

impl SeriesMap {
    pub(crate) fn get(&self, id: &SeriesId) -> Option<&SeriesBuffer> {
        let &place = self.places.get(id)?;
        self.buffers.get(place).map(|(_, buffer)| buffer)
    }

    /// The buffer of `id`, made by `new` if the series is not held yet;
    /// also whether it was made. `None` never happens (every place in the
    /// table is an index of the vector), but is not a panic.
    pub(crate) fn get_or_insert_with(
        &mut self,
        id: SeriesId,
        new: impl FnOnce() -> SeriesBuffer,
    ) -> Option<(&mut SeriesBuffer, bool)> {
        let next = self.buffers.len();
        let (place, made) = match self.places.entry(id) {
            Entry::Occupied(held) => (*held.get(), false),
            Entry::Vacant(slot) => {
                slot.insert(next);
                self.buffers.push((id, new()));
                (next, true)
            }
        };
        let (_, buffer) = self.buffers.get_mut(place)?;
        Some((buffer, made))
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &SeriesBuffer> {
        self.buffers.iter().map(|(_, buffer)| buffer)
    }

    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut SeriesBuffer> {
        self.buffers.iter_mut().map(|(_, buffer)| buffer)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (SeriesId, &SeriesBuffer)> {
        self.buffers.iter().map(|(id, buffer)| (*id, buffer))
    }

    pub(crate) fn len(&self) -> usize {
        self.buffers.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buffers.is_empty()
    }

    /// Heap bytes of the table and the vector (with spare capacity), not
    /// of what the buffers own.
    pub(crate) fn heap_bytes(&self) -> usize {
        map_heap_bytes(self.places.capacity(), size_of::<(SeriesId, usize)>())
            + self.buffers.capacity() * size_of::<(SeriesId, SeriesBuffer)>()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use skulk_format::SeriesMeta;

    use super::*;

    #[test]
    fn each_series_has_one_buffer_found_by_its_id() {
        let mut map = SeriesMap::default();
        let metas: Vec<Arc<SeriesMeta>> = (0..100)
            .map(|i| Arc::new(SeriesMeta::new(format!("m{i}"), Vec::new())))
            .collect();
        for round in 0..2 {
            for meta in &metas {
                let (buffer, made) = map
                    .get_or_insert_with(meta.id(), || SeriesBuffer::new(Arc::clone(meta)))
                    .unwrap();
                assert_eq!(made, round == 0);
                assert!(Arc::ptr_eq(buffer.meta(), meta));
            }
        }
        assert_eq!(map.len(), metas.len());
        for meta in &metas {
            assert!(Arc::ptr_eq(map.get(&meta.id()).unwrap().meta(), meta));
        }
        assert!(map.get(&SeriesId(7)).is_none());
        let ids: Vec<SeriesId> = map.iter().map(|(id, _)| id).collect();
        assert_eq!(ids, metas.iter().map(|m| m.id()).collect::<Vec<_>>());
    }
}
