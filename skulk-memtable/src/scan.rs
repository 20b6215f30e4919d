//! Scans over snapshots: one series, all series merged by time, all series
//! one after another.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use skulk_format::{DataPoint, SeriesId, SeriesMeta, TimeRange, Timestamp};

use crate::chunk::Chunk;
use crate::seal::TailPoint;
use crate::snapshot::keep_in_range;
use crate::{MemTableSnapshot, Result, SeriesSnapshot};

/// The points of one series in a time range, sorted by timestamp, unique.
///
/// Yields `Err` only if a chunk fails to decode, then ends.
#[derive(Debug)]
pub struct SeriesScan {
    chunks: Arc<Vec<Chunk>>,
    next_chunk: usize,
    end_chunk: usize,
    buf_ts: Vec<i64>,
    buf_vs: Vec<f64>,
    buf_pos: usize,
    tail: Arc<[TailPoint]>,
    tail_pos: usize,
    tail_end: usize,
    range: TimeRange,
    failed: bool,
}

/// Indices `[start, end)` of the items of a sorted sequence that may lie in
/// `range`, given each item's smallest and largest timestamp.
fn bounds<T>(
    items: &[T],
    range: TimeRange,
    lo: impl Fn(&T) -> i64,
    hi: impl Fn(&T) -> i64,
) -> (usize, usize) {
    let start = items.partition_point(|x| hi(x) < range.start());
    let end = if range.end() == i64::MAX {
        items.len()
    } else {
        items.partition_point(|x| lo(x) < range.end())
    };
    (start, end.max(start))
}

impl SeriesScan {
    pub(crate) fn new(chunks: Arc<Vec<Chunk>>, tail: Arc<[TailPoint]>, range: TimeRange) -> Self {
        let (next_chunk, end_chunk) = bounds(&chunks, range, Chunk::min, Chunk::max);
        let (tail_pos, tail_end) = bounds(&tail, range, |p| p.0, |p| p.0);
        Self {
            chunks,
            next_chunk,
            end_chunk,
            buf_ts: Vec::new(),
            buf_vs: Vec::new(),
            buf_pos: 0,
            tail,
            tail_pos,
            tail_end,
            range,
            failed: false,
        }
    }

    /// Decodes chunks until the buffer holds an unread point or none is left.
    fn refill(&mut self) -> Result<()> {
        while self.buf_pos >= self.buf_ts.len() && self.next_chunk < self.end_chunk {
            self.buf_ts.clear();
            self.buf_vs.clear();
            self.buf_pos = 0;
            if let Some(chunk) = self.chunks.get(self.next_chunk) {
                chunk.decode_into(&mut self.buf_ts, &mut self.buf_vs)?;
            }
            self.next_chunk += 1;
            keep_in_range(&mut self.buf_ts, &mut self.buf_vs, self.range);
        }
        Ok(())
    }

    fn sealed_head(&self) -> Option<(i64, f64)> {
        Some((
            *self.buf_ts.get(self.buf_pos)?,
            *self.buf_vs.get(self.buf_pos)?,
        ))
    }

    fn tail_head(&self) -> Option<TailPoint> {
        (self.tail_pos < self.tail_end)
            .then(|| self.tail.get(self.tail_pos).copied())
            .flatten()
    }
}

impl Iterator for SeriesScan {
    type Item = Result<(Timestamp, f64)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        if let Err(error) = self.refill() {
            self.failed = true;
            return Some(Err(error));
        }
        let next = match (self.sealed_head(), self.tail_head()) {
            (None, None) => return None,
            (Some(sealed), Some(tail)) if sealed.0 < tail.0 => {
                self.buf_pos += 1;
                sealed
            }
            (Some(sealed), None) => {
                self.buf_pos += 1;
                sealed
            }
            (sealed, Some(tail)) => {
                // The tail holds the later write of an equal timestamp.
                if sealed.is_some_and(|s| s.0 == tail.0) {
                    self.buf_pos += 1;
                }
                self.tail_pos += 1;
                tail
            }
        };
        Some(Ok(next))
    }
}

/// All series of a snapshot in a time range, merged into timestamp order;
/// equal timestamps come in series-id order. Yields the cheap form
/// `(SeriesId, timestamp, value)`; [`MergedScan::data_points`] gives
/// [`DataPoint`]s.
#[derive(Debug)]
pub struct MergedScan {
    scans: Vec<SeriesScan>,
    metas: Vec<(SeriesId, Arc<SeriesMeta>)>,
    heads: BinaryHeap<Reverse<(Timestamp, usize)>>,
    values: Vec<f64>,
    pending_error: Option<crate::MemtableError>,
}

impl MergedScan {
    pub(crate) fn new(series: &[SeriesSnapshot], range: TimeRange) -> Self {
        let mut scan = Self {
            scans: series.iter().map(|s| s.scan(range)).collect(),
            metas: series
                .iter()
                .map(|s| (s.id(), Arc::clone(s.meta())))
                .collect(),
            heads: BinaryHeap::with_capacity(series.len()),
            values: vec![0.0; series.len()],
            pending_error: None,
        };
        for i in 0..scan.scans.len() {
            scan.advance(i);
        }
        scan
    }

    /// Pulls the next point of series `i` into the heap.
    fn advance(&mut self, i: usize) {
        match self.scans.get_mut(i).and_then(Iterator::next) {
            Some(Ok((ts, value))) => {
                if let Some(slot) = self.values.get_mut(i) {
                    *slot = value;
                }
                self.heads.push(Reverse((ts, i)));
            }
            Some(Err(error)) => {
                self.pending_error.get_or_insert(error);
            }
            None => {}
        }
    }

    /// The next point with the index of its series.
    fn next_indexed(&mut self) -> Option<Result<(usize, Timestamp, f64)>> {
        if let Some(error) = self.pending_error.take() {
            self.heads.clear();
            return Some(Err(error));
        }
        let Reverse((ts, i)) = self.heads.pop()?;
        let value = self.values.get(i).copied().unwrap_or_default();
        self.advance(i);
        Some(Ok((i, ts, value)))
    }

    /// The same scan yielding [`DataPoint`]s (sharing each series' `Arc`'d
    /// metadata).
    pub fn data_points(self) -> DataPointScan {
        DataPointScan { inner: self }
    }
}

impl Iterator for MergedScan {
    type Item = Result<(SeriesId, Timestamp, f64)>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.next_indexed()?;
        Some(item.map(|(i, ts, v)| (self.metas.get(i).map_or(SeriesId(0), |m| m.0), ts, v)))
    }
}

/// [`MergedScan`] yielding [`DataPoint`]s.
#[derive(Debug)]
pub struct DataPointScan {
    inner: MergedScan,
}

impl Iterator for DataPointScan {
    type Item = Result<DataPoint>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (i, ts, value) = match self.inner.next_indexed()? {
                Ok(item) => item,
                Err(error) => return Some(Err(error)),
            };
            if let Some((_, meta)) = self.inner.metas.get(i) {
                return Some(Ok(DataPoint::for_series(Arc::clone(meta), ts, value)));
            }
        }
    }
}

/// All series of a snapshot in a time range as [`DataPoint`]s, series after
/// series (by id), each in timestamp order.
#[derive(Debug)]
pub struct BySeriesScan {
    snapshot: MemTableSnapshot,
    range: TimeRange,
    next_series: usize,
    current: Option<(Arc<SeriesMeta>, SeriesId, SeriesScan)>,
}

impl BySeriesScan {
    pub(crate) fn new(snapshot: MemTableSnapshot, range: TimeRange) -> Self {
        Self {
            snapshot,
            range,
            next_series: 0,
            current: None,
        }
    }
}

impl Iterator for BySeriesScan {
    type Item = Result<DataPoint>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((meta, series_id, scan)) = &mut self.current {
                match scan.next() {
                    Some(Ok((timestamp, value))) => {
                        let series = Arc::clone(meta);
                        return Some(Ok(DataPoint {
                            series,
                            series_id: *series_id,
                            timestamp,
                            value,
                        }));
                    }
                    Some(Err(error)) => return Some(Err(error)),
                    None => self.current = None,
                }
            }
            let series = self.snapshot.series().get(self.next_series)?;
            self.next_series += 1;
            self.current = Some((
                Arc::clone(series.meta()),
                series.id(),
                series.scan(self.range),
            ));
        }
    }
}
