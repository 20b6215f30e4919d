//! `PartitionManagerConfig`: partitioning and flush thresholds.

use std::time::Duration;

use crate::{MemTableOptions, MemtableError, Result};

/// How a [`crate::PartitionManager`] partitions points and when it asks for
/// flushes. Build with [`Default`] and the `with_*` methods.
///
/// | setting | default | meaning |
/// |---|---|---|
/// | partition duration | 1 h | width of a partition, aligned to multiples of it from the epoch |
/// | size threshold | 64 MiB | a memtable holding at least this many heap bytes should flush |
/// | max active partitions | 4 | beyond this many unflushed partitions, the oldest should flush |
/// | age threshold | 1 h | a partition whose end lies this far behind the newest timestamp seen should flush |
/// | memtable options | [`MemTableOptions::default`] | chunk layout of each memtable |
///
/// Age is measured in data time (timestamps), not wall-clock time, so the
/// policy is deterministic and replays the same way from a log.
///
/// ```
/// use std::time::Duration;
/// use skulk_memtable::{PartitionManager, PartitionManagerConfig};
///
/// let config = PartitionManagerConfig::default()
///     .with_partition_duration(Duration::from_secs(600))
///     .with_max_active_partitions(2);
/// let manager = PartitionManager::new(config)?;
/// assert_eq!(manager.partition_of(601_000_000_000)?.start(), 600_000_000_000);
/// let invalid = PartitionManagerConfig::default().with_partition_duration(Duration::ZERO);
/// assert!(PartitionManager::new(invalid).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionManagerConfig {
    partition_duration: Duration,
    size_threshold: usize,
    max_active_partitions: usize,
    age_threshold: Duration,
    memtable: MemTableOptions,
}

impl Default for PartitionManagerConfig {
    fn default() -> Self {
        Self {
            partition_duration: Duration::from_secs(3600),
            size_threshold: 64 << 20,
            max_active_partitions: 4,
            age_threshold: Duration::from_secs(3600),
            memtable: MemTableOptions::default(),
        }
    }
}

impl PartitionManagerConfig {
    /// Sets the partition duration (default 1 h).
    pub fn with_partition_duration(mut self, duration: Duration) -> Self {
        self.partition_duration = duration;
        self
    }

    /// Sets the per-memtable size threshold in heap bytes (default 64 MiB).
    pub fn with_size_threshold(mut self, bytes: usize) -> Self {
        self.size_threshold = bytes;
        self
    }

    /// Sets the number of unflushed partitions kept before the oldest should
    /// flush (default 4).
    pub fn with_max_active_partitions(mut self, partitions: usize) -> Self {
        self.max_active_partitions = partitions;
        self
    }

    /// Sets how far (in data time) a partition's end may lie behind the
    /// newest timestamp before it should flush (default 1 h).
    pub fn with_age_threshold(mut self, age: Duration) -> Self {
        self.age_threshold = age;
        self
    }

    /// Sets the memtable layout options.
    pub fn with_memtable_options(mut self, options: MemTableOptions) -> Self {
        self.memtable = options;
        self
    }

    /// The partition duration.
    pub fn partition_duration(&self) -> Duration {
        self.partition_duration
    }

    /// The size threshold in bytes.
    pub fn size_threshold(&self) -> usize {
        self.size_threshold
    }

    /// The maximum number of active partitions.
    pub fn max_active_partitions(&self) -> usize {
        self.max_active_partitions
    }

    /// The age threshold.
    pub fn age_threshold(&self) -> Duration {
        self.age_threshold
    }

    /// The memtable options.
    pub fn memtable_options(&self) -> &MemTableOptions {
        &self.memtable
    }

    /// Checks the settings: a partition duration between 1 ns and
    /// `i64::MAX` ns, at least one active partition, valid memtable options.
    pub fn validate(&self) -> Result<()> {
        skulk_format::TimePartition::new(0, self.partition_duration)?;
        if self.max_active_partitions == 0 {
            return Err(MemtableError::InvalidArgument(
                "max_active_partitions must be at least 1".to_owned(),
            ));
        }
        self.memtable.validate()
    }

    /// The age threshold in nanoseconds (`Duration::MAX` is never
    /// reached: no two timestamps are that far apart).
    pub(crate) fn age_threshold_ns(&self) -> i128 {
        i128::try_from(self.age_threshold.as_nanos()).unwrap_or(i128::MAX)
    }
}
