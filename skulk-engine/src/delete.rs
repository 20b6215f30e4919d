//! Deleting the points of the series a selector matches in a time range
//! (`tombstone.rs`, `FORMAT.md` "Tombstones").
//!
//! With flushes, compactions and retention held off, every memtable is
//! flushed (writers are held off only while their memtables freeze), so
//! each point written before the delete is in a file of a generation below
//! the next one. The manifest then records a tombstone with that limit,
//! atomically and durably; only then is the tombstone shown to queries and
//! the call returns. A crash before the manifest is published leaves no
//! trace of the delete (it was not acknowledged); after, it holds for good.
//! Writes racing with the delete land in files of later generations and are
//! kept: they are ordered after it.

use std::sync::atomic::Ordering;

use skulk_format::{SeriesId, TimeRange};

use crate::engine::Inner;
use crate::flush::{Scope, flush_locked};
use crate::locks::{exclusive, guard, shared};
use crate::query::{CompiledSelector, SeriesSelector};
use crate::stats::DeleteStats;
use crate::tombstone::Tombstone;
use crate::{EngineError, Result};

/// Deletes the points of the series `selector` matches in `range`.
pub(crate) fn delete(
    inner: &Inner,
    selector: &SeriesSelector,
    range: TimeRange,
) -> Result<DeleteStats> {
    let selector = CompiledSelector::new(selector)?;
    if range.is_empty() {
        return Err(EngineError::InvalidArgument(
            "a delete needs a non-empty time range".into(),
        ));
    }
    let _lifecycle = guard(&inner.lifecycle);
    inner.check_live()?;
    let series = matching(inner, &selector);
    let mut stats = DeleteStats {
        series: series.len(),
        ..DeleteStats::default()
    };
    if series.is_empty() {
        return Ok(stats);
    }
    stats.flush = flush_locked(inner, Scope::All)
        .map_err(|e| inner.durability_error("flush before a delete", e))?;
    let tombstone = Tombstone {
        gen_limit: inner.next_gen.load(Ordering::SeqCst),
        range,
        series,
    };
    stats.files_covered = {
        let state = shared(&inner.state);
        state
            .files
            .iter()
            .filter(|f| tombstone.covers_points_of(f))
            .count()
    };
    let recorded = tombstone.clone();
    inner
        .update_manifest(|m| {
            m.next_gen = m.next_gen.max(recorded.gen_limit);
            m.tombstones.push(recorded);
        })
        .map_err(|e| inner.durability_error("recording a delete", e))?;
    exclusive(&inner.state).tombstones.push(tombstone);
    Ok(stats)
}

/// The ids of the known series `selector` matches, sorted.
fn matching(inner: &Inner, selector: &CompiledSelector) -> Vec<SeriesId> {
    let state = shared(&inner.state);
    let index = &state.index;
    let mut ids: Vec<SeriesId> = crate::index::select(index, selector)
        .into_iter()
        .filter_map(|r| index.id(r))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}
