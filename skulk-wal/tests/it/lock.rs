//! One open log per directory: the `LOCK` file.

use skulk_format::DataPoint;
use skulk_wal::{SyncMode, Wal, WalError};

use crate::common;

#[test]
fn a_second_open_fails_until_the_first_log_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open(dir.path(), common::config(SyncMode::None)).unwrap();
    let p = DataPoint::new("cpu", common::labels(&[("host", "a")]), 1, 1.0);
    wal.append_points(&[p]).unwrap();
    match Wal::open(dir.path(), common::config(SyncMode::None)) {
        Err(WalError::DirectoryInUse { path }) => assert_eq!(path, dir.path()),
        other => panic!("expected DirectoryInUse, got {other:?}"),
    }
    drop(wal);
    let (_wal, recovery) = Wal::open(dir.path(), common::config(SyncMode::None)).unwrap();
    assert_eq!(recovery.data_points().unwrap().len(), 1);
}
