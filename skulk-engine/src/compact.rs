//! Compaction: merging a partition's TSM files into one.
//!
//! The merged file is named after the range of generations it replaces
//! (`<first>-<last>.tsm`) and published atomically (tmp, fsync, rename,
//! fsync dir); it then replaces its inputs in memory, and only then are the
//! inputs unlinked. After a crash between publishing and unlinking, open
//! finds the inputs covered by the merged file's name and deletes them;
//! until then both hold the same points, so results are unchanged.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use skulk_format::{SeriesId, SeriesMeta, TsmWriter};

use crate::Result;
use crate::engine::Inner;
use crate::flush::writer_options;
use crate::layout::FileGens;
use crate::locks::{exclusive, guard, shared};
use crate::query::merge::{Columns, merge_sources};
use crate::stats::CompactionStats;
use crate::tsm::TsmFile;

/// Series merged in parallel before being written in order.
const SERIES_PER_BATCH: usize = 64;

/// Compacts every partition with at least `min_files` (and at least two)
/// files.
pub(crate) fn compact(inner: &Inner, min_files: usize) -> Result<CompactionStats> {
    let started = Instant::now();
    let _lifecycle = guard(&inner.lifecycle);
    inner.check_live()?;
    compact_locked(inner, min_files, started).map_err(|e| inner.durability_error("compaction", e))
}

fn compact_locked(inner: &Inner, min_files: usize, started: Instant) -> Result<CompactionStats> {
    let candidates: Vec<(i64, Vec<Arc<TsmFile>>)> = shared(&inner.state)
        .partitions
        .iter()
        .filter(|(_, p)| p.files.len() >= min_files.max(2))
        .map(|(start, p)| (*start, p.files.clone()))
        .collect();
    let mut stats = CompactionStats::default();
    for (start, inputs) in candidates {
        compact_partition(inner, start, &inputs, &mut stats)?;
    }
    stats.duration = started.elapsed();
    Ok(stats)
}

fn compact_partition(
    inner: &Inner,
    start: i64,
    inputs: &[Arc<TsmFile>],
    stats: &mut CompactionStats,
) -> Result<()> {
    let first = inputs.iter().map(|f| f.gens.first).min().unwrap_or(0);
    let last = inputs.iter().map(|f| f.gens.last).max().unwrap_or(0);
    let gens = FileGens { first, last };
    let path = inner
        .layout
        .ensure_partition_dir(start)?
        .join(gens.file_name());
    let points = write_merged(inner, &path, inputs)?;
    let file = Arc::new(TsmFile::open(inner.layout.storage().as_ref(), &path, gens)?);
    stats.partitions_compacted += 1;
    stats.files_merged += inputs.len();
    stats.files_written += 1;
    stats.points_written += points;
    stats.bytes_before += inputs.iter().map(|f| f.size()).sum::<u64>();
    stats.bytes_after += file.size();
    {
        let mut state = exclusive(&inner.state);
        if let Some(p) = state.partitions.get_mut(&start) {
            p.files
                .retain(|f| !inputs.iter().any(|i| Arc::ptr_eq(i, f)));
            p.add_file(file);
        }
    }
    for input in inputs {
        inner.layout.remove_file(&input.path)?;
    }
    Ok(())
}

/// Writes the last-write-wins merge of `inputs` (oldest first) to `path`;
/// returns the number of points written.
fn write_merged(inner: &Inner, path: &Path, inputs: &[Arc<TsmFile>]) -> Result<u64> {
    let mut series: BTreeMap<SeriesId, &SeriesMeta> = BTreeMap::new();
    for f in inputs {
        for entry in f.reader.series() {
            series.entry(entry.id).or_insert(&entry.meta);
        }
    }
    let series: Vec<(SeriesId, &SeriesMeta)> = series.into_iter().collect();
    let storage = Arc::clone(inner.layout.storage());
    let mut writer = TsmWriter::create_in(storage, path, writer_options(inner))?;
    let mut points = 0u64;
    for batch in series.chunks(SERIES_PER_BATCH) {
        let merged: Vec<Columns> = batch
            .par_iter()
            .map(|(id, _)| {
                let sources = inputs.iter().map(|f| f.read_series(*id).map(|c| vec![c]));
                Ok(merge_sources(sources.collect::<Result<_>>()?))
            })
            .collect::<Result<_>>()?;
        for ((_, meta), cols) in batch.iter().zip(merged) {
            if !cols.is_empty() {
                writer.write_series(meta, &cols.ts, &cols.vals)?;
                points += cols.len() as u64;
            }
        }
    }
    writer.finish()?;
    Ok(points)
}
