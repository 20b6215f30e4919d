//! The in-memory side of group commit: LSN assignment, framed records
//! waiting to be written, segment roll-over decisions and the series the
//! log knows. Guarded by the `Wal`'s state mutex; `writer.rs` does the I/O.

use std::sync::Arc;

use skulk_format::{SeriesId, SeriesIdSet, SeriesMeta};

use crate::end_mark::END_MARK_LEN;
use crate::entry::record_type;
use crate::frame::{self, FRAME_HEADER_LEN};
use crate::header::SEGMENT_HEADER_LEN;
use crate::known::KnownSeries;
use crate::{Lsn, WalEntry, WalError};

/// Bytes to write: to the current segment, or to a new segment starting
/// at `new_segment`.
#[derive(Debug, Default)]
pub(crate) struct Chunk {
    pub new_segment: Option<Lsn>,
    pub bytes: Vec<u8>,
    /// The LSN after the last record in `bytes`: the end mark's.
    pub next_lsn: Lsn,
}

/// Everything the state mutex guards.
#[derive(Debug)]
pub(crate) struct Pending {
    /// LSN of the next record.
    pub next_lsn: Lsn,
    /// Every record with an LSN up to this one is written (and synced,
    /// under a syncing mode).
    pub durable_lsn: Lsn,
    /// Framed records not yet handed to the writer.
    pub chunks: Vec<Chunk>,
    /// Records in `chunks`.
    pub records: usize,
    /// A writer is committing a batch.
    pub flushing: bool,
    /// A write or sync failed: refuse everything with this error.
    pub poisoned: Option<WalError>,
    /// The series the live segments define (for collision checks).
    pub series: KnownSeries,
    /// The series the active segment defines.
    active_defs: SeriesIdSet,
    /// Bytes of records the active segment will hold once `chunks` are
    /// written (its end mark follows them).
    pub seg_bytes: u64,
    /// First LSN of the active segment (as the queue sees it: a roll-over
    /// queued in `chunks` has already started a new one).
    pub seg_first: Lsn,
    /// Bytes of that segment known durable: the synced-through mark of the
    /// next frame.
    seg_synced: u64,
    /// The active segment holds a record other than its leading series
    /// definitions.
    seg_has_data: bool,
    segment_size: u64,
    /// An empty buffer a written chunk left behind, for the next chunk:
    /// its pages are mapped already, which a fresh buffer's are not.
    spare: Vec<u8>,
}

/// The largest spare buffer kept between commits.
const MAX_SPARE_BYTES: usize = 16 << 20;

impl Pending {
    pub(crate) fn new(
        next_lsn: Lsn,
        seg_first: Lsn,
        seg_bytes: u64,
        seg_has_data: bool,
        series: KnownSeries,
        active_defs: SeriesIdSet,
        segment_size: u64,
    ) -> Self {
        Self {
            next_lsn,
            durable_lsn: next_lsn - 1,
            chunks: Vec::new(),
            records: 0,
            flushing: false,
            poisoned: None,
            series,
            active_defs,
            seg_bytes,
            seg_first,
            // Opening syncs the active segment whole.
            seg_synced: seg_bytes,
            seg_has_data,
            segment_size,
            spare: Vec::new(),
        }
    }

    /// Keeps `buffer` (emptied) for the next chunk, unless it is larger
    /// than is worth holding on to.
    pub(crate) fn recycle(&mut self, mut buffer: Vec<u8>) {
        if buffer.capacity() <= MAX_SPARE_BYTES && buffer.capacity() > self.spare.capacity() {
            buffer.clear();
            self.spare = buffer;
        }
    }

    /// A new chunk for the current segment, on the spare buffer if any.
    fn new_chunk(&mut self) -> Chunk {
        Chunk {
            new_segment: None,
            bytes: std::mem::take(&mut self.spare),
            next_lsn: self.next_lsn,
        }
    }

    /// Notes that the segment starting at `first` is durable up to `len`
    /// bytes (a sync returned).
    pub(crate) fn note_synced(&mut self, first: Lsn, len: u64) {
        if first == self.seg_first {
            self.seg_synced = self.seg_synced.max(len);
        }
    }

    /// Frames a record around an encoded payload and queues it, rolling the
    /// segment over first when it would grow past the segment size.
    pub(crate) fn push(&mut self, kind: u8, payload: &[u8]) -> Lsn {
        let frame_len = (FRAME_HEADER_LEN + payload.len()) as u64;
        if self.seg_has_data && self.seg_bytes + frame_len + END_MARK_LEN as u64 > self.segment_size
        {
            self.roll();
        }
        self.seg_has_data = true;
        self.push_framed(kind, payload)
    }

    fn push_framed(&mut self, kind: u8, payload: &[u8]) -> Lsn {
        self.push_framed_with(kind, |out| out.extend_from_slice(payload))
    }

    /// Queues a record whose payload `write` appends in place.
    fn push_framed_with(&mut self, kind: u8, write: impl FnOnce(&mut Vec<u8>)) -> Lsn {
        let lsn = self.next_lsn;
        self.next_lsn += 1;
        if self.chunks.is_empty() {
            let chunk = self.new_chunk();
            self.chunks.push(chunk);
        }
        let mut payload_len = 0;
        if let Some(chunk) = self.chunks.last_mut() {
            payload_len =
                frame::encode_in_place(&mut chunk.bytes, lsn, kind, self.seg_synced, write);
            chunk.next_lsn = lsn + 1;
            // Room for the end mark the writer appends: no copy of the
            // chunk to make it.
            chunk.bytes.reserve(END_MARK_LEN);
        }
        self.seg_bytes += (FRAME_HEADER_LEN + payload_len) as u64;
        self.records += 1;
        lsn
    }

    /// Makes room in the last chunk for `bytes` more, at once rather than
    /// by doubling as records are appended.
    fn reserve(&mut self, bytes: u64) {
        if self.chunks.is_empty() {
            let chunk = self.new_chunk();
            self.chunks.push(chunk);
        }
        if let Some(chunk) = self.chunks.last_mut() {
            chunk
                .bytes
                .reserve(usize::try_from(bytes).unwrap_or(0) + END_MARK_LEN);
        }
    }

    /// The active segment holds records, all written (nothing queued, no
    /// commit running): it can be rolled over by hand.
    pub(crate) fn settled_with_data(&self) -> bool {
        self.seg_has_data && self.chunks.is_empty() && !self.flushing
    }

    /// Notes that a new, empty segment (its header synced) became the
    /// active one.
    pub(crate) fn rolled(&mut self) {
        self.seg_first = self.next_lsn;
        self.seg_bytes = SEGMENT_HEADER_LEN as u64;
        self.seg_synced = self.seg_bytes;
        self.seg_has_data = false;
        self.active_defs.clear();
    }

    /// Starts a new segment. It holds no definitions yet: each series is
    /// defined again in it before its first use there (see
    /// [`Pending::push_points`]), so every segment is self-contained.
    fn roll(&mut self) {
        let chunk = Chunk {
            new_segment: Some(self.next_lsn),
            ..self.new_chunk()
        };
        self.chunks.push(chunk);
        self.rolled();
    }

    /// Queues an explicit series definition of `meta` (encoded in
    /// `payload`). Fails, queuing nothing, when its id is known as another
    /// series.
    pub(crate) fn push_def(
        &mut self,
        id: SeriesId,
        meta: &Arc<SeriesMeta>,
        payload: &[u8],
    ) -> Result<Lsn, WalError> {
        self.series.define(id, meta, self.seg_first)?;
        let lsn = self.push(record_type::SERIES_DEF, payload);
        // The push may have started a new segment: it defines the series.
        self.series.note(id, meta, self.seg_first);
        self.active_defs.insert(id);
        Ok(lsn)
    }

    /// Queues a Points record, preceded by a definition of each series of
    /// `metas` (distinct, already checked against [`Pending::series`]) that
    /// the active segment does not define yet. The roll-over decision covers
    /// the definitions and the points together, so they always land in the
    /// same segment.
    pub(crate) fn push_points(
        &mut self,
        metas: &[(SeriesId, &Arc<SeriesMeta>)],
        payload: &[u8],
    ) -> Lsn {
        let mut defs = self.missing_defs(metas);
        let total = defs
            .iter()
            .map(|(_, meta)| (FRAME_HEADER_LEN + series_def_len(meta)) as u64)
            .sum::<u64>()
            + (FRAME_HEADER_LEN + payload.len()) as u64;
        if self.seg_has_data && self.seg_bytes + total + END_MARK_LEN as u64 > self.segment_size {
            self.roll();
            defs = self.missing_defs(metas);
        }
        self.seg_has_data = true;
        self.reserve(total);
        for (id, meta) in defs {
            self.push_framed_with(record_type::SERIES_DEF, |out| {
                WalEntry::encode_series_def(id, meta, out)
            });
            self.active_defs.insert(id);
            self.series.note(id, meta, self.seg_first);
        }
        self.push_framed(record_type::POINTS, payload)
    }

    /// The series among `metas` the active segment does not define yet
    /// (ids already checked to be their series' ids: hashing a series key
    /// again for every series of every batch cost more than the rest of a
    /// write).
    fn missing_defs<'m>(
        &self,
        metas: &[(SeriesId, &'m Arc<SeriesMeta>)],
    ) -> Vec<(SeriesId, &'m Arc<SeriesMeta>)> {
        metas
            .iter()
            .filter(|(id, _)| !self.active_defs.contains(id))
            .copied()
            .collect()
    }
}

/// The length of a series definition's payload: the id, then the
/// canonical bytes.
fn series_def_len(meta: &SeriesMeta) -> usize {
    8 + meta.canonical_len()
}
