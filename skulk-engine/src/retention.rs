//! Retention: dropping data older than the configured TTL.
//!
//! With writers held off, each expired partition that has points in
//! memtables is first recorded in the WAL (a drop-partition record: replay
//! then discards the partition's earlier points), then the manifest drops
//! the files whose whole span has expired (noting them as removed, so open
//! deletes them if they are still there) and records the cutoff; then the
//! memtables are dropped from memory and the files unlinked. A crash at any
//! point ends with the data gone after the next open (or, before the drop
//! is durable, with the next retention pass dropping it again). A file is dropped only once its whole span has expired, so data
//! in a coarse file lives at most that file's span (at most a tenth of the
//! retention, see `levels.rs`) longer than the retention.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use skulk_format::TimePartition;
use skulk_wal::WalEntry;

use crate::Result;
use crate::engine::Inner;
use crate::locks::{exclusive, guard};
use crate::stats::RetentionStats;

/// Drops every partition that ends at or before `now - retention`.
pub(crate) fn apply(inner: &Inner) -> Result<RetentionStats> {
    let Some(ttl) = inner.config.retention else {
        return Ok(RetentionStats::default());
    };
    let _lifecycle = guard(&inner.lifecycle);
    inner.check_live()?;
    drop_expired(inner, ttl).map_err(|e| inner.durability_error("retention", e))
}

fn drop_expired(inner: &Inner, ttl: std::time::Duration) -> Result<RetentionStats> {
    let ttl_ns = i64::try_from(ttl.as_nanos()).unwrap_or(i64::MAX);
    let cutoff = inner.clock.now_ns().saturating_sub(ttl_ns);
    let mut stats = RetentionStats {
        cutoff_ns: cutoff,
        ..RetentionStats::default()
    };
    let _ingest = exclusive(&inner.ingest);
    let (parts, files, spans): (Vec<TimePartition>, Vec<PathBuf>, BTreeSet<i64>) = {
        let state = crate::locks::shared(&inner.state);
        let parts = state
            .memtable_partitions()
            .into_iter()
            .filter(|p| p.end_ts() <= cutoff && p.end_ts() != i64::MAX)
            .collect();
        let expired: Vec<_> = state
            .files
            .iter()
            .filter(|f| f.span.expired(cutoff))
            .collect();
        let files = expired.iter().map(|f| f.path.clone()).collect();
        let spans = expired.iter().map(|f| f.span.start).collect();
        (parts, files, spans)
    };
    if parts.is_empty() && files.is_empty() {
        return Ok(stats);
    }
    for part in &parts {
        let lsn = inner
            .wal()?
            .append(&WalEntry::DropPartition(*part))
            .map_err(|e| inner.wal_error(e))?;
        inner.applied_lsn.fetch_max(lsn, Ordering::SeqCst);
    }
    inner.update_manifest(|m| {
        m.retention_cutoff = Some(m.retention_cutoff.map_or(cutoff, |c| c.max(cutoff)));
        m.files.retain(|f| !files.contains(&f.path));
        m.removed = files.clone();
    })?;
    {
        let mut state = exclusive(&inner.state);
        for part in &parts {
            stats.memtable_points_dropped += state.drop_partition(*part);
        }
        state.remove_files(&files);
        if !parts.is_empty() || !files.is_empty() {
            state.rebuild_catalog();
        }
    }
    let starts: BTreeSet<i64> = parts.iter().map(|p| p.start()).chain(spans).collect();
    stats.partitions_dropped = starts.len();
    stats.files_removed = files.len();
    inner.layout.remove_files(&files)?;
    Ok(stats)
}
