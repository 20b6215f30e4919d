//! Basic usage: a write-ahead log for durability, a memtable for one time
//! partition, and a flush to a TSM file that is read back.
//!
//! `cargo run -p skulk --example basic_usage`
//!
//! Differences from the Alopex Skulk crate's snippet: the partition is the one
//! that contains the point (a memtable refuses points outside its
//! partition), `TimePartition::new` returns a `Result`, the point count is
//! in the handle's `stats`, and everything goes to a temporary directory.

use std::path::Path;
use std::time::Duration;

use skulk::tsm::{DataPoint, TimePartition, TimeRange, TimeSeriesMemTable, TsmReader};
use skulk::wal::{SyncMode, Wal, WalConfig};

fn main() -> skulk::Result<()> {
    let dir = tempfile::tempdir()?;
    let points = run(dir.path())?;
    println!("basic_usage: wrote and read back {points} point(s)");
    Ok(())
}

/// Logs one point, inserts it, flushes the memtable to `dir/data` and reads
/// the file back; returns the number of points in the file.
pub fn run(dir: &Path) -> skulk::Result<u64> {
    // Create the WAL for durability.
    let wal_config = WalConfig {
        batch_size: 100,
        batch_timeout: Duration::from_millis(10),
        segment_size: 64 * 1024 * 1024,
        sync_mode: SyncMode::Fsync,
    };
    let mut wal = Wal::new(dir.join("wal"), wal_config)?;

    // A memtable for the 1-hour partition that holds the point.
    let timestamp = 1_234_567_890_000_000_000; // nanoseconds
    let partition = TimePartition::containing(timestamp, Duration::from_secs(3600))?;
    let mut memtable = TimeSeriesMemTable::new(partition);

    // Insert with WAL durability: the point is logged (and synced) first.
    let host = vec![("host".to_string(), "server1".to_string())];
    let point = DataPoint::new("cpu.usage", host, timestamp, 0.75);
    memtable.insert_with_wal(&point, &mut wal)?;

    // Flush to a TSM file (tmp -> fsync -> rename -> fsync dir).
    std::fs::create_dir_all(dir.join("data"))?;
    let outcome = memtable.flush(dir.join("data/partition.skulk"))?;
    println!(
        "Wrote {} points to {}",
        outcome.handle.stats.total_point_count,
        outcome.handle.path.display()
    );

    // Read it back.
    let reader = TsmReader::open(std::fs::read(&outcome.handle.path)?)?;
    let (timestamps, values) = reader.read_series(point.series_id, TimeRange::ALL)?;
    assert_eq!(timestamps, [timestamp]);
    assert_eq!(values, [0.75]);
    assert_eq!(reader.meta(point.series_id).as_ref(), Some(&*point.series));
    Ok(reader.stats().total_point_count)
}
