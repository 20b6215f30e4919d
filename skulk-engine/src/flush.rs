//! Flushing memtables to TSM files, then recording them in the manifest and
//! truncating the WAL.
//!
//! Steps, each crash-safe: (1) freeze: with writers held off, the active
//! memtables the flush takes become frozen snapshots (still read by
//! queries) and the flush's safe LSN is fixed; (2) the frozen snapshots are
//! grouped by time bucket (`levels.rs`: partitions that data has moved past
//! share the largest bucket that lies wholly before the newest partition),
//! each group is written to one file of a fresh generation under a
//! temporary name and fsynced, the groups in parallel, then all are renamed
//! into `tsm/` and the folder is fsynced once; (3) the WAL is synced and,
//! when every record is covered, rolled over to an empty segment; (4) the
//! manifest records the files, the safe LSN and the segments; (5) WAL
//! segments wholly at or below the safe LSN are deleted. A crash before (4)
//! leaves files of generations the manifest has not reached, which open
//! deletes; the WAL still holds their points.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use skulk_format::{SealedTsm, SeriesId, SeriesMeta, TsmWriter, TsmWriterOptions, publish_all};

use crate::engine::Inner;
use crate::layout::FileGens;
use crate::levels::Span;
use crate::locks::{exclusive, guard, shared};
use crate::query::merge::{Columns, merge_sources};
use crate::state::Frozen;
use crate::stats::FlushStats;
use crate::tsm::TsmFile;
use crate::{EngineError, Result};

/// Which active memtables a flush takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Every one.
    All,
    /// The oldest, when the partition manager says too many are active:
    /// all but the newest half of its limit.
    Due,
}

/// Files a flush writes at once, each on its own thread (the work is
/// mostly waiting for fsync).
const WRITERS: usize = 8;

/// Runs a flush (see the module docs). Any failure after it started
/// writing puts the engine in its read-only failed state.
pub(crate) fn flush(inner: &Inner, scope: Scope) -> Result<FlushStats> {
    let _lifecycle = guard(&inner.lifecycle);
    inner.check_live()?;
    flush_locked(inner, scope).map_err(|e| inner.durability_error("flush", e))
}

/// Runs a flush; the caller holds the lifecycle lock.
pub(crate) fn flush_locked(inner: &Inner, scope: Scope) -> Result<FlushStats> {
    let started = Instant::now();
    let safe_lsn = freeze(inner, scope);
    let mut stats = FlushStats::default();
    let groups = groups(inner);
    let written = write_groups(inner, &groups)?;
    let (files, sealed): (Vec<_>, Vec<_>) = written.into_iter().unzip();
    let handles = publish_all(sealed)?;
    for handle in &handles {
        stats.files_written += 1;
        stats.bytes_written += handle.stats.file_size;
        stats.points_written += handle.stats.total_point_count;
    }
    let storage = inner.layout.storage();
    let opened = files
        .iter()
        .map(|(path, gens, span)| TsmFile::open(storage.as_ref(), path, *gens, *span).map(Arc::new))
        .collect::<Result<Vec<_>>>()?;
    let advance = safe_lsn > inner.safe_lsn.load(Ordering::SeqCst);
    if advance {
        // Records up to the safe LSN must be durable in the WAL too, so
        // that LSNs never restart below the safe LSN after a crash.
        inner.wal()?.sync().map_err(|e| inner.wal_error(e))?;
        inner
            .wal()?
            .roll_if_covered(safe_lsn)
            .map_err(|e| inner.wal_error(e))?;
    }
    let segments = inner.wal_segment_firsts();
    let records: Vec<_> = opened.iter().map(|f| f.record()).collect();
    inner.update_manifest(|m| {
        m.files.extend(records);
        m.sort_files();
        m.next_gen = m.next_gen.max(inner.next_gen.load(Ordering::SeqCst));
        m.safe_lsn = m.safe_lsn.max(safe_lsn);
        m.wal_segments = segments;
        m.removed.clear();
    })?;
    {
        let mut state = exclusive(&inner.state);
        let seqs: Vec<u64> = groups
            .iter()
            .flat_map(|g| g.frozen.iter().map(|f| f.seq))
            .collect();
        state.unfreeze(&seqs);
        state.add_files(opened)?;
    }
    if advance {
        inner.safe_lsn.store(safe_lsn, Ordering::SeqCst);
        stats.wal_segments_removed = inner
            .wal()?
            .truncate_through(safe_lsn)
            .map_err(|e| inner.wal_error(e))?;
    }
    stats.safe_lsn = inner.safe_lsn.load(Ordering::SeqCst);
    stats.duration = started.elapsed();
    Ok(stats)
}

/// Freezes the active memtables `scope` takes and returns the safe LSN
/// this flush establishes: every applied record, or, when some memtables
/// stay active, every record below the oldest one they hold.
fn freeze(inner: &Inner, scope: Scope) -> u64 {
    let _ingest = exclusive(&inner.ingest);
    let mut state = exclusive(&inner.state);
    let applied = inner.applied_lsn.load(Ordering::SeqCst);
    let taken = match scope {
        Scope::All => {
            state.active_writes = 0;
            state.oldest_active_write = None;
            state.memtables.take_all()
        }
        Scope::Due => {
            let keep = (inner.config.max_active_partitions / 2).max(1);
            let active: Vec<_> = state.memtables.partitions().map(|(p, _, _)| p).collect();
            let oldest = active.len().saturating_sub(keep);
            let taken: Vec<_> = active
                .into_iter()
                .take(oldest)
                .filter_map(|p| state.memtables.take_partition(p))
                .collect();
            let writes: u64 = taken.iter().map(|t| t.table.writes()).sum();
            state.active_writes = state.active_writes.saturating_sub(writes);
            taken
        }
    };
    state.freeze(taken);
    match state.memtables.min_active_lsn() {
        Some(oldest) => applied.min(oldest.saturating_sub(1)),
        None => applied,
    }
}

/// Frozen memtables that go into one file.
struct Group {
    span: Span,
    /// Oldest first.
    frozen: Vec<Frozen>,
}

/// Every frozen snapshot (also those left by a failed flush), grouped by
/// the bucket its file covers: the largest bucket that lies wholly before
/// the newest partition, or the snapshot's own partition.
fn groups(inner: &Inner) -> Vec<Group> {
    let state = shared(&inner.state);
    let levels = inner.levels;
    let newest = state
        .newest_ts()
        .map_or(i64::MAX, |ts| levels.partition(ts).start);
    let mut groups: BTreeMap<Span, Vec<Frozen>> = BTreeMap::new();
    for frozen in state.frozen.values().flatten() {
        let start = frozen.snap.partition().start();
        let span = (1..=levels.max_level())
            .rev()
            .map(|k| levels.bucket(k, start))
            .find(|bucket| bucket.end <= newest)
            .unwrap_or_else(|| levels.partition(start));
        groups.entry(span).or_default().push(frozen.clone());
    }
    groups
        .into_iter()
        .map(|(span, mut frozen)| {
            frozen.sort_by_key(|f| f.seq);
            Group { span, frozen }
        })
        .collect()
}

/// Where a written file goes and what it covers.
type Planned = (std::path::PathBuf, FileGens, Span);

/// Writes and seals one file per group, up to [`WRITERS`] at once.
fn write_groups(inner: &Inner, groups: &[Group]) -> Result<Vec<(Planned, SealedTsm)>> {
    let planned: Vec<Planned> = groups
        .iter()
        .map(|g| {
            let gen_ = inner.next_gen.fetch_add(1, Ordering::SeqCst);
            (inner.layout.tsm_path(gen_), FileGens::single(gen_), g.span)
        })
        .collect();
    let jobs: Vec<(&Group, &Planned)> = groups.iter().zip(&planned).collect();
    let chunk = jobs.len().div_ceil(WRITERS).max(1);
    let results: Vec<Result<Vec<SealedTsm>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(group, (path, _, _))| write_group(inner, group, path))
                        .collect::<Result<Vec<_>>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(EngineError::InvalidArgument(
                        "a flush writer panicked".into(),
                    ))
                })
            })
            .collect()
    });
    let mut sealed = Vec::with_capacity(planned.len());
    for part in results {
        sealed.extend(part?);
    }
    Ok(planned.into_iter().zip(sealed).collect())
}

/// Writes one group's points, series by series, last write winning.
fn write_group(inner: &Inner, group: &Group, path: &std::path::Path) -> Result<SealedTsm> {
    let mut series: BTreeMap<SeriesId, &Arc<SeriesMeta>> = BTreeMap::new();
    for frozen in &group.frozen {
        for s in frozen.snap.series() {
            series.entry(s.id()).or_insert(s.meta());
        }
    }
    let storage = Arc::clone(inner.layout.storage());
    let mut writer = TsmWriter::create_in(storage, path, writer_options(inner))?;
    for (id, meta) in series {
        let mut sources = Vec::new();
        for frozen in &group.frozen {
            if let Some(s) = frozen.snap.series_by_id(id) {
                let c = s
                    .columns(skulk_format::TimeRange::ALL)
                    .map_err(EngineError::Memtable)?;
                sources.push(vec![Columns {
                    ts: c.timestamps,
                    vals: c.values,
                }]);
            }
        }
        let cols = merge_sources(sources);
        if !cols.is_empty() {
            writer.write_series(meta, &cols.ts, &cols.vals)?;
        }
    }
    Ok(writer.seal()?)
}

/// Writer options from the configuration.
pub(crate) fn writer_options(inner: &Inner) -> TsmWriterOptions {
    TsmWriterOptions {
        max_points_per_block: inner.config.block_points,
        codec: inner.config.codec,
        version: inner.config.tsm_version,
        ..TsmWriterOptions::default()
    }
}
