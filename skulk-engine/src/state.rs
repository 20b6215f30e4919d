//! The engine's in-memory state: active memtables (in a `PartitionManager`),
//! frozen memtables and TSM files per partition, and the series catalog
//! with its inverted index, guarded by one `RwLock` in
//! [`crate::engine::Inner`].

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use skulk_codec::{CodecChoice, CodecId};
use skulk_format::{DataPoint, SeriesId, TimePartition};
use skulk_memtable::{
    FrozenPartition, MemTableOptions, MemTableSnapshot, PartitionManager, PartitionManagerConfig,
    TimeSeriesMemTable,
};

use crate::index::SeriesIndex;
use crate::tombstone::Tombstone;
use crate::tsm::TsmFile;
use crate::{EngineConfig, EngineError, Result};

/// A memtable taken out of service by a flush and not yet in a TSM file;
/// still read by queries.
#[derive(Debug, Clone)]
pub(crate) struct Frozen {
    /// Order of freezing: later snapshots hold newer writes.
    pub seq: u64,
    pub snap: MemTableSnapshot,
}

/// Points a memtable series buffers uncompressed, and the size of its
/// compressed chunks. Equal, so that each point is encoded once while in
/// memory (a smaller tail re-encodes the open chunk on every seal, which
/// dominated ingest time); the cost is up to 8 KiB of tail per series.
const MEMTABLE_CHUNK_POINTS: usize = 512;

/// Codecs of memtable chunks: Gorilla encodes in one cheap pass, keeping
/// ingest fast; flushes re-encode with the adaptive choice for the files.
const MEMTABLE_CODEC: CodecChoice = CodecChoice::Fixed {
    timestamps: CodecId::GorillaTimestamps,
    values: CodecId::GorillaValues,
};

/// The partition manager's settings for an engine's configuration: its
/// partitions, memtable layout, and the flush priority maintenance acts on
/// (too many partitions active; the flush thresholds cover size and age).
fn manager_config(config: &EngineConfig, partition: Duration) -> PartitionManagerConfig {
    let options = MemTableOptions::default()
        .with_tail_points(MEMTABLE_CHUNK_POINTS)
        .with_chunk_points(MEMTABLE_CHUNK_POINTS)
        .with_codec(MEMTABLE_CODEC);
    let active = match config.max_active_partitions {
        0 => usize::MAX,
        n => n,
    };
    PartitionManagerConfig::default()
        .with_partition_duration(partition)
        .with_memtable_options(options)
        .with_size_threshold(usize::MAX)
        .with_max_active_partitions(active)
        .with_age_threshold(Duration::MAX)
}

/// Everything readers snapshot and writers change.
#[derive(Debug)]
pub(crate) struct State {
    /// The active memtables: routing of points to partitions, freezing,
    /// flush priorities.
    pub memtables: PartitionManager,
    /// Memtables being flushed, by partition start, each in freeze order.
    pub frozen: BTreeMap<i64, Vec<Frozen>>,
    /// The live TSM files, oldest generation first: on equal (series,
    /// timestamp) a later file wins.
    pub files: Vec<Arc<TsmFile>>,
    /// Deletes hiding points of older files (`tombstone.rs`).
    pub tombstones: Vec<Tombstone>,
    /// Every series with data somewhere: the catalog and inverted index.
    pub index: SeriesIndex,
    /// Sequence number of the next frozen memtable.
    pub next_freeze: u64,
    /// Points written to active memtables since the last full freeze
    /// (overwrites included).
    pub active_writes: u64,
    /// When the oldest write still only in active memtables happened.
    pub oldest_active_write: Option<Instant>,
}

impl State {
    pub fn new(config: &EngineConfig, partition: Duration) -> Result<Self> {
        let memtables = PartitionManager::new(manager_config(config, partition))
            .map_err(EngineError::Memtable)?;
        Ok(Self {
            memtables,
            frozen: BTreeMap::new(),
            files: Vec::new(),
            tombstones: Vec::new(),
            index: SeriesIndex::default(),
            next_freeze: 0,
            active_writes: 0,
            oldest_active_write: None,
        })
    }

    /// Inserts the points of WAL record `lsn` into the active memtables of
    /// their partitions.
    pub fn insert(&mut self, points: &[DataPoint], lsn: u64) -> Result<()> {
        self.memtables
            .insert_logged(points, lsn)
            .map_err(EngineError::Memtable)?;
        let mut previous = None;
        for p in points {
            if previous != Some(p.series_id) {
                self.index.insert(p.series_id, &p.series)?;
                previous = Some(p.series_id);
            }
        }
        self.active_writes += points.len() as u64;
        self.oldest_active_write.get_or_insert_with(Instant::now);
        Ok(())
    }

    /// Makes `taken` memtables frozen snapshots (still read by queries),
    /// in order.
    pub fn freeze(&mut self, taken: Vec<FrozenPartition>) {
        for frozen in taken {
            if frozen.table.is_empty() {
                continue;
            }
            let seq = self.next_freeze;
            self.next_freeze += 1;
            let snap = frozen.table.snapshot();
            self.frozen
                .entry(frozen.partition.start())
                .or_default()
                .push(Frozen { seq, snap });
        }
    }

    /// Removes the frozen memtables with sequence numbers in `seqs` (they
    /// are in files now).
    pub fn unfreeze(&mut self, seqs: &[u64]) {
        for list in self.frozen.values_mut() {
            list.retain(|f| !seqs.contains(&f.seq));
        }
        self.frozen.retain(|_, list| !list.is_empty());
    }

    /// Adds files, keeping generation order, and their series to the
    /// catalog. Fails only when the catalog would pass its limits (2^32
    /// series or distinct strings); the files are added all the same.
    pub fn add_files(&mut self, files: impl IntoIterator<Item = Arc<TsmFile>>) -> Result<()> {
        let mut outcome = Ok(());
        for file in files {
            if outcome.is_ok() {
                outcome = self.catalog_file(&file);
            }
            self.files.push(file);
        }
        self.files.sort_by_key(|f| (f.gens.last, f.gens.first));
        outcome
    }

    /// Removes the files at `paths`.
    pub fn remove_files(&mut self, paths: &[std::path::PathBuf]) {
        self.files.retain(|f| !paths.contains(&f.path));
    }

    /// Drops the memtable points (active and frozen) of partition `part`
    /// (retention); returns how many there were.
    pub fn drop_partition(&mut self, part: TimePartition) -> u64 {
        let active = self.memtables.remove_partition(&part);
        let mut points = active.as_ref().map_or(0, TimeSeriesMemTable::point_count);
        if let Some(list) = self.frozen.remove(&part.start()) {
            points += list.iter().map(|f| f.snap.point_count()).sum::<u64>();
        }
        points
    }

    /// Registers the series of a file in the catalog.
    pub fn catalog_file(&mut self, file: &TsmFile) -> Result<()> {
        crate::index::import_file(&mut self.index, &file.reader)
    }

    /// Keeps in the catalog only the series that memtables or files still
    /// hold (after a drop).
    pub fn rebuild_catalog(&mut self) {
        let mut alive: HashSet<SeriesId> = HashSet::new();
        let snapshots = self
            .memtables
            .partitions()
            .map(|(_, _, table)| table.snapshot())
            .chain(self.frozen.values().flatten().map(|f| f.snap.clone()));
        for snap in snapshots {
            alive.extend(snap.series().iter().map(|s| s.id()));
        }
        for f in &self.files {
            alive.extend(f.reader.series_ids());
        }
        // Keeping fewer series never passes the catalog's limits; should it
        // fail all the same, the old catalog (a superset) stays.
        if let Ok(kept) = self.index.retained(|id| alive.contains(&id)) {
            self.index = kept;
        }
    }

    /// The partitions of the memtables, active and frozen.
    pub fn memtable_partitions(&self) -> Vec<TimePartition> {
        let mut all: BTreeMap<i64, TimePartition> = self
            .memtables
            .partitions()
            .map(|(part, _, _)| (part.start(), part))
            .collect();
        for list in self.frozen.values() {
            for f in list {
                let part = f.snap.partition();
                all.insert(part.start(), part);
            }
        }
        all.into_values().collect()
    }

    /// The newest timestamp anywhere, `None` when there is no point.
    pub fn newest_ts(&self) -> Option<i64> {
        let files = self
            .files
            .iter()
            .filter(|f| f.points() > 0)
            .map(|f| f.reader.stats().max_timestamp);
        let active = self.memtables.stats().newest_timestamp;
        let frozen = self
            .frozen
            .values()
            .flatten()
            .filter_map(|f| f.snap.stats().max_timestamp);
        files.chain(active).chain(frozen).max()
    }

    /// Points in active and frozen memtables (distinct per memtable).
    pub fn memory_points(&self) -> u64 {
        let frozen: u64 = self
            .frozen
            .values()
            .flatten()
            .map(|f| f.snap.point_count())
            .sum();
        self.memtables.stats().points + frozen
    }

    /// Approximate heap bytes of the active memtables.
    pub fn active_bytes(&self) -> u64 {
        self.memtables.stats().memory_bytes as u64
    }

    /// Approximate heap bytes of every memtable, active and frozen.
    pub fn memory_bytes(&self) -> u64 {
        let frozen: usize = self
            .frozen
            .values()
            .flatten()
            .map(|f| f.snap.stats().memory_bytes)
            .sum();
        self.active_bytes() + frozen as u64
    }
}
