#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod error;

pub use error::{Error, Result, TsmError};

/// The storage primitives: data model, memtables, compressed blocks and
/// TSM files (the Alopex Skulk crate's `skulk::tsm`).
pub mod tsm {
    pub use skulk_codec::{
        BlockHeader, BlockView, CodecChoice, CodecError, CodecId, CompressedBlock,
    };
    pub use skulk_format::{
        BlockRef, DataPoint, FormatError, PointLog, SeriesEntry, SeriesId, SeriesMeta,
        TimePartition, TimeRange, Timestamp, TsmFooter, TsmHandle, TsmHeader, TsmReader, TsmStats,
        TsmWriter, TsmWriterOptions, VerifyReport,
    };
    pub use skulk_memtable::{
        FlushCandidate, FlushOutcome, FlushReason, FrozenPartition, MemTableOptions, MemTableStats,
        MemtableError, PartitionFlush, PartitionManager, PartitionManagerConfig,
        TimeSeriesMemTable,
    };
}

/// The write-ahead log (the Alopex Skulk crate's `skulk::wal`).
pub mod wal {
    pub use skulk_wal::{
        Lsn, Recovery, RepairReport, SegmentInfo, SyncMode, Wal, WalConfig, WalEntry, WalError,
        WalPoint, repair,
    };
}

/// The engine's lifecycle: open and recover, flush, compact, apply
/// retention, close (the Alopex Skulk crate's `skulk::lifecycle`), and the
/// partition lifecycle the engine routes and freezes memtables with.
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
