//! The in-memory side of group commit: LSN assignment, framed records
//! waiting to be written, segment roll-over decisions and the series the
//! log knows. Guarded by the `Wal`'s state mutex; `writer.rs` does the I/O.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use skulk_format::{SeriesId, SeriesMeta};

use crate::entry::record_type;
use crate::frame::{self, FRAME_HEADER_LEN};
use crate::header::SEGMENT_HEADER_LEN;
use crate::{Lsn, Result, WalEntry, WalError};

/// Bytes to write: to the current segment, or to a new segment starting
/// at `new_segment`.
#[derive(Debug, Default)]
pub(crate) struct Chunk {
    pub new_segment: Option<Lsn>,
    pub bytes: Vec<u8>,
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
    /// A sync failed: refuse everything.
    pub poisoned: bool,
    /// Every series defined in the log.
    pub series: HashMap<SeriesId, Arc<SeriesMeta>>,
    /// Size the active segment will have once `chunks` are written.
    seg_bytes: u64,
    /// The active segment holds a record other than its leading series
    /// definitions.
    seg_has_data: bool,
    segment_size: u64,
}

impl Pending {
    pub(crate) fn new(
        next_lsn: Lsn,
        seg_bytes: u64,
        seg_has_data: bool,
        series: HashMap<SeriesId, Arc<SeriesMeta>>,
        segment_size: u64,
    ) -> Self {
        Self {
            next_lsn,
            durable_lsn: next_lsn - 1,
            chunks: Vec::new(),
            records: 0,
            flushing: false,
            poisoned: false,
            series,
            seg_bytes,
            seg_has_data,
            segment_size,
        }
    }

    /// Frames a record around an encoded payload and queues it, rolling the
    /// segment over first when it would grow past the segment size.
    pub(crate) fn push(&mut self, kind: u8, payload: &[u8]) -> Lsn {
        let frame_len = (FRAME_HEADER_LEN + payload.len()) as u64;
        if self.seg_has_data && self.seg_bytes + frame_len > self.segment_size {
            self.roll();
        }
        self.seg_has_data = true;
        self.push_framed(kind, payload)
    }

    fn push_framed(&mut self, kind: u8, payload: &[u8]) -> Lsn {
        let lsn = self.next_lsn;
        self.next_lsn += 1;
        if self.chunks.is_empty() {
            self.chunks.push(Chunk::default());
        }
        if let Some(chunk) = self.chunks.last_mut() {
            frame::encode_parts(&mut chunk.bytes, lsn, kind, payload);
        }
        self.seg_bytes += (FRAME_HEADER_LEN + payload.len()) as u64;
        self.records += 1;
        lsn
    }

    /// Starts a new segment that opens with a definition of every known
    /// series (`FORMAT.md`: series definitions survive truncation).
    fn roll(&mut self) {
        self.chunks.push(Chunk {
            new_segment: Some(self.next_lsn),
            bytes: Vec::new(),
        });
        self.seg_bytes = SEGMENT_HEADER_LEN as u64;
        self.seg_has_data = false;
        self.relog_except(&HashSet::new());
    }

    /// Queues a definition of every known series not in `defined` (sorted
    /// by id); returns the last LSN queued, if any.
    pub(crate) fn relog_except(&mut self, defined: &HashSet<SeriesId>) -> Option<Lsn> {
        let mut missing: Vec<Arc<SeriesMeta>> = self
            .series
            .iter()
            .filter(|(id, _)| !defined.contains(id))
            .map(|(_, meta)| Arc::clone(meta))
            .collect();
        missing.sort_by_key(|meta| meta.id());
        let mut last = None;
        for meta in missing {
            last = Some(self.push_framed(record_type::SERIES_DEF, &series_def_payload(&meta)));
        }
        last
    }

    /// Logs a definition of `meta` unless the log knows it; fails on an id
    /// collision.
    pub(crate) fn define(&mut self, id: SeriesId, meta: &Arc<SeriesMeta>) -> Result<()> {
        match self.series.get(&id) {
            Some(known) if Arc::ptr_eq(known, meta) || **known == **meta => Ok(()),
            Some(known) => Err(WalError::SeriesCollision {
                id,
                existing: Box::new(SeriesMeta::clone(known)),
                new: Box::new(SeriesMeta::clone(meta)),
            }),
            None if meta.id() != id => Err(WalError::InvalidArgument(format!(
                "point claims series id {id} but {meta} has id {}",
                meta.id()
            ))),
            None => {
                self.push(record_type::SERIES_DEF, &series_def_payload(meta));
                self.series.insert(id, Arc::clone(meta));
                Ok(())
            }
        }
    }
}

fn series_def_payload(meta: &SeriesMeta) -> Vec<u8> {
    let mut payload = Vec::new();
    WalEntry::series_def(meta.clone()).encode_payload(&mut payload);
    payload
}
