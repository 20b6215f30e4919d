//! What the engine reports about itself and its operations.

use std::time::Duration;

/// What [`crate::Engine::open`] found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryStats {
    /// TSM files mapped.
    pub files_opened: usize,
    /// Bytes of the TSM files mapped.
    pub file_bytes: u64,
    /// Files replaced by a compaction that finished before a crash, deleted.
    pub obsolete_files_removed: usize,
    /// Leftover `*.tmp` files and half-dropped partition folders deleted.
    pub leftovers_removed: usize,
    /// The checkpoint found: WAL records up to it were not replayed.
    pub safe_lsn: u64,
    /// WAL records replayed (LSN above the safe LSN).
    pub wal_records_replayed: u64,
    /// Points of those records inserted into memtables.
    pub wal_points_replayed: u64,
    /// Partitions dropped by replayed drop-partition records.
    pub partitions_dropped: usize,
    /// Bytes of a torn last WAL record cut off.
    pub torn_bytes: u64,
    /// The WAL's last segment ended right after a record without its end
    /// mark: it was cut there, and records after
    /// [`skulk_wal::LostEnd::last_lsn`], if any, are lost (also reported
    /// by a directory check; a crash can leave this for a write that was
    /// never acknowledged).
    pub wal_lost_end: Option<skulk_wal::LostEnd>,
    /// Wall time of the whole open.
    pub duration: Duration,
    /// The directory was of format version 1 (no manifest) and was
    /// upgraded.
    pub upgraded: bool,
    /// Files in the data folders that the manifest does not list and that
    /// no interrupted operation explains (not its leftovers, not files it
    /// replaced), relative to the data directory: left alone. Their points
    /// are not read.
    pub stray_files: Vec<std::path::PathBuf>,
    /// Damaged WAL bytes skipped because every record they held is at or
    /// below the safe LSN (already in the files): nothing was lost, but
    /// the damage is reported here (and by a directory check).
    pub wal_damage_skipped: Vec<skulk_wal::SkippedDamage>,
}

/// What one flush wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlushStats {
    /// TSM files published (one per partition with data).
    pub files_written: usize,
    /// Points written to them.
    pub points_written: u64,
    /// Bytes written.
    pub bytes_written: u64,
    /// The WAL position now covered by TSM files.
    pub safe_lsn: u64,
    /// WAL segments deleted afterwards.
    pub wal_segments_removed: usize,
    /// Wall time.
    pub duration: Duration,
}

/// What one compaction pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactionStats {
    /// Partitions whose files were merged.
    pub partitions_compacted: usize,
    /// Files merged (and then deleted).
    pub files_merged: usize,
    /// Files written (one per compacted partition).
    pub files_written: usize,
    /// Points in the files written (duplicates removed).
    pub points_written: u64,
    /// Bytes of the files merged.
    pub bytes_before: u64,
    /// Bytes of the files written.
    pub bytes_after: u64,
    /// Deletes whose points are now gone from every file (their
    /// tombstones dropped).
    pub tombstones_dropped: usize,
    /// Wall time.
    pub duration: Duration,
}

/// What one delete did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteStats {
    /// Series the selector matched.
    pub series: usize,
    /// Files holding points the delete hides (compaction rewrites them).
    pub files_covered: usize,
    /// The flush that put every earlier point into files first.
    pub flush: FlushStats,
}

/// What one retention pass dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetentionStats {
    /// The cutoff: partitions ending at or before it were dropped.
    pub cutoff_ns: i64,
    /// Partitions dropped (with points in memtables or files; a coarse
    /// file's span counts as one).
    pub partitions_dropped: usize,
    /// TSM files deleted (those whose whole span expired).
    pub files_removed: usize,
    /// Points dropped from memtables.
    pub memtable_points_dropped: u64,
}

/// A snapshot of the engine's size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Series known (with data in some partition).
    pub series: usize,
    /// Partitions with data in memory or on disk.
    pub partitions: usize,
    /// Distinct points held in memtables, not yet in TSM files.
    pub points_in_memory: u64,
    /// Approximate heap bytes of the memtables.
    pub memory_bytes: u64,
    /// Approximate heap bytes of the series catalog and its index.
    pub index_bytes: u64,
    /// TSM files.
    pub files: usize,
    /// Bytes of the TSM files.
    pub bytes_on_disk: u64,
    /// Points in TSM files (duplicates across files counted each time).
    pub points_on_disk: u64,
    /// The WAL position covered by TSM files.
    pub safe_lsn: u64,
    /// True once a durability failure made the engine read-only.
    pub failed: bool,
    /// The last error of the background maintenance thread, if any, with
    /// its I/O error kind.
    pub last_background_error: Option<crate::Failure>,
}
