//! Logging before applying, through the `PointLog` seam.

use skulk_format::{DataPoint, PointLog, TimeRange};
use skulk_memtable::{MemtableError, PartitionManager, PartitionManagerConfig, TimeSeriesMemTable};

use crate::support::{hour, series};

#[derive(Debug, thiserror::Error)]
#[error("disk full")]
struct DiskFull;

/// A log that records what it accepted and fails on demand.
#[derive(Default)]
struct FakeLog {
    fail: bool,
    records: Vec<Vec<DataPoint>>,
}

impl PointLog for FakeLog {
    type Error = DiskFull;

    fn log_points(&mut self, points: &[DataPoint]) -> Result<u64, DiskFull> {
        if self.fail {
            return Err(DiskFull);
        }
        self.records.push(points.to_vec());
        Ok(self.records.len() as u64 + 99)
    }
}

#[test]
fn a_failed_log_append_leaves_the_memtable_unchanged() {
    let meta = series(1).remove(0);
    let mut table = TimeSeriesMemTable::new(hour());
    let mut log = FakeLog::default();
    let lsn = table
        .insert_with_wal(&DataPoint::for_series(meta.clone(), 1, 1.0), &mut log)
        .unwrap();
    assert_eq!((lsn, table.max_lsn()), (100, Some(100)));
    log.fail = true;
    let before = table.snapshot();
    let err = table.insert_with_wal(&DataPoint::for_series(meta.clone(), 1, 9.0), &mut log);
    assert!(matches!(err, Err(MemtableError::Log(_))));
    let batch = [
        DataPoint::for_series(meta.clone(), 2, 2.0),
        DataPoint::for_series(meta.clone(), 3, 3.0),
    ];
    assert!(matches!(
        table.insert_batch_with_wal(&batch, &mut log),
        Err(MemtableError::Log(_))
    ));
    assert_eq!(table.point_count(), 1);
    assert_eq!(table.writes(), 1);
    assert_eq!(table.max_lsn(), Some(100));
    let now: Vec<_> = table.scan(TimeRange::ALL).map(Result::unwrap).collect();
    let then: Vec<_> = before.scan(TimeRange::ALL).map(Result::unwrap).collect();
    assert_eq!(now, then);
    assert_eq!(log.records.len(), 1);
}

#[test]
fn an_invalid_point_is_not_logged() {
    let meta = series(1).remove(0);
    let mut table = TimeSeriesMemTable::new(hour());
    let mut log = FakeLog::default();
    let outside = DataPoint::for_series(meta, -5, 1.0);
    assert!(matches!(
        table.insert_with_wal(&outside, &mut log),
        Err(MemtableError::OutOfPartition { .. })
    ));
    assert!(log.records.is_empty());
}

#[test]
fn the_manager_logs_a_batch_once_and_tracks_lsns() {
    let meta = series(1).remove(0);
    let mut manager = PartitionManager::new(PartitionManagerConfig::default()).unwrap();
    let mut log = FakeLog::default();
    let hour_ns = 3_600_000_000_000;
    let batch = [
        DataPoint::for_series(meta.clone(), 1, 1.0),
        DataPoint::for_series(meta.clone(), hour_ns, 2.0),
    ];
    assert_eq!(
        manager.insert_batch_with_wal(&batch, &mut log).unwrap(),
        100
    );
    assert_eq!(manager.insert_with_wal(&batch[0], &mut log).unwrap(), 101);
    assert_eq!(log.records.len(), 2);
    assert_eq!(manager.min_active_lsn(), Some(100));
    log.fail = true;
    assert!(
        manager
            .insert_with_wal(&DataPoint::for_series(meta, 5, 5.0), &mut log)
            .is_err()
    );
    assert_eq!(manager.stats().points, 2);
}
