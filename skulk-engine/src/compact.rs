//! Compaction: merging the TSM files inside one time bucket into one file
//! (`levels.rs`, `FORMAT.md` "Levels").
//!
//! A bucket of level 0 (one partition) is merged once it holds
//! `compaction_min_files` files. A bucket of a higher level is merged when
//! it holds two or more files and either data has moved past it (its end
//! lies at or before the newest partition, and no memtable overlaps it),
//! or its files are small together ([`SMALL_BYTES`]), or they are many
//! ([`FANOUT`]). So old data ends in few, large files (their number grows
//! with the logarithm of the data's age), and sparse data in one.
//!
//! A merge writes every file overlapping the bucket into one file of a fresh
//! generation, published atomically (tmp, fsync, rename, fsync dir); the
//! manifest then lists it instead of its inputs (and notes the inputs as
//! removed); only then are the inputs unlinked. A crash before the manifest
//! leaves an unlisted file of a generation the manifest has not reached
//! (open deletes it); after it, inputs the manifest notes as removed (open
//! deletes them).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use rayon::prelude::*;
use skulk_format::{MetaView, SeriesId, TsmWriter};

use crate::Result;
use crate::engine::Inner;
use crate::flush::writer_options;
use crate::layout::FileGens;
use crate::levels::{FANOUT, Levels, Span};
use crate::locks::{exclusive, guard, shared};
use crate::query::merge::{Columns, merge_sources};
use crate::state::State;
use crate::stats::CompactionStats;
use crate::tombstone::{hidden, remove_hidden};
use crate::tsm::TsmFile;

/// Series merged in parallel before being written in order.
const SERIES_PER_BATCH: usize = 64;
/// Files of a bucket that together hold at most this many bytes are merged
/// even before data moves past the bucket: rewriting them is cheap, and
/// sparse data would otherwise stay in many tiny files.
pub(crate) const SMALL_BYTES: u64 = 1 << 20;

/// Merges buckets (see the module docs) until none qualifies. Level-0
/// buckets need `min_files` files (values below 2 mean 2).
pub(crate) fn compact(inner: &Inner, min_files: usize) -> Result<CompactionStats> {
    let started = Instant::now();
    let _lifecycle = guard(&inner.lifecycle);
    inner.check_live()?;
    let mut stats = CompactionStats::default();
    loop {
        let plan = pick(&shared(&inner.state), &inner.levels, min_files.max(2));
        let Some((span, inputs)) = plan else {
            break;
        };
        merge(inner, span, &inputs, &mut stats)
            .map_err(|e| inner.durability_error("compaction", e))?;
    }
    purge_deleted(inner, &mut stats).map_err(|e| inner.durability_error("compaction", e))?;
    stats.duration = started.elapsed();
    Ok(stats)
}

/// Rewrites every file that still holds points a delete hides, into a
/// fresh generation no tombstone covers, then drops the tombstones that
/// hide nothing any more. A file is rewritten together with every file
/// overlapping it (and every file overlapping those): alone, its fresh
/// generation would rank its points above those of newer files over the
/// same time, and a value overwritten later would come back.
fn purge_deleted(inner: &Inner, stats: &mut CompactionStats) -> Result<()> {
    let covered: Vec<Arc<TsmFile>> = {
        let state = shared(&inner.state);
        state
            .files
            .iter()
            .filter(|f| state.tombstones.iter().any(|t| t.covers_points_of(f)))
            .cloned()
            .collect()
    };
    for file in covered {
        // An earlier rewrite may have taken this file in already.
        let group = overlapping(&shared(&inner.state), &file);
        if let Some(span) = union(&group) {
            merge(inner, span, &group, stats)?;
        }
    }
    let spent: Vec<_> = {
        let state = shared(&inner.state);
        state
            .tombstones
            .iter()
            .filter(|t| !state.files.iter().any(|f| t.covers_points_of(f)))
            .cloned()
            .collect()
    };
    if spent.is_empty() {
        return Ok(());
    }
    inner.update_manifest(|m| m.tombstones.retain(|t| !spent.contains(t)))?;
    let mut state = exclusive(&inner.state);
    state.tombstones.retain(|t| !spent.contains(t));
    state.rebuild_catalog();
    stats.tombstones_dropped += spent.len();
    Ok(())
}

/// `file` (if still live) and every live file overlapping it in time,
/// directly or through others, oldest first (the order of the state).
fn overlapping(state: &State, file: &Arc<TsmFile>) -> Vec<Arc<TsmFile>> {
    if !state.files.iter().any(|f| Arc::ptr_eq(f, file)) {
        return Vec::new();
    }
    let mut spans = vec![file.span];
    let mut taken = vec![false; state.files.len()];
    loop {
        let mut grew = false;
        for (f, taken) in state.files.iter().zip(taken.iter_mut()) {
            if !*taken && spans.iter().any(|s| s.overlaps(&f.span)) {
                *taken = true;
                spans.push(f.span);
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    let files = state.files.iter().zip(&taken);
    files
        .filter(|(_, t)| **t)
        .map(|(f, _)| Arc::clone(f))
        .collect()
}

/// The smallest span holding every file of `files`.
fn union(files: &[Arc<TsmFile>]) -> Option<Span> {
    let start = files.iter().map(|f| f.span.start).min()?;
    let end = files.iter().map(|f| f.span.end).max()?;
    Some(Span { start, end })
}

/// The first bucket to merge, lowest level and oldest first, with its
/// files.
fn pick(state: &State, levels: &Levels, min_files: usize) -> Option<(Span, Vec<Arc<TsmFile>>)> {
    let newest = state.newest_ts().map(|ts| levels.partition(ts).start);
    let busy: Vec<Span> = state
        .memtable_partitions()
        .iter()
        .map(|p| levels.partition(p.start()))
        .collect();
    for level in 0..=levels.max_level() {
        let mut buckets: BTreeMap<Span, Vec<Arc<TsmFile>>> = BTreeMap::new();
        for file in &state.files {
            let bucket = levels.bucket(level, file.span.start);
            if bucket.contains(&file.span) {
                buckets.entry(bucket).or_default().push(Arc::clone(file));
            }
        }
        for (bucket, files) in buckets {
            if files.len() < 2 {
                continue;
            }
            let due = if level == 0 {
                files.len() >= min_files
            } else {
                let settled = newest.is_some_and(|n| bucket.end <= n)
                    && !busy.iter().any(|b| b.overlaps(&bucket));
                let small = files.iter().map(|f| f.size()).sum::<u64>() <= SMALL_BYTES;
                settled || small || files.len() >= FANOUT as usize
            };
            // A file larger than the bucket may overlap it: merge only
            // buckets no other file reaches into.
            let alone = state
                .files
                .iter()
                .all(|f| bucket.contains(&f.span) || !bucket.overlaps(&f.span));
            if due && alone {
                return Some((bucket, files));
            }
        }
    }
    None
}

fn merge(
    inner: &Inner,
    span: Span,
    inputs: &[Arc<TsmFile>],
    stats: &mut CompactionStats,
) -> Result<()> {
    let gen_ = inner.next_gen.fetch_add(1, Ordering::SeqCst);
    let path = inner.layout.tsm_path(gen_);
    let points = write_merged(inner, &path, inputs)?;
    let storage = inner.layout.storage();
    let file = Arc::new(TsmFile::open(
        storage.as_ref(),
        &path,
        FileGens::single(gen_),
        span,
    )?);
    let gone: Vec<PathBuf> = inputs.iter().map(|f| f.path.clone()).collect();
    let record = file.record();
    inner.update_manifest(|m| {
        m.files.retain(|f| !gone.contains(&f.path));
        m.files.push(record);
        m.sort_files();
        m.next_gen = m.next_gen.max(gen_ + 1);
        m.removed = gone.clone();
    })?;
    stats.partitions_compacted += 1;
    stats.files_merged += inputs.len();
    stats.files_written += 1;
    stats.points_written += points;
    stats.bytes_before += inputs.iter().map(|f| f.size()).sum::<u64>();
    stats.bytes_after += file.size();
    {
        let mut state = exclusive(&inner.state);
        state.remove_files(&gone);
        state.add_files([file])?;
    }
    inner.layout.remove_files(&gone)
}

/// Writes the last-write-wins merge of `inputs` (oldest first) to `path`;
/// returns the number of points written.
fn write_merged(inner: &Inner, path: &Path, inputs: &[Arc<TsmFile>]) -> Result<u64> {
    let mut series: BTreeMap<SeriesId, MetaView<'_>> = BTreeMap::new();
    for f in inputs {
        for entry in f.reader.series() {
            series.entry(entry.id).or_insert(entry.meta);
        }
    }
    let series: Vec<(SeriesId, MetaView<'_>)> = series.into_iter().collect();
    let tombstones = &shared(&inner.state).tombstones.clone();
    let storage = Arc::clone(inner.layout.storage());
    let mut writer = TsmWriter::create_in(storage, path, writer_options(inner))?;
    let mut points = 0u64;
    for batch in series.chunks(SERIES_PER_BATCH) {
        let merged: Vec<Columns> = batch
            .par_iter()
            .map(|(id, _)| {
                let sources = inputs.iter().map(|f| {
                    let mut cols = f.read_series(*id)?;
                    remove_hidden(&mut cols, &hidden(tombstones, f.gens.last, *id));
                    Ok(vec![cols])
                });
                Ok(merge_sources(sources.collect::<Result<_>>()?))
            })
            .collect::<Result<_>>()?;
        for ((_, meta), cols) in batch.iter().zip(merged) {
            if !cols.is_empty() {
                writer.write_series(&meta.to_meta(), &cols.ts, &cols.vals)?;
                points += cols.len() as u64;
            }
        }
    }
    writer.finish()?;
    Ok(points)
}
