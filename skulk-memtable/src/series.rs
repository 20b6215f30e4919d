//! `SeriesBuffer`: the points of one series inside a memtable.

use std::sync::Arc;

use skulk_format::SeriesMeta;

use crate::chunk::Chunk;
use crate::seal::{CodecHint, Encoder, TailPoint, seal_into};
use crate::{MemTableOptions, Result};

/// What one insert did.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Inserted {
    /// The timestamp was not held before.
    pub(crate) is_new: bool,
    /// Change of [`SeriesBuffer::heap_bytes`].
    pub(crate) heap_delta: isize,
}

/// One series: its metadata (shared), sealed chunks (shared with snapshots,
/// copied on write) and a small uncompressed tail, sorted with unique
/// timestamps.
#[derive(Debug)]
pub(crate) struct SeriesBuffer {
    meta: Arc<SeriesMeta>,
    chunks: Arc<Vec<Chunk>>,
    tail: Vec<TailPoint>,
    /// Tail points that overwrite a timestamp already sealed in a chunk.
    replaced: u32,
    /// The codecs of the series' last adaptive choice.
    hint: CodecHint,
}

impl SeriesBuffer {
    pub(crate) fn new(meta: Arc<SeriesMeta>) -> Self {
        Self {
            meta,
            chunks: Arc::new(Vec::new()),
            tail: Vec::new(),
            replaced: 0,
            hint: CodecHint::default(),
        }
    }

    pub(crate) fn meta(&self) -> &Arc<SeriesMeta> {
        &self.meta
    }

    pub(crate) fn chunks(&self) -> &Arc<Vec<Chunk>> {
        &self.chunks
    }

    pub(crate) fn tail(&self) -> &[TailPoint] {
        &self.tail
    }

    pub(crate) fn replaced(&self) -> u32 {
        self.replaced
    }

    /// Distinct timestamps held.
    pub(crate) fn point_count(&self) -> usize {
        self.chunks.iter().map(Chunk::len).sum::<usize>() + self.tail.len() - self.replaced as usize
    }

    /// Stores a point, the last write for a timestamp winning. The point
    /// is stored even when a sealed chunk cannot be decoded (checking it
    /// for the timestamp, or sealing): it stays in the tail. When the
    /// check fails the point counts as new, so [`SeriesBuffer::point_count`]
    /// may then over-count by one; the decoding error itself surfaces when
    /// the chunk is sealed into or read.
    pub(crate) fn insert(
        &mut self,
        ts: i64,
        value: f64,
        options: &MemTableOptions,
    ) -> Result<Inserted> {
        let tail_before = self.tail_heap_bytes();
        let is_new = self.put_in_tail(ts, value);
        let mut heap_delta = 0;
        if self.tail.len() >= options.tail_points {
            let chunks_before = self.chunk_heap_bytes();
            self.seal(options)?;
            heap_delta += self.chunk_heap_bytes() as isize - chunks_before as isize;
        }
        heap_delta += self.tail_heap_bytes() as isize - tail_before as isize;
        Ok(Inserted { is_new, heap_delta })
    }

    fn put_in_tail(&mut self, ts: i64, value: f64) -> bool {
        let position = match self.tail.last() {
            None => Err(0),
            Some(&(last, _)) if last < ts => Err(self.tail.len()),
            Some(_) => self.tail.binary_search_by_key(&ts, |p| p.0),
        };
        match position {
            Ok(i) => {
                if let Some(slot) = self.tail.get_mut(i) {
                    slot.1 = value;
                }
                false
            }
            Err(i) => {
                // A chunk that cannot be decoded must not cost the point.
                let sealed = self.sealed_contains(ts).unwrap_or(false);
                self.tail.insert(i, (ts, value));
                if sealed {
                    self.replaced += 1;
                }
                !sealed
            }
        }
    }

    /// True when a sealed chunk holds `ts`; decodes at most one chunk's
    /// timestamps, and only for an out-of-order point.
    fn sealed_contains(&self, ts: i64) -> Result<bool> {
        match self.chunks.last() {
            Some(last) if last.max() >= ts => {}
            _ => return Ok(false),
        }
        let j = self.chunks.partition_point(|c| c.max() < ts);
        match self.chunks.get(j) {
            Some(c) if c.min() <= ts => {
                let mut timestamps = Vec::new();
                c.decode_timestamps(&mut timestamps)?;
                Ok(timestamps.binary_search(&ts).is_ok())
            }
            _ => Ok(false),
        }
    }

    /// Moves the tail into the chunks. On error the tail is kept, so no
    /// point is lost (merging it again later is idempotent).
    pub(crate) fn seal(&mut self, options: &MemTableOptions) -> Result<()> {
        if self.tail.is_empty() {
            return Ok(());
        }
        // Copies the chunk list only when a snapshot still shares it.
        let mut encoder = Encoder {
            options,
            hint: &mut self.hint,
        };
        seal_into(Arc::make_mut(&mut self.chunks), &self.tail, &mut encoder)?;
        // Release the buffer: between seals a series holds only what its
        // tail needs, not `tail_points` slots.
        self.tail = Vec::new();
        self.replaced = 0;
        Ok(())
    }

    /// Heap bytes of the chunk list and the chunks.
    pub(crate) fn chunk_heap_bytes(&self) -> usize {
        2 * size_of::<usize>()
            + size_of::<Vec<Chunk>>()
            + self.chunks.capacity() * size_of::<Chunk>()
            + self.chunks.iter().map(Chunk::heap_bytes).sum::<usize>()
    }

    /// Heap bytes of the tail.
    pub(crate) fn tail_heap_bytes(&self) -> usize {
        self.tail.capacity() * size_of::<TailPoint>()
    }

    /// Everything this series owns on the heap, metadata included.
    pub(crate) fn heap_bytes(&self) -> usize {
        meta_heap_bytes(&self.meta) + self.chunk_heap_bytes() + self.tail_heap_bytes()
    }
}

/// Heap bytes of a shared `SeriesMeta`: the `Arc` block and its strings.
pub(crate) fn meta_heap_bytes(meta: &SeriesMeta) -> usize {
    2 * size_of::<usize>()
        + size_of::<SeriesMeta>()
        + meta.metric().len()
        + size_of_val(meta.labels())
        + meta
            .labels()
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use skulk_codec::{CodecChoice, CompressedBlock};

    use super::*;

    #[test]
    fn a_point_is_stored_when_a_sealed_chunk_cannot_be_decoded() {
        let mut buffer = SeriesBuffer::new(Arc::new(SeriesMeta::new("cpu", vec![])));
        let block = CompressedBlock::encode_with(&[10, 20, 30], &[1.0, 2.0, 3.0], CodecChoice::RAW)
            .unwrap();
        let mut bytes = block.as_bytes().to_vec();
        // The first raw timestamp no longer matches the header's minimum.
        bytes[skulk_codec::BLOCK_HEADER_LEN] ^= 0xff;
        buffer.chunks = Arc::new(vec![Chunk::from_bytes(&bytes)]);
        assert!(buffer.sealed_contains(15).is_err());

        let options = MemTableOptions::default();
        let inserted = buffer.insert(15, 1.5, &options).unwrap();
        assert!(inserted.is_new);
        assert_eq!(buffer.tail(), &[(15, 1.5)]);
        assert_eq!(buffer.point_count(), 4);
    }
}
