//! Crash recovery: points written through the WAL survive a crash (here:
//! the log is dropped without any flush) and are rebuilt from the log alone.
//!
//! `cargo run -p skulk --example crash_recovery`
//!
//! Difference from the Alopex Skulk crate's snippet: no outside metadata
//! lookup. The log records each series' metric and labels before its first
//! point, so `Recovery::data_points` returns complete `DataPoint`s.

use std::path::Path;
use std::time::Duration;

use skulk::tsm::{DataPoint, PartitionManager, PartitionManagerConfig, TimeRange};
use skulk::wal::{Wal, WalConfig};

fn main() -> skulk::Result<()> {
    let dir = tempfile::tempdir()?;
    let recovered = run(dir.path())?;
    println!("crash_recovery: recovered {recovered} point(s) with their series");
    Ok(())
}

fn written() -> Vec<DataPoint> {
    let hosts = ["server1", "server2"];
    (0..6_i64)
        .map(|i| {
            let host = hosts[(i % 2) as usize];
            let labels = vec![("host".to_string(), host.to_string())];
            // 30 minutes apart: the points span two hourly partitions.
            DataPoint::new("cpu.usage", labels, i * 1_800_000_000_000, 0.1 * i as f64)
        })
        .collect()
}

/// Logs points, "crashes", recovers them from `dir` and rebuilds the
/// memtables; returns the number of points recovered.
pub fn run(dir: &Path) -> skulk::Result<usize> {
    // Before the crash: every point is logged, nothing is flushed.
    {
        let wal = Wal::new(dir, WalConfig::default())?;
        for point in written() {
            wal.append_points(std::slice::from_ref(&point))?;
        }
    } // the process "dies" here

    // Recover entries from the WAL after the crash.
    let recovery = Wal::recover(dir)?;
    println!(
        "Recovered {} WAL records ({} torn bytes)",
        recovery.records().len(),
        recovery.torn_bytes()
    );

    // Rebuild the memtables: the points come back with metric and labels.
    let config =
        PartitionManagerConfig::default().with_partition_duration(Duration::from_secs(3600));
    let mut manager = PartitionManager::new(config)?;
    let mut recovered = 0;
    for (_lsn, points) in recovery.data_points()? {
        manager.insert_batch(&points)?;
        recovered += points.len();
    }

    // Everything written is back, bit for bit, with its series.
    let mut scanned: Vec<DataPoint> = manager.scan(TimeRange::ALL).collect::<Result<_, _>>()?;
    scanned.sort_by_key(|p| p.timestamp);
    let expected = written();
    assert_eq!(scanned.len(), expected.len());
    for (got, want) in scanned.iter().zip(&expected) {
        assert!(got.bit_eq(want), "{got:?} != {want:?}");
    }
    Ok(recovered)
}
