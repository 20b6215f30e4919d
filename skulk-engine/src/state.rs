//! The engine's in-memory state: partitions (memtables and files) and the
//! series catalog, guarded by one `RwLock` in [`crate::engine::Inner`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use skulk_codec::{CodecChoice, CodecId};
use skulk_format::{DataPoint, SeriesId, SeriesMeta, TimePartition};
use skulk_memtable::{MemTableOptions, MemTableSnapshot, TimeSeriesMemTable};

use crate::tsm::TsmFile;
use crate::{EngineError, Result};

/// A memtable taken out of service by a flush and not yet in a TSM file;
/// still read by queries.
#[derive(Debug, Clone)]
pub(crate) struct Frozen {
    /// Order of freezing: later snapshots hold newer writes.
    pub seq: u64,
    pub snap: MemTableSnapshot,
}

/// One time partition: its active memtable, frozen memtables being
/// flushed, and its TSM files.
#[derive(Debug)]
pub(crate) struct Partition {
    pub part: TimePartition,
    pub active: TimeSeriesMemTable,
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

/// An empty memtable for `part`.
pub(crate) fn memtable(part: TimePartition) -> TimeSeriesMemTable {
    let options = MemTableOptions::default()
        .with_tail_points(MEMTABLE_CHUNK_POINTS)
        .with_chunk_points(MEMTABLE_CHUNK_POINTS)
        .with_codec(MEMTABLE_CODEC);
    TimeSeriesMemTable::with_options(part, options)
        .unwrap_or_else(|_| TimeSeriesMemTable::new(part))
}

impl Partition {
    pub fn new(part: TimePartition) -> Self {
        Self {
            part,
            active: memtable(part),
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

/// Everything readers snapshot and writers change.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub partitions: BTreeMap<i64, Partition>,
    /// Every series with data somewhere, by id.
    pub catalog: HashMap<SeriesId, Arc<SeriesMeta>>,
    /// Sequence number of the next frozen memtable.
    pub next_freeze: u64,
    /// Points written to active memtables since the last freeze
    /// (overwrites included).
    pub active_writes: u64,
    /// When the oldest write still only in active memtables happened.
    pub oldest_active_write: Option<Instant>,
}

impl State {
    /// Inserts points into the active memtables of their partitions.
    pub fn insert(&mut self, points: &[DataPoint], duration: Duration) -> Result<()> {
        let mut rest = points;
        while let Some(first) = rest.first() {
            let part = TimePartition::containing(first.timestamp, duration)?;
            let run = rest
                .iter()
                .position(|p| !part.contains(p.timestamp))
                .unwrap_or(rest.len());
            let (now, later) = rest.split_at(run);
            let partition = self
                .partitions
                .entry(part.start())
                .or_insert_with(|| Partition::new(part));
            partition
                .active
                .insert_batch(now)
                .map_err(EngineError::Memtable)?;
            rest = later;
        }
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
        for p in self.partitions.values() {
            let snaps =
                std::iter::once(p.active.snapshot()).chain(p.frozen.iter().map(|f| f.snap.clone()));
            for snap in snaps {
                for s in snap.series() {
                    catalog
                        .entry(s.id())
                        .or_insert_with(|| Arc::clone(s.meta()));
                }
            }
            for f in &p.files {
                for entry in f.reader.series() {
                    if let Some(known) = self.catalog.get(&entry.id) {
                        catalog.entry(entry.id).or_insert_with(|| Arc::clone(known));
                    } else {
                        catalog
                            .entry(entry.id)
                            .or_insert_with(|| Arc::new(entry.meta.clone()));
                    }
                }
            }
        }
        self.catalog = catalog;
    }

    /// Points in active and frozen memtables (distinct per memtable).
    pub fn memory_points(&self) -> u64 {
        self.partitions
            .values()
            .map(|p| {
                p.active.point_count() + p.frozen.iter().map(|f| f.snap.point_count()).sum::<u64>()
            })
            .sum()
    }

    /// Approximate heap bytes of the active memtables.
    pub fn active_bytes(&self) -> u64 {
        self.partitions
            .values()
            .map(|p| p.active.approx_bytes() as u64)
            .sum()
    }

    /// Every file, in generation order.
    pub fn files(&self) -> impl Iterator<Item = &Arc<TsmFile>> {
        self.partitions.values().flat_map(|p| p.files.iter())
    }
}
