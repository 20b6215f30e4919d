//! `PartitionManager`: one memtable per time partition.
//!
//! # Late data
//!
//! A point whose partition was already flushed is not lost: it goes to a
//! fresh memtable for that partition with the next *generation*, which is
//! flushed to a second file with a distinct name (see
//! [`partition_file_name`]). Files of the same partition may overlap in
//! series and time; readers merge them (newer generation wins on equal
//! timestamps) until compaction rewrites them into one.

mod config;
mod flush;
mod scan;

use std::collections::BTreeMap;

use skulk_format::{DataPoint, PointLog, SeriesId, TimePartition, TimeRange, Timestamp};

use crate::{MemtableError, Result, TimeSeriesMemTable};

pub use config::PartitionManagerConfig;
pub use flush::{
    FlushCandidate, FlushReason, FrozenPartition, PartitionFlush, partition_file_name,
};
pub use scan::{PartitionScan, PartitionSeriesScan};

/// The unflushed memtable of one partition.
#[derive(Debug)]
struct Active {
    table: TimeSeriesMemTable,
    generation: u32,
}

/// Counters of a [`PartitionManager`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ManagerStats {
    /// Partitions with an unflushed memtable.
    pub active_partitions: usize,
    /// Distinct partitions flushed at least once.
    pub flushed_partitions: usize,
    /// Series summed over the active memtables.
    pub series: usize,
    /// Distinct points summed over the active memtables.
    pub points: u64,
    /// Heap bytes summed over the active memtables.
    pub memory_bytes: usize,
    /// Points inserted since creation, overwrites included.
    pub writes: u64,
    /// Points inserted into a partition that had already been flushed.
    pub late_writes: u64,
    /// Memtables flushed.
    pub flushes: u64,
    /// The newest timestamp inserted, if any.
    pub newest_timestamp: Option<Timestamp>,
}

/// Routes points to per-partition memtables, scans across them and decides
/// which to flush (oldest first).
///
/// ```
/// use skulk_format::{DataPoint, TimeRange};
/// use skulk_memtable::{PartitionManager, PartitionManagerConfig};
///
/// const HOUR: i64 = 3_600_000_000_000;
/// let mut manager = PartitionManager::new(PartitionManagerConfig::default())?;
/// let points: Vec<_> = [2 * HOUR + 5, 10, HOUR + 1]
///     .into_iter()
///     .map(|t| DataPoint::new("cpu", vec![], t, 1.0))
///     .collect();
/// manager.insert_batch(&points)?;
/// assert_eq!(manager.stats().active_partitions, 3); // hourly partitions
/// let scanned = manager.scan(TimeRange::ALL).collect::<Result<Vec<_>, _>>()?;
/// let ts: Vec<i64> = scanned.iter().map(|p| p.timestamp).collect();
/// assert_eq!(ts, [10, HOUR + 1, 2 * HOUR + 5]); // in time order
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct PartitionManager {
    config: PartitionManagerConfig,
    active: BTreeMap<TimePartition, Active>,
    /// Next generation of each partition flushed at least once.
    flushed: BTreeMap<TimePartition, u32>,
    newest: Option<Timestamp>,
    writes: u64,
    late_writes: u64,
    flushes: u64,
}

impl PartitionManager {
    /// A manager without partitions; an error when `config` is invalid
    /// (see [`PartitionManagerConfig::validate`]).
    pub fn new(config: PartitionManagerConfig) -> Result<Self> {
        config.validate()?;
        Ok(Self {
            config,
            active: BTreeMap::new(),
            flushed: BTreeMap::new(),
            newest: None,
            writes: 0,
            late_writes: 0,
            flushes: 0,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &PartitionManagerConfig {
        &self.config
    }

    /// The partition that holds `timestamp`.
    pub fn partition_of(&self, timestamp: Timestamp) -> Result<TimePartition> {
        Ok(TimePartition::containing(
            timestamp,
            self.config.partition_duration(),
        )?)
    }

    /// Inserts one point into its partition's memtable, creating it if
    /// needed. On error nothing is inserted.
    pub fn insert(&mut self, point: &DataPoint) -> Result<()> {
        let partition = self.partition_of(point.timestamp)?;
        self.validate_group(partition, std::slice::from_ref(point).iter())?;
        self.apply(partition, point)
    }

    /// Inserts points in order. All points are validated first: on a
    /// validation error nothing is inserted.
    pub fn insert_batch(&mut self, points: &[DataPoint]) -> Result<()> {
        let groups = self.validate_batch(points)?;
        self.apply_groups(points, &groups)
    }

    /// Validates `point`, logs it through `log`, then inserts it; returns
    /// the log sequence number. When validation or logging fails nothing
    /// changes.
    pub fn insert_with_wal<L: PointLog>(&mut self, point: &DataPoint, log: &mut L) -> Result<u64> {
        self.insert_batch_with_wal(std::slice::from_ref(point), log)
    }

    /// [`insert_with_wal`](Self::insert_with_wal) for a batch logged as one
    /// record.
    pub fn insert_batch_with_wal<L: PointLog>(
        &mut self,
        points: &[DataPoint],
        log: &mut L,
    ) -> Result<u64> {
        let groups = self.validate_batch(points)?;
        let lsn = log
            .log_points(points)
            .map_err(|e| MemtableError::Log(Box::new(e)))?;
        let applied = self.apply_groups(points, &groups);
        for (partition, _) in &groups {
            if let Some(active) = self.active.get_mut(partition) {
                active.table.note_lsn(lsn);
            }
        }
        applied.map(|()| lsn)
    }

    /// Groups the points by partition, as runs of consecutive points (data
    /// usually arrives in time order, so a batch is a few runs and routing
    /// costs one comparison per point), and validates each group.
    fn validate_batch(&self, points: &[DataPoint]) -> Result<Vec<Group>> {
        let mut groups: Vec<Group> = Vec::new();
        let mut start = 0;
        while let Some(first) = points.get(start) {
            let partition = self.partition_of(first.timestamp)?;
            let rest = points.get(start..).unwrap_or_default();
            let len = rest
                .iter()
                .position(|p| !partition.contains(p.timestamp))
                .unwrap_or(rest.len());
            let run = start..start + len;
            match groups.iter_mut().find(|(p, _)| *p == partition) {
                Some((_, runs)) => runs.push(run),
                None => groups.push((partition, vec![run])),
            }
            start += len;
        }
        for (partition, runs) in &groups {
            self.validate_group(*partition, members(points, runs))?;
        }
        Ok(groups)
    }

    fn validate_group<'a>(
        &self,
        partition: TimePartition,
        points: impl Iterator<Item = &'a DataPoint>,
    ) -> Result<()> {
        match self.active.get(&partition) {
            Some(active) => active.table.validate_batch(points),
            None => TimeSeriesMemTable::build(partition, *self.config.memtable_options())
                .validate_batch(points),
        }
    }

    fn apply_groups(&mut self, points: &[DataPoint], groups: &[Group]) -> Result<()> {
        for (partition, runs) in groups {
            self.apply_group(*partition, members(points, runs))?;
        }
        Ok(())
    }

    /// Inserts validated points of `partition`.
    fn apply_group<'a>(
        &mut self,
        partition: TimePartition,
        points: impl Iterator<Item = &'a DataPoint>,
    ) -> Result<()> {
        let options = *self.config.memtable_options();
        let flushed = &self.flushed;
        let active = self.active.entry(partition).or_insert_with(|| Active {
            table: TimeSeriesMemTable::build(partition, options),
            generation: flushed.get(&partition).copied().unwrap_or(0),
        });
        for point in points {
            self.writes += 1;
            if active.generation > 0 {
                self.late_writes += 1;
            }
            self.newest = Some(
                self.newest
                    .map_or(point.timestamp, |n| n.max(point.timestamp)),
            );
            active.table.apply(point)?;
        }
        Ok(())
    }

    /// Inserts one validated point into `partition`.
    fn apply(&mut self, partition: TimePartition, point: &DataPoint) -> Result<()> {
        self.apply_group(partition, std::iter::once(point))
    }

    /// Inserts the points of log record `lsn`, which the caller has already
    /// logged (the engine logs outside the manager, so that concurrent
    /// writers share one WAL sync), and notes `lsn` in every memtable they
    /// reach (see [`min_active_lsn`](Self::min_active_lsn)). All points are
    /// validated first: on a validation error nothing is inserted.
    pub fn insert_logged(&mut self, points: &[DataPoint], lsn: u64) -> Result<()> {
        let groups = self.validate_batch(points)?;
        let applied = self.apply_groups(points, &groups);
        for (partition, _) in &groups {
            if let Some(active) = self.active.get_mut(partition) {
                active.table.note_lsn(lsn);
            }
        }
        applied
    }

    /// Takes every active memtable out, oldest first (see
    /// [`take_partition`](Self::take_partition)).
    pub fn take_all(&mut self) -> Vec<FrozenPartition> {
        let partitions: Vec<TimePartition> = self.active.keys().copied().collect();
        partitions
            .into_iter()
            .filter_map(|p| self.take_partition(p))
            .collect()
    }

    /// Forgets `partition` (its active memtable, if any, and its flush
    /// generation), e.g. when retention dropped it; returns the memtable.
    pub fn remove_partition(&mut self, partition: &TimePartition) -> Option<TimeSeriesMemTable> {
        self.flushed.remove(partition);
        self.active.remove(partition).map(|a| a.table)
    }

    /// The active memtable of `partition`, if any.
    pub fn memtable(&self, partition: &TimePartition) -> Option<&TimeSeriesMemTable> {
        self.active.get(partition).map(|a| &a.table)
    }

    /// The active partitions, oldest first, with their generation (0 for the
    /// first memtable of a partition, more for late data).
    pub fn partitions(&self) -> impl Iterator<Item = (TimePartition, u32, &TimeSeriesMemTable)> {
        self.active
            .iter()
            .map(|(p, a)| (*p, a.generation, &a.table))
    }

    /// The lowest log sequence number noted by any active memtable: log
    /// records below it are no longer needed by unflushed data (when records
    /// are applied in order).
    pub fn min_active_lsn(&self) -> Option<u64> {
        self.active.values().filter_map(|a| a.table.min_lsn()).min()
    }

    /// Counters and totals.
    pub fn stats(&self) -> ManagerStats {
        let tables = self.active.values().map(|a| &a.table);
        ManagerStats {
            active_partitions: self.active.len(),
            flushed_partitions: self.flushed.len(),
            series: tables.clone().map(TimeSeriesMemTable::series_count).sum(),
            points: tables.clone().map(TimeSeriesMemTable::point_count).sum(),
            memory_bytes: tables.map(TimeSeriesMemTable::approx_bytes).sum(),
            writes: self.writes,
            late_writes: self.late_writes,
            flushes: self.flushes,
            newest_timestamp: self.newest,
        }
    }

    /// The points of all partitions in `range`, in timestamp order, read
    /// from snapshots taken now.
    pub fn scan(&self, range: TimeRange) -> PartitionScan {
        PartitionScan::new(
            self.snapshots(range)
                .into_iter()
                .map(|s| s.scan(range).data_points()),
        )
    }

    /// The points of one series across partitions in `range`, in timestamp
    /// order.
    pub fn scan_series(&self, id: SeriesId, range: TimeRange) -> PartitionSeriesScan {
        let scans = self
            .snapshots(range)
            .into_iter()
            .filter_map(|s| s.scan_series(id, range));
        PartitionSeriesScan::new(scans)
    }

    /// Snapshots of the active partitions overlapping `range`, oldest first.
    pub fn snapshots(&self, range: TimeRange) -> Vec<crate::MemTableSnapshot> {
        self.active
            .iter()
            .filter(|(p, _)| range.overlaps(p.start(), last_ts(p)))
            .map(|(_, a)| a.table.snapshot())
            .collect()
    }
}

/// The last timestamp a partition contains.
fn last_ts(partition: &TimePartition) -> Timestamp {
    match partition.end_ts() {
        i64::MAX => i64::MAX,
        end => end - 1,
    }
}

/// The points of one partition in a batch: runs of consecutive indices.
type Group = (TimePartition, Vec<std::ops::Range<usize>>);

/// The points of `runs`, in order.
fn members<'a>(
    points: &'a [DataPoint],
    runs: &'a [std::ops::Range<usize>],
) -> impl Iterator<Item = &'a DataPoint> + 'a {
    runs.iter()
        .flat_map(move |run| points.get(run.clone()).unwrap_or_default())
}
