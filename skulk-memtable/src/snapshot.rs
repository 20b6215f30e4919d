//! `MemTableSnapshot` and `SeriesSnapshot`: immutable views for readers.

use std::sync::Arc;

use skulk_format::{SeriesId, SeriesMeta, TimePartition, TimeRange, Timestamp};

use crate::chunk::Chunk;
use crate::scan::{BySeriesScan, MergedScan, SeriesScan};
use crate::seal::{TailPoint, merge};
use crate::series::SeriesBuffer;
use crate::{MemTableStats, Result};

/// One series of a snapshot: shared sealed chunks plus a copy of the tail.
#[derive(Debug, Clone)]
pub struct SeriesSnapshot {
    meta: Arc<SeriesMeta>,
    id: SeriesId,
    chunks: Arc<Vec<Chunk>>,
    tail: Arc<[TailPoint]>,
    replaced: u32,
}

/// The points of one series as columns, sorted by timestamp, unique.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesColumns {
    /// The series' metadata.
    pub meta: Arc<SeriesMeta>,
    /// The series' id.
    pub id: SeriesId,
    /// Timestamps, strictly ascending.
    pub timestamps: Vec<Timestamp>,
    /// Values, one per timestamp.
    pub values: Vec<f64>,
}

pub(crate) fn series_snapshot(id: SeriesId, buffer: &SeriesBuffer) -> SeriesSnapshot {
    SeriesSnapshot {
        meta: Arc::clone(buffer.meta()),
        id,
        chunks: Arc::clone(buffer.chunks()),
        tail: Arc::from(buffer.tail()),
        replaced: buffer.replaced(),
    }
}

impl SeriesSnapshot {
    /// The series' metadata.
    pub fn meta(&self) -> &Arc<SeriesMeta> {
        &self.meta
    }

    /// The series' id.
    pub fn id(&self) -> SeriesId {
        self.id
    }

    /// Distinct timestamps held.
    pub fn point_count(&self) -> usize {
        self.chunks.iter().map(Chunk::len).sum::<usize>() + self.tail.len() - self.replaced as usize
    }

    /// Smallest timestamp, if any.
    pub fn min_timestamp(&self) -> Option<Timestamp> {
        let sealed = self.chunks.first().map(Chunk::min);
        let tail = self.tail.first().map(|p| p.0);
        sealed.into_iter().chain(tail).min()
    }

    /// Largest timestamp, if any.
    pub fn max_timestamp(&self) -> Option<Timestamp> {
        let sealed = self.chunks.last().map(Chunk::max);
        let tail = self.tail.last().map(|p| p.0);
        sealed.into_iter().chain(tail).max()
    }

    /// Streams the points in `range`, sorted by timestamp, decoding one
    /// chunk at a time.
    pub fn scan(&self, range: TimeRange) -> SeriesScan {
        SeriesScan::new(Arc::clone(&self.chunks), Arc::clone(&self.tail), range)
    }

    /// Decodes the points in `range` into columns at once: the cheapest way
    /// to read a whole series (e.g. to write it to a file).
    pub fn columns(&self, range: TimeRange) -> Result<SeriesColumns> {
        let (mut timestamps, mut values) = (Vec::new(), Vec::new());
        let chunks = self
            .chunks
            .iter()
            .filter(|c| range.overlaps(c.min(), c.max()));
        for chunk in chunks {
            chunk.decode_into(&mut timestamps, &mut values)?;
        }
        let tail: Vec<TailPoint> = self
            .tail
            .iter()
            .copied()
            .filter(|p| range.contains(p.0))
            .collect();
        let (mut timestamps, mut values) = if tail.is_empty() {
            (timestamps, values)
        } else {
            merge(&timestamps, &values, &tail)
        };
        keep_in_range(&mut timestamps, &mut values, range);
        Ok(SeriesColumns {
            meta: Arc::clone(&self.meta),
            id: self.id,
            timestamps,
            values,
        })
    }
}

/// Drops the points outside `range` from sorted columns.
pub(crate) fn keep_in_range(timestamps: &mut Vec<i64>, values: &mut Vec<f64>, range: TimeRange) {
    let end = if range.end() == i64::MAX {
        timestamps.len()
    } else {
        timestamps.partition_point(|&t| t < range.end())
    };
    timestamps.truncate(end);
    values.truncate(end);
    let start = timestamps.partition_point(|&t| t < range.start());
    timestamps.drain(..start);
    values.drain(..start);
}

/// A consistent, immutable view of a memtable at one moment.
///
/// Cheap to take and to clone; `Send + Sync + 'static`, so it can be handed
/// to another thread while the memtable keeps taking inserts.
#[derive(Debug, Clone)]
pub struct MemTableSnapshot {
    inner: Arc<SnapshotInner>,
}

#[derive(Debug)]
struct SnapshotInner {
    stats: MemTableStats,
    series: Vec<SeriesSnapshot>,
}

impl MemTableSnapshot {
    pub(crate) fn new<'a>(
        stats: MemTableStats,
        series: impl Iterator<Item = (SeriesId, &'a SeriesBuffer)>,
    ) -> Self {
        let mut series: Vec<SeriesSnapshot> =
            series.map(|(id, s)| series_snapshot(id, s)).collect();
        series.sort_unstable_by_key(|s| s.id);
        Self {
            inner: Arc::new(SnapshotInner { stats, series }),
        }
    }

    /// The memtable's statistics when the snapshot was taken.
    pub fn stats(&self) -> &MemTableStats {
        &self.inner.stats
    }

    /// The partition.
    pub fn partition(&self) -> TimePartition {
        self.inner.stats.partition
    }

    /// Distinct points held.
    pub fn point_count(&self) -> u64 {
        self.inner.stats.point_count
    }

    /// The series, sorted by id.
    pub fn series(&self) -> &[SeriesSnapshot] {
        &self.inner.series
    }

    /// One series by id.
    pub fn series_by_id(&self, id: SeriesId) -> Option<&SeriesSnapshot> {
        let series = &self.inner.series;
        series
            .binary_search_by_key(&id, |s| s.id)
            .ok()
            .and_then(|i| series.get(i))
    }

    /// The points of series `id` in `range`, sorted by timestamp.
    pub fn scan_series(&self, id: SeriesId, range: TimeRange) -> Option<SeriesScan> {
        self.series_by_id(id).map(|s| s.scan(range))
    }

    /// All points in `range` in timestamp order, ties broken by series id.
    pub fn scan(&self, range: TimeRange) -> MergedScan {
        MergedScan::new(&self.inner.series, range)
    }

    /// All points in `range` as [`skulk_format::DataPoint`]s, series after
    /// series (by id), each series in timestamp order.
    pub fn scan_by_series(&self, range: TimeRange) -> BySeriesScan {
        BySeriesScan::new(self.clone(), range)
    }

    /// Every series as sorted columns, in id order: what a file writer
    /// needs.
    pub fn columns(&self) -> impl Iterator<Item = Result<SeriesColumns>> + Send + use<> {
        let snapshot = self.clone();
        (0..self.inner.series.len()).filter_map(move |i| {
            snapshot
                .inner
                .series
                .get(i)
                .map(|s| s.columns(TimeRange::ALL))
        })
    }
}
