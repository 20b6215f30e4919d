//! Retention: dropping whole partitions older than the configured TTL.
//!
//! With writers held off, each expired partition is first recorded in the
//! WAL (a drop-partition record: replay then discards the partition's
//! earlier points and deletes its folder), then removed from memory; its
//! files are then deleted, then its folder. A crash at any point ends with
//! the partition gone after the next open.

use std::sync::atomic::Ordering;

use skulk_format::TimePartition;
use skulk_wal::WalEntry;

use crate::EngineError;
use crate::Result;
use crate::engine::Inner;
use crate::locks::{exclusive, guard, shared};
use crate::state::Dropped;
use crate::stats::RetentionStats;

/// Drops every partition that ends at or before `now - retention`.
pub(crate) fn apply(inner: &Inner) -> Result<RetentionStats> {
    let Some(ttl) = inner.config.retention else {
        return Ok(RetentionStats::default());
    };
    let _lifecycle = guard(&inner.lifecycle);
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
    for (part, gone) in dropped {
        stats.partitions_dropped += 1;
        stats.files_removed += gone.files.len();
        stats.memtable_points_dropped += gone.memtable_points;
        // Release this engine's maps first: on FUSE and NFS a folder that
        // still holds an open file cannot be removed.
        drop(gone);
        let dir = inner.layout.partition_dir(part.start());
        // The drop is logged; a folder left behind would come back on a
        // later open once the record is truncated away: the caller fails
        // the engine on this error. A folder that only a query still holds
        // open files in is left, empty of data, for the next open.
        match inner.layout.remove_dir_all(&dir) {
            Err(EngineError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::DirectoryNotEmpty =>
            {
                stats.folders_left += 1;
            }
            other => other?,
        }
    }
    logged.map(|()| stats)
}

/// Logs and removes the expired partitions from memory; returns those
/// dropped (their folders still to delete) and the first logging error.
/// Writers are held off throughout; queries only while the partitions are
/// taken out, not while the drop records are synced.
fn drop_expired(inner: &Inner, cutoff: i64) -> (Vec<(TimePartition, Dropped)>, Result<()>) {
    let _ingest = exclusive(&inner.ingest);
    let expired: Vec<TimePartition> = shared(&inner.state)
        .partition_list()
        .into_iter()
        .filter(|p| p.end_ts() <= cutoff && p.end_ts() != i64::MAX)
        .collect();
    let mut logged = Vec::with_capacity(expired.len());
    let mut result = Ok(());
    for part in expired {
        match inner.wal.append(&WalEntry::DropPartition(part)) {
            Ok(lsn) => {
                inner.applied_lsn.fetch_max(lsn, Ordering::SeqCst);
                logged.push(part);
            }
            Err(e) => {
                result = Err(inner.wal_error(e));
                break;
            }
        }
    }
    let mut state = exclusive(&inner.state);
    let dropped: Vec<(TimePartition, Dropped)> = logged
        .into_iter()
        .map(|part| (part, state.drop_partition(part)))
        .collect();
    if !dropped.is_empty() {
        state.rebuild_catalog();
    }
    (dropped, result)
}
