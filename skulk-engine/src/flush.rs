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

use crate::engine::{Inner, lock, read, write};
use crate::error::IoContext;
use crate::layout::FileGens;
use crate::state::{Frozen, memtable};
use crate::stats::FlushStats;
use crate::tsm::TsmFile;
use crate::{Result, checkpoint};

/// Runs a flush (see the module docs). Any failure after it started
/// writing puts the engine in its read-only failed state.
pub(crate) fn flush(inner: &Inner) -> Result<FlushStats> {
    let _lifecycle = lock(&inner.lifecycle);
    inner.check_live()?;
    flush_locked(inner).map_err(|e| inner.durability_error("flush", e))
}

fn flush_locked(inner: &Inner) -> Result<FlushStats> {
    let started = Instant::now();
    let safe_lsn = freeze(inner);
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
    stats.duration = started.elapsed();
    Ok(stats)
}

/// Turns every non-empty active memtable into a frozen snapshot and returns
/// the highest LSN they cover.
fn freeze(inner: &Inner) -> u64 {
    let _ingest = write(&inner.ingest);
    let mut state = write(&inner.state);
    let safe = inner.applied_lsn.load(Ordering::SeqCst);
    let mut seq = state.next_freeze;
    for p in state
        .partitions
        .values_mut()
        .filter(|p| !p.active.is_empty())
    {
        let table = std::mem::replace(&mut p.active, memtable(p.part));
        p.frozen.push(Frozen {
            seq,
            snap: table.snapshot(),
        });
        seq += 1;
    }
    state.next_freeze = seq;
    state.active_writes = 0;
    state.oldest_active_write = None;
    safe
}

/// Every frozen snapshot (also those left by a failed flush), oldest first.
fn pending(inner: &Inner) -> Vec<(i64, Frozen)> {
    let state = read(&inner.state);
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
        codec: inner.config.codec,
        ..TsmWriterOptions::default()
    }
}

/// Creates a partition's folder if missing and fsyncs `partitions/`,
/// always: a crash between an earlier creation and its sync would
/// otherwise leave the folder's entry undurable for good.
pub(crate) fn ensure_partition_dir(inner: &Inner, start: i64) -> Result<std::path::PathBuf> {
    let dir = inner.layout.partition_dir(start);
    if !dir.is_dir() {
        std::fs::create_dir_all(&dir).at(&dir)?;
    }
    inner.layout.fsync_dir(&inner.layout.partitions_dir())?;
    Ok(dir)
}

fn write_frozen(inner: &Inner, start: i64, frozen: &Frozen, stats: &mut FlushStats) -> Result<()> {
    let gens = FileGens::single(inner.next_gen.fetch_add(1, Ordering::SeqCst));
    let path = ensure_partition_dir(inner, start)?.join(gens.file_name());
    let outcome = frozen.snap.write_tsm_in(
        Arc::clone(inner.layout.storage()),
        &path,
        writer_options(inner),
    )?;
    let file = Arc::new(TsmFile::open(&path, gens)?);
    let mut state = write(&inner.state);
    if let Some(p) = state.partitions.get_mut(&start) {
        p.frozen.retain(|f| f.seq != frozen.seq);
        p.add_file(file);
    }
    stats.files_written += 1;
    stats.points_written += outcome.points_written;
    stats.bytes_written += outcome.handle.stats.file_size;
    Ok(())
}
