//! `TimeSeriesMemTable`: the in-memory points of one time partition.

use std::collections::hash_map::Entry;
use std::sync::Arc;

use skulk_format::{
    DataPoint, IdCheck, PointLog, SeriesId, SeriesIdMap, SeriesMeta, TimePartition, TimeRange,
    Timestamp, WrongId,
};

use crate::scan::{MergedScan, SeriesScan};
use crate::series::SeriesBuffer;
use crate::series_map::SeriesMap;
use crate::{MemTableOptions, MemTableSnapshot, MemTableStats, MemtableError, Result};

/// The points of one [`TimePartition`], compressed in memory.
///
/// Each series keeps sealed compressed chunks plus a small sorted tail (see
/// [`MemTableOptions`]). Points may arrive in any order and repeat: reads are
/// sorted by timestamp and the last write of a timestamp wins.
///
/// Readers take a [`snapshot`](Self::snapshot): it shares the sealed chunks
/// and copies only the tails, so inserts can go on while it is read.
///
/// ```
/// use std::time::Duration;
/// use skulk_format::{DataPoint, TimePartition, TimeRange};
/// use skulk_memtable::TimeSeriesMemTable;
///
/// let mut table = TimeSeriesMemTable::new(TimePartition::new(0, Duration::from_secs(60))?);
/// let cpu = DataPoint::new("cpu", vec![], 30, 1.0);
/// table.insert(&cpu)?;
/// table.insert(&DataPoint::for_series(cpu.series.clone(), 10, 2.0))?; // out of order
/// table.insert(&DataPoint::for_series(cpu.series.clone(), 30, 3.0))?; // rewrite: last wins
/// assert_eq!((table.point_count(), table.series_count()), (2, 1));
/// let scan = table.scan_series(cpu.series_id, TimeRange::ALL).expect("series present");
/// assert_eq!(scan.collect::<Result<Vec<_>, _>>()?, [(10, 2.0), (30, 3.0)]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct TimeSeriesMemTable {
    partition: TimePartition,
    options: MemTableOptions,
    series: SeriesMap,
    /// Sum of `SeriesBuffer::heap_bytes`, kept up to date on every insert.
    series_heap: usize,
    points: u64,
    writes: u64,
    min_ts: Timestamp,
    max_ts: Timestamp,
    min_lsn: Option<u64>,
    max_lsn: Option<u64>,
}

impl TimeSeriesMemTable {
    /// An empty memtable for `partition` with default options.
    pub fn new(partition: TimePartition) -> Self {
        Self::build(partition, MemTableOptions::default())
    }

    /// An empty memtable with the given options; an error when they are out
    /// of range (see [`MemTableOptions::validate`]).
    pub fn with_options(partition: TimePartition, options: MemTableOptions) -> Result<Self> {
        options.validate()?;
        Ok(Self::build(partition, options))
    }

    pub(crate) fn build(partition: TimePartition, options: MemTableOptions) -> Self {
        Self {
            partition,
            options,
            series: SeriesMap::default(),
            series_heap: 0,
            points: 0,
            writes: 0,
            min_ts: i64::MAX,
            max_ts: i64::MIN,
            min_lsn: None,
            max_lsn: None,
        }
    }

    /// The partition this memtable covers.
    pub fn partition(&self) -> TimePartition {
        self.partition
    }

    /// The layout options.
    pub fn options(&self) -> &MemTableOptions {
        &self.options
    }

    /// Inserts one point. Errors, with nothing inserted: the timestamp lies
    /// outside the partition, the point's `series_id` is not its series' id,
    /// or another series with the same id is stored. A codec error while
    /// sealing the series' tail (not expected: chunks are encoded from
    /// valid input) is returned after the point was stored; the tail is then
    /// kept uncompressed and sealed again later.
    ///
    /// ```
    /// use std::time::Duration;
    /// use skulk_format::{DataPoint, TimePartition};
    /// use skulk_memtable::TimeSeriesMemTable;
    ///
    /// let mut table = TimeSeriesMemTable::new(TimePartition::new(0, Duration::from_secs(1))?);
    /// table.insert(&DataPoint::new("cpu", vec![], 999_999_999, 1.0))?;
    /// // One second in, the point belongs to the next partition.
    /// assert!(table.insert(&DataPoint::new("cpu", vec![], 1_000_000_000, 1.0)).is_err());
    /// assert_eq!(table.point_count(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn insert(&mut self, point: &DataPoint) -> Result<()> {
        self.validate_one(point)?;
        self.apply(point)
    }

    /// Inserts points in order (a later point wins over an earlier one with
    /// the same series and timestamp). All points are validated first: on a
    /// validation error nothing is inserted.
    pub fn insert_batch(&mut self, points: &[DataPoint]) -> Result<()> {
        self.validate_batch(points)?;
        points.iter().try_for_each(|p| self.apply(p))
    }

    /// Validates `point`, logs it through `log`, then inserts it, and
    /// returns the log sequence number. When validation or logging fails the
    /// memtable is unchanged.
    ///
    /// ```
    /// use std::time::Duration;
    /// use skulk_format::{DataPoint, PointLog, TimePartition};
    /// use skulk_memtable::TimeSeriesMemTable;
    ///
    /// /// A log in memory (`skulk_wal::Wal` is the durable one).
    /// struct VecLog(Vec<DataPoint>);
    /// impl PointLog for VecLog {
    ///     type Error = std::io::Error;
    ///     fn log_points(&mut self, points: &[DataPoint]) -> Result<u64, Self::Error> {
    ///         self.0.extend_from_slice(points);
    ///         Ok(self.0.len() as u64)
    ///     }
    /// }
    ///
    /// let mut table = TimeSeriesMemTable::new(TimePartition::new(0, Duration::from_secs(60))?);
    /// let mut log = VecLog(Vec::new());
    /// let lsn = table.insert_with_wal(&DataPoint::new("cpu", vec![], 5, 1.0), &mut log)?;
    /// assert_eq!((lsn, log.0.len()), (1, 1));
    /// assert_eq!(table.max_lsn(), Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn insert_with_wal<L: PointLog>(&mut self, point: &DataPoint, log: &mut L) -> Result<u64> {
        self.validate_one(point)?;
        let lsn = log
            .log_points(std::slice::from_ref(point))
            .map_err(log_error)?;
        let applied = self.apply(point);
        self.note_lsn(lsn);
        applied.map(|()| lsn)
    }

    /// [`insert_with_wal`](Self::insert_with_wal) for a batch, logged as one
    /// record.
    pub fn insert_batch_with_wal<L: PointLog>(
        &mut self,
        points: &[DataPoint],
        log: &mut L,
    ) -> Result<u64> {
        self.validate_batch(points)?;
        let lsn = log.log_points(points).map_err(log_error)?;
        let applied = points.iter().try_for_each(|p| self.apply(p));
        self.note_lsn(lsn);
        applied.map(|()| lsn)
    }

    /// Records that the points of log record `lsn` are applied (e.g. while
    /// replaying a log); [`max_lsn`](Self::max_lsn) keeps the highest.
    pub fn note_lsn(&mut self, lsn: u64) {
        self.min_lsn = Some(self.min_lsn.map_or(lsn, |m| m.min(lsn)));
        self.max_lsn = Some(self.max_lsn.map_or(lsn, |m| m.max(lsn)));
    }

    /// The highest log sequence number applied, if any: after this memtable
    /// is flushed, log records up to it are durable elsewhere.
    pub fn max_lsn(&self) -> Option<u64> {
        self.max_lsn
    }

    /// The lowest log sequence number applied, if any.
    pub fn min_lsn(&self) -> Option<u64> {
        self.min_lsn
    }

    /// Checks what [`insert`](Self::insert) would refuse, without inserting.
    pub fn validate_one(&self, point: &DataPoint) -> Result<()> {
        self.check_partition(point)?;
        match self.series.get(&point.series_id) {
            Some(buffer) => same_series(buffer.meta(), point),
            None => match point.series.id() {
                actual if actual == point.series_id => Ok(()),
                actual => Err(wrong_id(WrongId {
                    tag: point,
                    claimed: point.series_id,
                    actual,
                })),
            },
        }
    }

    /// Checks what [`insert_batch`](Self::insert_batch) would refuse,
    /// without inserting.
    pub fn validate_batch<'a>(
        &self,
        points: impl IntoIterator<Item = &'a DataPoint>,
    ) -> Result<()> {
        let mut fresh: SeriesIdMap<&Arc<SeriesMeta>> = SeriesIdMap::default();
        let mut new_ids: IdCheck<&DataPoint> = IdCheck::default();
        for point in points {
            self.check_partition(point)?;
            match self.series.get(&point.series_id) {
                Some(buffer) => same_series(buffer.meta(), point)?,
                None => match fresh.entry(point.series_id) {
                    Entry::Occupied(seen) => {
                        if let Err(collision) = same_series(seen.get(), point) {
                            // A wrong id claimed before is the first error.
                            new_ids.finish().map_err(wrong_id)?;
                            return Err(collision);
                        }
                    }
                    Entry::Vacant(slot) => {
                        new_ids
                            .meta(point.series_id, &point.series, point)
                            .map_err(wrong_id)?;
                        slot.insert(&point.series);
                    }
                },
            }
        }
        new_ids.finish().map_err(wrong_id)
    }

    fn check_partition(&self, point: &DataPoint) -> Result<()> {
        if self.partition.contains(point.timestamp) {
            return Ok(());
        }
        Err(MemtableError::OutOfPartition {
            timestamp: point.timestamp,
            partition_start: self.partition.start(),
            partition_end: self.partition.end_ts(),
        })
    }

    /// Inserts a validated point.
    pub(crate) fn apply(&mut self, point: &DataPoint) -> Result<()> {
        let (buffer, made) = self
            .series
            .get_or_insert_with(point.series_id, || {
                SeriesBuffer::new(Arc::clone(&point.series))
            })
            .ok_or_else(|| {
                MemtableError::InvalidArgument(format!("series {} lost its buffer", point.series))
            })?;
        if made {
            self.series_heap += buffer.heap_bytes();
        }
        let inserted = buffer.insert(point.timestamp, point.value, &self.options);
        self.writes += 1;
        self.min_ts = self.min_ts.min(point.timestamp);
        self.max_ts = self.max_ts.max(point.timestamp);
        match inserted {
            Ok(inserted) => {
                self.points += u64::from(inserted.is_new);
                self.series_heap = self.series_heap.wrapping_add_signed(inserted.heap_delta);
                Ok(())
            }
            Err(error) => {
                self.recount();
                Err(error)
            }
        }
    }

    /// Recomputes the running totals from scratch (after a failed seal).
    fn recount(&mut self) {
        self.points = self.series.values().map(|s| s.point_count() as u64).sum();
        self.series_heap = self.series.values().map(SeriesBuffer::heap_bytes).sum();
    }

    /// Seals every series' tail into its chunks, e.g. before a long idle
    /// period, to release the uncompressed tails' memory.
    pub fn seal_all(&mut self) -> Result<()> {
        let options = self.options;
        let sealed = self.series.values_mut().try_for_each(|s| s.seal(&options));
        self.recount();
        sealed
    }

    /// Distinct (series, timestamp) points held.
    pub fn point_count(&self) -> u64 {
        self.points
    }

    /// Points written, overwrites included.
    pub fn writes(&self) -> u64 {
        self.writes
    }

    /// Series held.
    pub fn series_count(&self) -> usize {
        self.series.len()
    }

    /// True when no point was inserted.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// Smallest timestamp held, if any.
    pub fn min_timestamp(&self) -> Option<Timestamp> {
        (!self.is_empty()).then_some(self.min_ts)
    }

    /// Largest timestamp held, if any.
    pub fn max_timestamp(&self) -> Option<Timestamp> {
        (!self.is_empty()).then_some(self.max_ts)
    }

    /// Heap bytes held, counted from the running totals in O(1): equal to
    /// [`memory_usage`](Self::memory_usage).
    pub fn approx_bytes(&self) -> usize {
        self.index_heap_bytes() + self.series_heap
    }

    /// Heap bytes held, recounted by walking every series: the series index
    /// (with its spare capacity), each series' metadata, chunk list, chunks
    /// and tail capacity. Allocator overhead (size classes, headers) is not
    /// included; the crate's bench compares this figure with RSS growth.
    pub fn memory_usage(&self) -> usize {
        self.index_heap_bytes()
            + self
                .series
                .values()
                .map(SeriesBuffer::heap_bytes)
                .sum::<usize>()
    }

    fn index_heap_bytes(&self) -> usize {
        self.series.heap_bytes()
    }

    /// Encoded bytes of all sealed chunks (block headers included).
    pub fn sealed_bytes(&self) -> usize {
        self.series
            .values()
            .flat_map(|s| s.chunks().iter())
            .map(|c| c.encoded_len())
            .sum()
    }

    /// A summary.
    pub fn stats(&self) -> MemTableStats {
        MemTableStats {
            partition: self.partition,
            series_count: self.series_count(),
            point_count: self.points,
            writes: self.writes,
            min_timestamp: self.min_timestamp(),
            max_timestamp: self.max_timestamp(),
            memory_bytes: self.approx_bytes(),
            min_lsn: self.min_lsn,
            max_lsn: self.max_lsn,
        }
    }

    /// A consistent, immutable view of the current contents, `Send + Sync`
    /// and `'static`: sealed chunks are shared, tails copied.
    pub fn snapshot(&self) -> MemTableSnapshot {
        MemTableSnapshot::new(self.stats(), self.series.iter())
    }

    /// The points of series `id` in `range`, sorted by timestamp, from a
    /// snapshot of that series only; `None` for an unknown series.
    pub fn scan_series(&self, id: SeriesId, range: TimeRange) -> Option<SeriesScan> {
        self.series
            .get(&id)
            .map(|s| crate::snapshot::series_snapshot(id, s).scan(range))
    }

    /// All points in `range`, in timestamp order (ties by series id), from a
    /// fresh snapshot.
    pub fn scan(&self, range: TimeRange) -> MergedScan {
        self.snapshot().scan(range)
    }
}

fn log_error<E: std::error::Error + Send + Sync + 'static>(error: E) -> MemtableError {
    MemtableError::Log(Box::new(error))
}

fn same_series(stored: &Arc<SeriesMeta>, point: &DataPoint) -> Result<()> {
    if Arc::ptr_eq(stored, &point.series) || **stored == *point.series {
        return Ok(());
    }
    Err(MemtableError::SeriesIdCollision {
        id: point.series_id,
        existing: stored.key(),
        new: point.series.key(),
    })
}

fn wrong_id(wrong: WrongId<&DataPoint>) -> MemtableError {
    MemtableError::InvalidArgument(format!(
        "point of series {} carries series id {} but the series' id is {}",
        wrong.tag.series, wrong.claimed, wrong.actual
    ))
}
