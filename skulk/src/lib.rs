#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod error;

pub use error::{Error, Result, TsmError};

/// The storage primitives: data model, memtables, compressed blocks and
/// TSM files (the Alopex Skulk crate's `skulk::tsm`).
///
/// A memtable flushed to a TSM file, read back:
///
/// ```
/// use std::time::Duration;
/// use skulk::tsm::{DataPoint, TimePartition, TimeRange, TimeSeriesMemTable, TsmReader};
///
/// let hour = TimePartition::new(0, Duration::from_secs(3600))?;
/// let mut table = TimeSeriesMemTable::new(hour);
/// let points: Vec<_> = (0..5).map(|t| DataPoint::new("cpu", vec![], t * 10, t as f64)).collect();
/// table.insert_batch(&points)?;
///
/// let dir = tempfile::tempdir()?;
/// let outcome = table.flush(dir.path().join("hour0.tsm"))?;
/// let reader = TsmReader::open(std::fs::read(&outcome.handle.path)?)?;
/// let (ts, values) = reader.read_series(points[0].series_id, TimeRange::new(10, 30)?)?;
/// assert_eq!((ts, values), (vec![10, 20], vec![1.0, 2.0]));
/// assert_eq!(reader.verify()?.points, 5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub mod tsm {
    pub use skulk_codec::{
        BlockHeader, BlockView, CodecChoice, CodecError, CodecId, CompressedBlock,
    };
    pub use skulk_format::{
        BlockRef, DataPoint, FormatError, FormatVersion, IdCheck, LabelTable, MetaView, PointLog,
        Postings, PostingsList, SeriesEntry, SeriesId, SeriesMeta, TimePartition, TimeRange,
        Timestamp, TsmFooter, TsmHandle, TsmHeader, TsmReader, TsmStats, TsmWriter,
        TsmWriterOptions, VerifyReport,
    };
    pub use skulk_memtable::{
        FlushCandidate, FlushOutcome, FlushReason, FrozenPartition, MemTableOptions, MemTableStats,
        MemtableError, PartitionFlush, PartitionManager, PartitionManagerConfig,
        TimeSeriesMemTable,
    };
}

/// The write-ahead log (the Alopex Skulk crate's `skulk::wal`).
///
/// ```
/// use skulk::DataPoint;
/// use skulk::wal::{SyncMode, Wal, WalConfig, WalEntry};
///
/// let dir = tempfile::tempdir()?;
/// let config = WalConfig { sync_mode: SyncMode::Fdatasync, ..WalConfig::default() };
/// let (wal, recovery) = Wal::open(dir.path(), config)?;
/// assert!(recovery.records().is_empty());
/// let lsn = wal.append_points(&[DataPoint::new("cpu", vec![], 1_000, 0.5)])?;
/// wal.append(&WalEntry::Checkpoint { safe_lsn: lsn })?;
/// drop(wal);
///
/// let recovery = Wal::recover(dir.path())?;
/// assert_eq!(recovery.data_points()?[0].1[0].value, 0.5);
/// assert_eq!(recovery.last_checkpoint(), Some(lsn));
/// assert!(skulk::wal::repair(dir.path())?.is_clean());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub mod wal {
    pub use skulk_wal::{
        Lsn, Recovery, RepairReport, SegmentInfo, SyncMode, Wal, WalConfig, WalEntry, WalError,
        WalPoint, repair,
    };
}

/// The engine's lifecycle: open and recover, flush, compact, apply
/// retention, close (the Alopex Skulk crate's `skulk::lifecycle`), and the
/// partition lifecycle the engine routes and freezes memtables with.
///
/// ```
/// use skulk::DataPoint;
/// use skulk::lifecycle::{Engine, EngineConfig};
///
/// let dir = tempfile::tempdir()?;
/// let config = EngineConfig { background: false, ..EngineConfig::default() };
/// let engine = Engine::open(dir.path(), config.clone())?;
/// for ts in 0..3 {
///     engine.write(&DataPoint::new("cpu", vec![], ts, 1.0))?;
///     assert_eq!(engine.flush()?.files_written, 1);
/// }
/// assert_eq!(engine.compact()?.files_merged, 3);
/// assert_eq!(engine.apply_retention()?.partitions_dropped, 0); // no retention set
/// engine.write(&DataPoint::new("cpu", vec![], 3, 1.0))?;
/// drop(engine); // a crash: the last point is only in the WAL
///
/// let engine = Engine::open(dir.path(), config)?;
/// assert_eq!(engine.recovery_stats().wal_points_replayed, 1);
/// assert_eq!(engine.stats().points_on_disk, 3);
/// engine.close()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub mod lifecycle {
    pub use skulk_engine::{
        Clock, CompactionStats, Engine, EngineConfig, EngineError, EngineStats, FlushStats,
        ManualClock, OpenOptions, RecoveryStats, RetentionStats, SystemClock,
    };
    pub use skulk_memtable::{
        FlushCandidate, FlushReason, PartitionFlush, PartitionManager, PartitionManagerConfig,
    };
}

/// The storage seam every layer does its I/O through: the real file system
/// ([`storage::FsStorage`]) or any other [`storage::Storage`].
pub use skulk_format::storage;

/// The whole engine crate: [`lifecycle`] plus queries (`Query`,
/// `SeriesSelector`, `LabelMatcher`, `Aggregation`, ...).
pub use skulk_engine as engine;

/// The codecs: traits, registry and block format.
pub use skulk_codec as codec;

pub use skulk_codec::CompressedBlock;
pub use skulk_engine::{
    AggregateFn, Aggregation, Engine, EngineConfig, LabelMatcher, MatchOp, Query, SeriesResult,
    SeriesSelector,
};
pub use skulk_format::{DataPoint, SeriesId, SeriesMeta, TimePartition, TimeRange, Timestamp};
pub use skulk_wal::{SyncMode, Wal, WalConfig, WalEntry};
