//! Retention: dropping whole partitions older than the configured TTL.
//!
//! With writers held off, each expired partition is first recorded in the
//! WAL (a drop-partition record: replay then discards the partition's
//! earlier points and deletes its folder), then removed from memory; its
//! folder is then renamed to `<start>.dropped` and deleted. A crash at any
//! point ends with the partition gone after the next open.

use std::sync::atomic::Ordering;

use skulk_format::TimePartition;
use skulk_wal::WalEntry;

use crate::Result;
use crate::engine::{Inner, lock, read, write};
use crate::state::Partition;
use crate::stats::RetentionStats;

/// Drops every partition that ends at or before `now - retention`.
pub(crate) fn apply(inner: &Inner) -> Result<RetentionStats> {
    let Some(ttl) = inner.config.retention else {
        return Ok(RetentionStats::default());
    };
    let _lifecycle = lock(&inner.lifecycle);
    inner.check_live()?;
    drop_partitions(inner, ttl).map_err(|e| inner.durability_error("retention", e))
}

fn drop_partitions(inner: &Inner, ttl: std::time::Duration) -> Result<RetentionStats> {
    let ttl_ns = i64::try_from(ttl.as_nanos()).unwrap_or(i64::MAX);
    let cutoff = inner.clock.now_ns().saturating_sub(ttl_ns);
    let mut stats = RetentionStats {
        cutoff_ns: cutoff,
        ..RetentionStats::default()
    };
    let (dropped, logged) = drop_expired(inner, cutoff);
    for p in dropped {
        stats.partitions_dropped += 1;
        stats.files_removed += p.files.len();
        stats.memtable_points_dropped +=
            p.active.point_count() + p.frozen.iter().map(|f| f.snap.point_count()).sum::<u64>();
        let dir = inner.layout.partition_dir(p.part.start());
        // The drop is logged; a folder left behind would come back on a
        // later open once the record is truncated away: the caller fails
        // the engine on this error.
        inner.layout.remove_partition_dir(&dir)?;
    }
    logged.map(|()| stats)
}

/// Logs and removes the expired partitions from memory; returns those
/// dropped (their folders still to delete) and the first logging error.
/// Writers are held off throughout; queries only while the partitions are
/// taken out, not while the drop records are synced.
fn drop_expired(inner: &Inner, cutoff: i64) -> (Vec<Partition>, Result<()>) {
    let _ingest = write(&inner.ingest);
    let expired: Vec<TimePartition> = read(&inner.state)
        .partitions
        .values()
        .filter(|p| p.part.end_ts() <= cutoff && p.part.end_ts() != i64::MAX)
        .map(|p| p.part)
        .collect();
    let mut logged = Vec::with_capacity(expired.len());
    let mut result = Ok(());
    for part in expired {
        match inner.wal.append(&WalEntry::DropPartition(part)) {
            Ok(lsn) => {
                inner.applied_lsn.fetch_max(lsn, Ordering::SeqCst);
                logged.push(part.start());
            }
            Err(e) => {
                result = Err(inner.wal_error(e));
                break;
            }
        }
    }
    let mut state = write(&inner.state);
    let dropped: Vec<Partition> = logged
        .iter()
        .filter_map(|start| state.partitions.remove(start))
        .collect();
    if !dropped.is_empty() {
        state.rebuild_catalog();
    }
    (dropped, result)
}
