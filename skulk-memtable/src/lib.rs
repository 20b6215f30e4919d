//! Skulk memtables: compact time-partitioned in-memory buffers and the PartitionManager
