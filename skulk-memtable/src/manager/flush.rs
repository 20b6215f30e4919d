//! Flush policy of the [`PartitionManager`]: priorities and flushing.

use std::path::Path;
use std::sync::Arc;

use skulk_format::TimePartition;
use skulk_format::storage::{FsStorage, Storage, exists, parent_of};

use super::{Active, PartitionManager, last_ts};
use crate::{FlushOutcome, MemtableError, Result, TimeSeriesMemTable};

/// Why a partition should be flushed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FlushReason {
    /// Its memtable holds at least the size threshold in heap bytes.
    Size,
    /// Its end lies at least the age threshold behind the newest timestamp.
    Age,
    /// More partitions are active than allowed and it is among the oldest.
    TooManyActive,
}

/// A partition that should be flushed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlushCandidate {
    /// The partition.
    pub partition: TimePartition,
    /// Its generation (0 unless it holds late data).
    pub generation: u32,
    /// Every reason that applies, at least one.
    pub reasons: Vec<FlushReason>,
    /// Heap bytes of its memtable.
    pub memory_bytes: usize,
    /// Distinct points in its memtable.
    pub point_count: u64,
}

/// A flushed partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionFlush {
    /// The generation written; above 0 the file holds late data for a
    /// partition that already had a file.
    pub generation: u32,
    /// The file and what went into it.
    pub outcome: FlushOutcome,
}

/// A memtable taken out of the manager to be flushed by the caller (e.g.
/// on another thread); write it to `dir.join(self.file_name())`.
#[derive(Debug)]
pub struct FrozenPartition {
    /// The partition.
    pub partition: TimePartition,
    /// The generation to write.
    pub generation: u32,
    /// The memtable, no longer receiving inserts.
    pub table: TimeSeriesMemTable,
}

impl FrozenPartition {
    /// The file name to flush to, see [`partition_file_name`].
    pub fn file_name(&self) -> String {
        partition_file_name(&self.partition, self.generation)
    }
}

/// The file name of generation `generation` of `partition`:
/// `part_<start ns>_<duration ns>_g<generation>.tsm`. Distinct generations
/// give distinct names, so late data never replaces an earlier file.
pub fn partition_file_name(partition: &TimePartition, generation: u32) -> String {
    format!(
        "part_{}_{}_g{generation:04}.tsm",
        partition.start(),
        partition.duration_ns()
    )
}

impl PartitionManager {
    /// The partitions that should be flushed, oldest first, each with every
    /// reason that applies.
    ///
    /// ```
    /// use skulk_format::DataPoint;
    /// use skulk_memtable::{FlushReason, PartitionManager, PartitionManagerConfig};
    ///
    /// const HOUR: i64 = 3_600_000_000_000;
    /// let config = PartitionManagerConfig::default().with_max_active_partitions(2);
    /// let mut manager = PartitionManager::new(config)?;
    /// for hour in 0..3 {
    ///     manager.insert(&DataPoint::new("cpu", vec![], hour * HOUR, 1.0))?;
    /// }
    /// let due = manager.flush_priorities();
    /// assert_eq!(due.len(), 1);
    /// assert_eq!(due[0].partition.start(), 0);
    /// assert!(due[0].reasons.contains(&FlushReason::TooManyActive));
    ///
    /// let dir = tempfile::tempdir()?;
    /// let flushed = manager.flush_due(dir.path())?;
    /// assert_eq!(flushed[0].outcome.points_written, 1);
    /// assert_eq!(manager.stats().active_partitions, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn flush_priorities(&self) -> Vec<FlushCandidate> {
        let excess = self
            .active
            .len()
            .saturating_sub(self.config.max_active_partitions());
        self.active
            .iter()
            .enumerate()
            .filter_map(|(i, (partition, active))| {
                let reasons = self.reasons(i < excess, partition, &active.table);
                (!reasons.is_empty()).then(|| FlushCandidate {
                    partition: *partition,
                    generation: active.generation,
                    reasons,
                    memory_bytes: active.table.approx_bytes(),
                    point_count: active.table.point_count(),
                })
            })
            .collect()
    }

    fn reasons(
        &self,
        too_many: bool,
        partition: &TimePartition,
        table: &TimeSeriesMemTable,
    ) -> Vec<FlushReason> {
        let mut reasons = Vec::new();
        if table.approx_bytes() >= self.config.size_threshold() {
            reasons.push(FlushReason::Size);
        }
        let behind = self
            .newest
            .map(|n| i128::from(n) - i128::from(last_ts(partition)));
        if behind.is_some_and(|b| b > self.config.age_threshold_ns()) {
            reasons.push(FlushReason::Age);
        }
        if too_many {
            reasons.push(FlushReason::TooManyActive);
        }
        reasons
    }

    /// Flushes the oldest active partition into folder `dir` of the real
    /// file system (created if missing); `None` when no partition is
    /// active. On error the partition stays active and nothing is lost.
    pub fn flush_oldest(&mut self, dir: impl AsRef<Path>) -> Result<Option<PartitionFlush>> {
        let storage: Arc<dyn Storage> = Arc::new(FsStorage::new(""));
        self.flush_oldest_in(&storage, dir)
    }

    /// [`flush_oldest`](Self::flush_oldest) into folder `dir` of `storage`.
    pub fn flush_oldest_in(
        &mut self,
        storage: &Arc<dyn Storage>,
        dir: impl AsRef<Path>,
    ) -> Result<Option<PartitionFlush>> {
        match self.active.keys().next().copied() {
            Some(partition) => self.flush_partition_in(storage, partition, dir),
            None => Ok(None),
        }
    }

    /// Flushes every partition [`flush_priorities`](Self::flush_priorities)
    /// lists, oldest first.
    pub fn flush_due(&mut self, dir: impl AsRef<Path>) -> Result<Vec<PartitionFlush>> {
        let due: Vec<TimePartition> = self
            .flush_priorities()
            .iter()
            .map(|c| c.partition)
            .collect();
        let storage: Arc<dyn Storage> = Arc::new(FsStorage::new(""));
        let mut flushed = Vec::with_capacity(due.len());
        for partition in due {
            flushed.extend(self.flush_partition_in(&storage, partition, dir.as_ref())?);
        }
        Ok(flushed)
    }

    /// Flushes `partition` into folder `dir` of the real file system
    /// (created if missing); `None` when it is not active. The file name is
    /// [`partition_file_name`] with the partition's generation, raised past
    /// any file already in `dir`.
    pub fn flush_partition(
        &mut self,
        partition: TimePartition,
        dir: impl AsRef<Path>,
    ) -> Result<Option<PartitionFlush>> {
        let storage: Arc<dyn Storage> = Arc::new(FsStorage::new(""));
        self.flush_partition_in(&storage, partition, dir)
    }

    /// [`flush_partition`](Self::flush_partition) into folder `dir` of
    /// `storage`, every file-system operation going through it.
    pub fn flush_partition_in(
        &mut self,
        storage: &Arc<dyn Storage>,
        partition: TimePartition,
        dir: impl AsRef<Path>,
    ) -> Result<Option<PartitionFlush>> {
        let dir = dir.as_ref();
        let Some(active) = self.active.get(&partition) else {
            return Ok(None);
        };
        create_dir_durably(storage.as_ref(), dir)?;
        let io = |path: &Path| {
            let path = storage.display(path);
            move |source| MemtableError::Io { path, source }
        };
        let mut generation = active.generation;
        let name = |generation| dir.join(partition_file_name(&partition, generation));
        while exists(storage.as_ref(), &name(generation)).map_err(io(&name(generation)))? {
            generation += 1;
        }
        let path = name(generation);
        let outcome = active.table.snapshot().write_tsm_in(
            Arc::clone(storage),
            &path,
            skulk_format::TsmWriterOptions::default(),
        )?;
        self.active.remove(&partition);
        self.flushed.insert(partition, generation + 1);
        self.flushes += 1;
        Ok(Some(PartitionFlush {
            generation,
            outcome,
        }))
    }

    /// Takes the oldest partition's memtable out for the caller to flush;
    /// the partition counts as flushed, so later points for it start the
    /// next generation.
    ///
    /// ```
    /// use skulk_format::DataPoint;
    /// use skulk_memtable::{PartitionManager, PartitionManagerConfig};
    ///
    /// let mut manager = PartitionManager::new(PartitionManagerConfig::default())?;
    /// manager.insert(&DataPoint::new("cpu", vec![], 10, 1.0))?;
    /// let frozen = manager.take_oldest().expect("one partition");
    /// assert_eq!((frozen.generation, frozen.table.point_count()), (0, 1));
    /// let dir = tempfile::tempdir()?;
    /// frozen.table.flush(dir.path().join(frozen.file_name()))?;
    ///
    /// // Late data for the same hour starts generation 1, written to a new file.
    /// manager.insert(&DataPoint::new("cpu", vec![], 20, 2.0))?;
    /// let late = manager.take_oldest().expect("late partition");
    /// assert_eq!(late.generation, 1);
    /// assert_ne!(late.file_name(), frozen.file_name());
    /// assert_eq!(manager.stats().late_writes, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn take_oldest(&mut self) -> Option<FrozenPartition> {
        let partition = self.active.keys().next().copied()?;
        self.take_partition(partition)
    }

    /// Takes `partition`'s memtable out, see [`take_oldest`](Self::take_oldest).
    pub fn take_partition(&mut self, partition: TimePartition) -> Option<FrozenPartition> {
        let Active { table, generation } = self.active.remove(&partition)?;
        self.flushed.insert(partition, generation + 1);
        self.flushes += 1;
        Some(FrozenPartition {
            partition,
            generation,
            table,
        })
    }
}

/// Creates `dir` (with its parents) when missing, then fsyncs the parent
/// of each folder created and of `dir`, so that the entries are durable.
/// `dir`'s parent is synced even when `dir` existed: a crash between an
/// earlier creation and its sync would otherwise leave the entry undurable
/// for good.
fn create_dir_durably(storage: &dyn Storage, dir: &Path) -> Result<()> {
    let io = |path: &Path| {
        let path = storage.display(path);
        move |source| MemtableError::Io { path, source }
    };
    let mut missing = Vec::new();
    for folder in dir.ancestors() {
        if folder.as_os_str().is_empty() || exists(storage, folder).map_err(io(folder))? {
            break;
        }
        missing.push(folder);
    }
    let mut parents = vec![parent_of(dir)];
    for folder in missing.iter().rev() {
        storage.create_dir(folder).map_err(io(folder))?;
        parents.push(parent_of(folder));
    }
    parents.sort();
    parents.dedup();
    for parent in parents {
        storage.sync_dir(parent).map_err(io(parent))?;
    }
    Ok(())
}
