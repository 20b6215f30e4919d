//! Multi-partition management: a `PartitionManager` routes points to
//! hourly partitions, scans across them, and flushes the oldest.
//!
//! `cargo run -p skulk --example multi_partition`
//!
//! Differences from the Alopex Skulk crate's snippet: points are one second
//! apart (the original's one millisecond apart all fell into one
//! partition), `PartitionManager::new` and `TimeRange::new` return
//! `Result`s, scans yield `Result<DataPoint>`, and files go to a temporary
//! directory.

use std::path::Path;
use std::time::Duration;

use skulk::tsm::{DataPoint, PartitionManager, PartitionManagerConfig, TimeRange};

fn main() -> skulk::Result<()> {
    let dir = tempfile::tempdir()?;
    let summary = run(dir.path())?;
    println!("multi_partition: {summary:?}");
    Ok(())
}

/// What the example did.
#[derive(Debug, PartialEq, Eq)]
pub struct Summary {
    /// Partitions the points went to.
    pub partitions: usize,
    /// Points the scan returned.
    pub scanned: usize,
    /// Points in the flushed oldest partition.
    pub flushed: u64,
}

/// Inserts 10,000 points one second apart (three hourly partitions), scans
/// the first 5,000 seconds and flushes the oldest partition into `dir`.
pub fn run(dir: &Path) -> skulk::Result<Summary> {
    let config = PartitionManagerConfig::default()
        .with_partition_duration(Duration::from_secs(3600))
        .with_size_threshold(64 * 1024 * 1024)
        .with_max_active_partitions(4);
    let mut manager = PartitionManager::new(config)?;

    // Insert data: each point is routed to the partition holding it.
    for i in 0..10_000_i64 {
        let point = DataPoint::new("metric", vec![], i * 1_000_000_000, i as f64);
        manager.insert(&point)?;
    }
    let partitions = manager.partitions().count();

    // Scan across partitions, in timestamp order.
    let range = TimeRange::new(0, 5_000 * 1_000_000_000)?;
    let mut scanned = 0;
    for point in manager.scan(range) {
        let point = point?;
        assert_eq!(point.value, (point.timestamp / 1_000_000_000) as f64);
        scanned += 1;
    }

    // Flush the oldest partition.
    let mut flushed = 0;
    if let Some(flush) = manager.flush_oldest(dir)? {
        println!(
            "Flushed partition to {}",
            flush.outcome.handle.path.display()
        );
        flushed = flush.outcome.points_written;
    }
    Ok(Summary {
        partitions,
        scanned,
        flushed,
    })
}
