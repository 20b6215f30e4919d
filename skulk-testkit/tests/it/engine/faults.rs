//! A failed sync, write, rename or removal anywhere in a flush or a
//! compaction (TSM files, the checkpoint, WAL, folders) makes the engine
//! read-only until it is reopened, and loses nothing acknowledged.

use std::sync::Arc;
use std::time::Duration;

use skulk_engine::{DataPoint, Engine, EngineConfig, EngineError, OpenOptions, SyncMode};
use skulk_format::SeriesMeta;
use skulk_testkit::engine_suite::{Model, read_engine};
use skulk_testkit::sim_fs::{EIO, ENOSPC, Fault, FaultError, OpSet, SimFs};

fn config() -> EngineConfig {
    let mut config = EngineConfig {
        partition_duration: Some(Duration::from_nanos(1000)),
        flush_points: 0,
        flush_size_bytes: 0,
        flush_age: None,
        max_active_partitions: 0,
        compaction_min_files: 0,
        background: false,
        ..EngineConfig::default()
    };
    config.wal.sync_mode = SyncMode::Fsync;
    config.wal.segment_size = skulk_wal::MIN_SEGMENT_SIZE;
    config
}

fn open(disk: &SimFs) -> Engine {
    Engine::open_with(OpenOptions::on(Arc::new(disk.clone())).config(config())).unwrap()
}

fn batch(base: i64) -> Vec<DataPoint> {
    (0..20)
        .map(|i| {
            let meta = Arc::new(SeriesMeta::new(
                "m",
                vec![("s".into(), (i % 3).to_string())],
            ));
            DataPoint::for_series(meta, base + i * 97 % 2500, (base + i) as f64)
        })
        .collect()
}

/// Two flushed rounds (so a compaction has inputs), then a third write.
fn prepare(disk: &SimFs, model: &mut Model) -> Engine {
    let engine = open(disk);
    for base in [0, 300] {
        let points = batch(base);
        engine.write_batch(&points).unwrap();
        model.write(&points);
        engine.flush().unwrap();
    }
    let points = batch(700);
    engine.write_batch(&points).unwrap();
    model.write(&points);
    engine
}

/// Runs `step` once without faults to count its operations in `ops`, then
/// once per operation with that one failing: the step must fail, the
/// engine must refuse writes and maintenance until reopened, and a reopen
/// must hold everything acknowledged.
fn every_failure_in(step: fn(&Engine) -> skulk_engine::Result<()>, ops: OpSet) {
    let disk = SimFs::new();
    let engine = prepare(&disk, &mut Model::default());
    let before = disk.count(ops);
    step(&engine).unwrap();
    let total = disk.count(ops) - before;
    assert!(total > 0, "the step does no {ops:?}");
    for nth in 0..total {
        for error in [FaultError::Os(EIO), FaultError::Os(ENOSPC)] {
            let disk = SimFs::new();
            let mut acked = Model::default();
            let engine = prepare(&disk, &mut acked);
            disk.arm(Fault::once(ops, nth, error));
            let failed = step(&engine);
            let FaultError::Os(code) = error else {
                unreachable!()
            };
            let kind = std::io::Error::from_raw_os_error(code).kind();
            let failed = failed.expect_err("the step must fail");
            assert_eq!(failed.io_kind(), Some(kind), "{ops:?} #{nth}: {failed}");
            assert!(
                engine.stats().failed,
                "{ops:?} #{nth}: engine still writable"
            );
            disk.clear_faults();
            // Every later call keeps the kind (and the path) of the failure.
            for later in [
                engine.write_batch(&batch(900)).unwrap_err(),
                engine.flush().unwrap_err(),
            ] {
                assert!(matches!(later, EngineError::Failed(_)), "{later:?}");
                assert_eq!(later.io_kind(), Some(kind), "{ops:?} #{nth}: {later}");
                assert_eq!(later.path(), failed.path(), "{ops:?} #{nth}: {later}");
            }
            assert_eq!(&read_engine(&engine).unwrap(), acked.snapshot());
            drop(engine);
            let engine = open(&disk);
            assert_eq!(
                &read_engine(&engine).unwrap(),
                acked.snapshot(),
                "{ops:?} #{nth} {error:?}"
            );
            engine.write_batch(&batch(950)).unwrap();
            engine.flush().unwrap();
        }
    }
}

#[test]
fn every_failed_sync_of_a_flush_fails_the_engine_and_loses_nothing() {
    every_failure_in(|e| e.flush().map(drop), OpSet::Syncs);
}

#[test]
fn every_failed_change_of_a_flush_fails_the_engine_and_loses_nothing() {
    every_failure_in(|e| e.flush().map(drop), OpSet::Mutations);
}

#[test]
fn every_failed_change_of_a_compaction_fails_the_engine_and_loses_nothing() {
    every_failure_in(|e| e.compact().map(drop), OpSet::Mutations);
}

#[test]
fn a_failed_wal_sync_fails_the_engine_until_reopened() {
    let disk = SimFs::new();
    let mut acked = Model::default();
    let engine = prepare(&disk, &mut acked);
    disk.arm(Fault::from(OpSet::Syncs, 0, FaultError::Os(EIO)));
    let lost = batch(2_000);
    assert!(matches!(
        engine.write_batch(&lost),
        Err(EngineError::Wal(_))
    ));
    assert!(engine.stats().failed);
    disk.clear_faults();
    assert!(matches!(
        engine.write_batch(&batch(2_100)),
        Err(EngineError::Failed(_))
    ));
    assert_eq!(&read_engine(&engine).unwrap(), acked.snapshot());
    drop(engine);
    let engine = open(&disk);
    let recovered = read_engine(&engine).unwrap();
    let mut written = acked.clone();
    written.write(&lost);
    // acknowledged ⊆ recovered ⊆ written
    assert!(
        acked
            .snapshot()
            .iter()
            .all(|(k, v)| recovered.get(k) == Some(v))
    );
    assert!(
        recovered
            .iter()
            .all(|(k, v)| written.snapshot().get(k) == Some(v))
    );
}
