//! Flushing memtables to TSM files, then checkpointing and truncating the
//! WAL.
//!
//! Steps, each crash-safe: (1) freeze: with writers held off, every active
//! memtable becomes a frozen snapshot (still read by queries) and the
//! highest applied LSN becomes the flush's safe LSN; (2) each frozen
//! snapshot is written to `partitions/<start>/<gen>-<gen>.tsm` (tmp, fsync,
//! rename, fsync dir) and swapped in for the snapshot; (3) the WAL is
//! synced and `CHECKPOINT` records the safe LSN; (4) WAL segments wholly at
//! or below it are deleted. A crash before (3) replays records that are
//! also in new files: they carry the same values and the memtable wins, so
//! results are unchanged.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use skulk_format::TsmWriterOptions;

use crate::engine::Inner;
use crate::layout::FileGens;
use crate::locks::{exclusive, guard, shared};
use crate::state::Frozen;
use crate::stats::FlushStats;
use crate::tsm::TsmFile;
use crate::{Result, checkpoint};

/// Which active memtables a flush takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Every one.
    All,
    /// Those the partition manager says are due (partitions far behind the
    /// newest data, too many active, too large).
    Due,
}

/// Runs a flush (see the module docs). Any failure after it started
/// writing puts the engine in its read-only failed state.
pub(crate) fn flush(inner: &Inner, scope: Scope) -> Result<FlushStats> {
    let _lifecycle = guard(&inner.lifecycle);
    inner.check_live()?;
    flush_locked(inner, scope).map_err(|e| inner.durability_error("flush", e))
}

fn flush_locked(inner: &Inner, scope: Scope) -> Result<FlushStats> {
    let started = Instant::now();
    let safe_lsn = freeze(inner, scope);
    let mut stats = FlushStats {
        safe_lsn,
        ..FlushStats::default()
    };
    for (start, frozen) in pending(inner) {
        write_frozen(inner, start, &frozen, &mut stats)?;
    }
    if safe_lsn > inner.safe_lsn.load(Ordering::SeqCst) {
        // Records up to the safe LSN must be durable in the WAL too, so
        // that LSNs never restart below the checkpoint after a crash.
        inner.wal.sync().map_err(|e| inner.wal_error(e))?;
        checkpoint::store(&inner.layout, safe_lsn)?;
        inner.safe_lsn.store(safe_lsn, Ordering::SeqCst);
        stats.wal_segments_removed = inner
            .wal
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
            let due = state.memtables.flush_priorities();
            let taken: Vec<_> = due
                .iter()
                .filter_map(|c| state.memtables.take_partition(c.partition))
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

/// Every frozen snapshot (also those left by a failed flush), oldest first.
fn pending(inner: &Inner) -> Vec<(i64, Frozen)> {
    let state = shared(&inner.state);
    let mut all: Vec<(i64, Frozen)> = state
        .partitions
        .iter()
        .flat_map(|(start, p)| p.frozen.iter().map(move |f| (*start, f.clone())))
        .collect();
    all.sort_by_key(|(_, f)| f.seq);
    all
}

/// Writer options from the configuration.
pub(crate) fn writer_options(inner: &Inner) -> TsmWriterOptions {
    TsmWriterOptions {
        max_points_per_block: inner.config.block_points,
        ..TsmWriterOptions::default()
    }
}

fn write_frozen(inner: &Inner, start: i64, frozen: &Frozen, stats: &mut FlushStats) -> Result<()> {
    let gens = FileGens::single(inner.next_gen.fetch_add(1, Ordering::SeqCst));
    let path = inner
        .layout
        .ensure_partition_dir(start)?
        .join(gens.file_name());
    let storage = inner.layout.storage();
    let outcome = frozen
        .snap
        .write_tsm_in(Arc::clone(storage), &path, writer_options(inner))?;
    let file = Arc::new(TsmFile::open(storage.as_ref(), &path, gens)?);
    let mut state = exclusive(&inner.state);
    if let Some(p) = state.partitions.get_mut(&start) {
        p.frozen.retain(|f| f.seq != frozen.seq);
        p.add_file(file);
    }
    stats.files_written += 1;
    stats.points_written += outcome.points_written;
    stats.bytes_written += outcome.handle.stats.file_size;
    Ok(())
}
