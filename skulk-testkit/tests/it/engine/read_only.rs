//! A read-only open on a disk where nothing can be written.

use std::sync::Arc;

use skulk_engine::{DataPoint, Engine, EngineConfig, EngineError, OpenOptions};
use skulk_testkit::engine_suite::read_engine;
use skulk_testkit::sim_fs::{Fault, FaultError, Op, OpSet, SimFs};

/// `errno` of "read-only file system".
const EROFS: i32 = 30;

#[test]
fn a_read_only_open_writes_nothing_and_works_where_nothing_can_be_written() {
    let disk = SimFs::new();
    let writer = Engine::open_with(OpenOptions::on(Arc::new(disk.clone()))).unwrap();
    let points: Vec<DataPoint> = (0..100)
        .map(|i| DataPoint::new("m", vec![], i * 1_000_000_000, i as f64))
        .collect();
    writer.write_batch(&points[..60]).unwrap();
    writer.flush().unwrap();
    writer.write_batch(&points[60..]).unwrap();
    let expected = read_engine(&writer).unwrap();
    drop(writer);
    let before = disk.files();
    disk.arm(Fault::from(OpSet::Mutations, 0, FaultError::Os(EROFS)));
    disk.arm(Fault::from(OpSet::Only(Op::Lock), 0, FaultError::Os(EROFS)));
    let writable = Engine::open_with(OpenOptions::on(Arc::new(disk.clone())));
    assert!(
        matches!(writable, Err(EngineError::Io { .. })),
        "{writable:?}"
    );
    let reader = Engine::open_read_only(
        OpenOptions::on(Arc::new(disk.clone())).config(EngineConfig::default()),
    )
    .unwrap();
    assert_eq!(read_engine(&reader).unwrap(), expected);
    reader.refresh().unwrap();
    assert_eq!(read_engine(&reader).unwrap(), expected);
    drop(reader);
    assert_eq!(disk.files(), before, "not a byte changed");
}
