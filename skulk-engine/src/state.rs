//! The engine's in-memory state: active memtables (in a `PartitionManager`),
//! frozen memtables and TSM files per partition, and the series catalog,
//! guarded by one `RwLock` in [`crate::engine::Inner`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use skulk_codec::{CodecChoice, CodecId};
use skulk_format::{DataPoint, SeriesId, SeriesMeta, TimePartition};
use skulk_memtable::{
    FrozenPartition, MemTableOptions, MemTableSnapshot, PartitionManager, PartitionManagerConfig,
    TimeSeriesMemTable,
};

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

/// What a time partition holds besides its active memtable: frozen
/// memtables being flushed, and its TSM files.
#[derive(Debug)]
pub(crate) struct Partition {
    pub part: TimePartition,
    pub frozen: Vec<Frozen>,
    /// Ordered by generation: later files hold newer writes.
    pub files: Vec<Arc<TsmFile>>,
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
/// partitions, memtable layout, and the flush priorities maintenance acts
/// on (size per memtable, partitions left behind by the newest data, too
/// many partitions active).
fn manager_config(config: &EngineConfig) -> PartitionManagerConfig {
    let options = MemTableOptions::default()
        .with_tail_points(MEMTABLE_CHUNK_POINTS)
        .with_chunk_points(MEMTABLE_CHUNK_POINTS)
        .with_codec(MEMTABLE_CODEC);
    let size = match usize::try_from(config.flush_size_bytes) {
        Ok(0) | Err(_) => usize::MAX,
        Ok(bytes) => bytes,
    };
    let (active, age) = match config.max_active_partitions {
        0 => (usize::MAX, std::time::Duration::MAX),
        n => (n, config.partition_duration),
    };
    PartitionManagerConfig::default()
        .with_partition_duration(config.partition_duration)
        .with_memtable_options(options)
        .with_size_threshold(size)
        .with_max_active_partitions(active)
        .with_age_threshold(age)
}

impl Partition {
    pub fn new(part: TimePartition) -> Self {
        Self {
            part,
            frozen: Vec::new(),
            files: Vec::new(),
        }
    }

    /// Adds a file keeping generation order.
    pub fn add_file(&mut self, file: Arc<TsmFile>) {
        let at = self.files.partition_point(|f| f.gens <= file.gens);
        self.files.insert(at, file);
    }
}

/// A partition retention took out of the state.
#[derive(Debug)]
pub(crate) struct Dropped {
    pub files: Vec<Arc<TsmFile>>,
    /// Points it held in memtables (active and frozen).
    pub memtable_points: u64,
}

/// Everything readers snapshot and writers change.
#[derive(Debug)]
pub(crate) struct State {
    /// The active memtables: routing of points to partitions, freezing,
    /// flush priorities.
    pub memtables: PartitionManager,
    /// Frozen memtables and files, by partition start.
    pub partitions: BTreeMap<i64, Partition>,
    /// Every series with data somewhere, by id.
    pub catalog: HashMap<SeriesId, Arc<SeriesMeta>>,
    /// Sequence number of the next frozen memtable.
    pub next_freeze: u64,
    /// Points written to active memtables since the last full freeze
    /// (overwrites included).
    pub active_writes: u64,
    /// When the oldest write still only in active memtables happened.
    pub oldest_active_write: Option<Instant>,
}

impl State {
    pub fn new(config: &EngineConfig) -> Result<Self> {
        let memtables =
            PartitionManager::new(manager_config(config)).map_err(EngineError::Memtable)?;
        Ok(Self {
            memtables,
            partitions: BTreeMap::new(),
            catalog: HashMap::new(),
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
                self.catalog
                    .entry(p.series_id)
                    .or_insert_with(|| Arc::clone(&p.series));
                previous = Some(p.series_id);
            }
        }
        self.active_writes += points.len() as u64;
        self.oldest_active_write.get_or_insert_with(Instant::now);
        Ok(())
    }

    /// The partition starting at `part.start()`, created when missing.
    pub fn partition_mut(&mut self, part: TimePartition) -> &mut Partition {
        self.partitions
            .entry(part.start())
            .or_insert_with(|| Partition::new(part))
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
            self.partition_mut(frozen.partition)
                .frozen
                .push(Frozen { seq, snap });
        }
    }

    /// Takes partition `start` out entirely (retention).
    pub fn drop_partition(&mut self, part: TimePartition) -> Dropped {
        let active = self.memtables.remove_partition(&part);
        let mut memtable_points = active.as_ref().map_or(0, TimeSeriesMemTable::point_count);
        let mut files = Vec::new();
        if let Some(p) = self.partitions.remove(&part.start()) {
            memtable_points += p.frozen.iter().map(|f| f.snap.point_count()).sum::<u64>();
            files = p.files;
        }
        Dropped {
            files,
            memtable_points,
        }
    }

    /// Registers the series of a file in the catalog.
    pub fn catalog_file(&mut self, file: &TsmFile) {
        for entry in file.reader.series() {
            self.catalog
                .entry(entry.id)
                .or_insert_with(|| Arc::new(entry.meta.clone()));
        }
    }

    /// Rebuilds the catalog from what the partitions hold (after a drop).
    pub fn rebuild_catalog(&mut self) {
        let mut catalog = HashMap::new();
        let mut add = |id: SeriesId, meta: &dyn Fn() -> Arc<SeriesMeta>| {
            catalog.entry(id).or_insert_with(meta);
        };
        for (_, _, table) in self.memtables.partitions() {
            for s in table.snapshot().series() {
                add(s.id(), &|| Arc::clone(s.meta()));
            }
        }
        for p in self.partitions.values() {
            for f in &p.frozen {
                for s in f.snap.series() {
                    add(s.id(), &|| Arc::clone(s.meta()));
                }
            }
            for f in &p.files {
                for entry in f.reader.series() {
                    let known = self.catalog.get(&entry.id);
                    add(entry.id, &|| match known {
                        Some(known) => Arc::clone(known),
                        None => Arc::new(entry.meta.clone()),
                    });
                }
            }
        }
        self.catalog = catalog;
    }

    /// Every partition that holds data (in memtables or files), in time
    /// order.
    pub fn partition_list(&self) -> Vec<TimePartition> {
        let mut all: BTreeMap<i64, TimePartition> = self
            .partitions
            .values()
            .map(|p| (p.part.start(), p.part))
            .collect();
        for (part, _, _) in self.memtables.partitions() {
            all.insert(part.start(), part);
        }
        all.into_values().collect()
    }

    /// Points in active and frozen memtables (distinct per memtable).
    pub fn memory_points(&self) -> u64 {
        let frozen: u64 = self
            .partitions
            .values()
            .flat_map(|p| &p.frozen)
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
            .partitions
            .values()
            .flat_map(|p| &p.frozen)
            .map(|f| f.snap.stats().memory_bytes)
            .sum();
        self.active_bytes() + frozen as u64
    }

    /// Every file, in partition order.
    pub fn files(&self) -> impl Iterator<Item = &Arc<TsmFile>> {
        self.partitions.values().flat_map(|p| p.files.iter())
    }
}
