//! Flush, compaction and retention, including crashes between their steps.

use std::sync::Arc;
use std::time::Duration;

use skulk_engine::{DataPoint, Engine, EngineConfig, EngineError, ManualClock, OpenOptions};

use crate::common::{Contents, apply, contents, copy_dir, pt, quiet_config, tsm_files};

/// Three overlapping rounds of writes in partition 0, flushed one by one.
fn three_files(engine: &Engine, model: &mut Contents) {
    for round in 0..3 {
        let points: Vec<DataPoint> = (0..300)
            .map(|i| {
                pt(
                    "m",
                    "a",
                    (i * 3 + round * 2) % 1000,
                    (round * 1000 + i) as f64,
                )
            })
            .collect();
        engine.write_batch(&points).unwrap();
        apply(model, &points);
        engine.flush().unwrap();
    }
}

#[test]
fn compaction_merges_files_with_last_write_winning() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    let mut model = Contents::new();
    three_files(&engine, &mut model);
    assert_eq!(tsm_files(dir.path()), 3);
    let stats = engine.compact().unwrap();
    assert_eq!(
        (
            stats.partitions_compacted,
            stats.files_merged,
            stats.files_written
        ),
        (1, 3, 1)
    );
    assert_eq!(
        stats.points_written,
        model.len() as u64,
        "duplicates removed"
    );
    assert_eq!(tsm_files(dir.path()), 1);
    assert_eq!(engine.stats().files, 1);
    assert_eq!(contents(&engine), model);
    assert_eq!(
        engine.compact().unwrap().files_merged,
        0,
        "one file: nothing to do"
    );
    drop(engine);
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    assert_eq!(contents(&engine), model);
}

#[test]
fn a_crash_after_compaction_published_leaves_no_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let saved = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    let mut model = Contents::new();
    three_files(&engine, &mut model);
    copy_dir(&dir.path().join("tsm"), saved.path());
    engine.compact().unwrap();
    drop(engine);
    // The inputs come back as if the crash hit after the manifest recorded
    // the merge but before they were unlinked.
    copy_dir(saved.path(), &dir.path().join("tsm"));
    assert_eq!(tsm_files(dir.path()), 4);
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    assert_eq!(engine.recovery_stats().obsolete_files_removed, 3);
    assert_eq!(tsm_files(dir.path()), 1);
    assert_eq!(contents(&engine), model);
}

#[test]
fn a_crash_before_the_checkpoint_replays_without_changing_results() {
    let dir = tempfile::tempdir().unwrap();
    let saved = tempfile::tempdir().unwrap();
    let mut model = Contents::new();
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    three_files(&engine, &mut model);
    let more: Vec<DataPoint> = (0..500).map(|i| pt("m", "b", i * 5, i as f64)).collect();
    engine.write_batch(&more).unwrap();
    let again: Vec<DataPoint> = (0..100).map(|i| pt("m", "a", i * 3, -1.0)).collect();
    engine.write_batch(&again).unwrap();
    apply(&mut model, &more);
    apply(&mut model, &again);
    drop(engine);
    // Save the WAL and manifest as they were before the next flush.
    copy_dir(&dir.path().join("wal"), &saved.path().join("wal"));
    std::fs::copy(dir.path().join("MANIFEST"), saved.path().join("MANIFEST")).unwrap();
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    engine.flush().unwrap();
    drop(engine);
    // Crash between publishing the files and recording them in the
    // manifest: the new files are of generations the manifest has not
    // reached, and are deleted; the WAL still holds their points.
    std::fs::remove_dir_all(dir.path().join("wal")).unwrap();
    copy_dir(&saved.path().join("wal"), &dir.path().join("wal"));
    std::fs::copy(saved.path().join("MANIFEST"), dir.path().join("MANIFEST")).unwrap();
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    assert_eq!(engine.recovery_stats().wal_points_replayed, 600);
    assert_eq!(engine.recovery_stats().leftovers_removed, 3);
    assert_eq!(contents(&engine), model);
    engine.flush().unwrap();
    engine.compact().unwrap();
    assert_eq!(contents(&engine), model);
}

fn retention_config() -> EngineConfig {
    EngineConfig {
        retention: Some(Duration::from_nanos(2000)),
        ..quiet_config()
    }
}

#[test]
fn retention_drops_expired_partitions_from_memory_files_and_wal() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(0));
    let engine = OpenOptions::new(dir.path())
        .and_then(|o| Engine::open_with(o.config(retention_config()).clock(clock.clone())))
        .unwrap();
    let flushed: Vec<DataPoint> = (0..50).map(|i| pt("m", "a", i * 100, i as f64)).collect();
    engine.write_batch(&flushed).unwrap();
    engine.flush().unwrap();
    let unflushed: Vec<DataPoint> = (0..50)
        .map(|i| pt("n", "a", i * 100 + 1, i as f64))
        .collect();
    engine.write_batch(&unflushed).unwrap();
    assert_eq!(engine.stats().partitions, 5);

    clock.set(4000); // cutoff 2000: partitions [0,1000) and [1000,2000) expire
    let stats = engine.apply_retention().unwrap();
    assert_eq!(stats.cutoff_ns, 2000);
    assert_eq!(stats.partitions_dropped, 2);
    assert_eq!(stats.files_removed, 2);
    assert_eq!(stats.memtable_points_dropped, 20);
    let mut model = Contents::new();
    apply(&mut model, &flushed[20..]);
    apply(&mut model, &unflushed[20..]);
    assert_eq!(contents(&engine), model);
    assert!(!dir.path().join("partitions").join("0").exists());
    // Late points for a dropped partition are kept until the next pass.
    let late = [pt("late", "a", 10, 1.0)];
    engine.write_batch(&late).unwrap();
    apply(&mut model, &late);
    assert_eq!(contents(&engine), model);
    drop(engine); // crash: the dropped points are still in the WAL

    let engine = OpenOptions::new(dir.path())
        .and_then(|o| Engine::open_with(o.config(retention_config()).clock(clock.clone())))
        .unwrap();
    assert_eq!(
        contents(&engine),
        model,
        "the drop record keeps dropped points dropped"
    );
    assert_eq!(
        engine
            .list_series(&skulk_engine::SeriesSelector::all())
            .len(),
        3
    );
    engine.apply_retention().unwrap();
    model.retain(|(_, ts), _| *ts >= 2000);
    assert_eq!(contents(&engine), model);
    assert_eq!(engine.apply_retention().unwrap().partitions_dropped, 0);
}

#[test]
fn without_retention_nothing_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(i64::MAX));
    let engine = OpenOptions::new(dir.path())
        .and_then(|o| Engine::open_with(o.config(quiet_config()).clock(clock)))
        .unwrap();
    engine.write(&pt("m", "a", 0, 1.0)).unwrap();
    assert_eq!(engine.apply_retention().unwrap().partitions_dropped, 0);
    assert_eq!(contents(&engine).len(), 1);
}

#[test]
fn a_zero_flush_age_is_off_not_a_flush_per_write() {
    let dir = tempfile::tempdir().unwrap();
    let config = EngineConfig {
        flush_age: Some(Duration::ZERO),
        ..quiet_config()
    };
    let engine = Engine::open(dir.path(), config).unwrap();
    for ts in 0..5 {
        engine.write(&pt("m", "a", ts, 1.0)).unwrap();
    }
    assert_eq!(engine.stats().files, 0);
    assert_eq!(engine.stats().points_in_memory, 5);
}

#[test]
fn thresholds_flush_inline_without_a_background_thread() {
    let dir = tempfile::tempdir().unwrap();
    let config = EngineConfig {
        flush_points: 100,
        compaction_min_files: 3,
        ..quiet_config()
    };
    let engine = Engine::open(dir.path(), config).unwrap();
    let mut model = Contents::new();
    for batch in 0..10 {
        let points: Vec<DataPoint> = (0..60)
            .map(|i| pt("m", "a", (batch * 60 + i) % 900, batch as f64))
            .collect();
        engine.write_batch(&points).unwrap();
        apply(&mut model, &points);
    }
    let stats = engine.stats();
    assert!(
        stats.files >= 1 && stats.files < 3,
        "flushed and compacted: {stats:?}"
    );
    assert!(stats.points_in_memory < 100);
    assert_eq!(contents(&engine), model);
}

#[test]
fn thresholds_wake_the_background_thread() {
    let dir = tempfile::tempdir().unwrap();
    let config = EngineConfig {
        flush_points: 100,
        background: true,
        maintenance_interval: Duration::from_millis(20),
        ..quiet_config()
    };
    let engine = Engine::open(dir.path(), config).unwrap();
    let points: Vec<DataPoint> = (0..150).map(|i| pt("m", "a", i, 1.0)).collect();
    engine.write_batch(&points).unwrap();
    let mut waited = 0;
    while engine.stats().files == 0 && waited < 500 {
        std::thread::sleep(Duration::from_millis(10));
        waited += 1;
    }
    assert!(engine.stats().files > 0, "background flush happened");
    assert_eq!(contents(&engine).len(), 150);
    assert!(engine.stats().last_background_error.is_none());
    engine.close().unwrap();
}

#[test]
fn a_second_open_of_the_directory_fails_until_the_first_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    engine.write(&pt("m", "a", 1, 1.0)).unwrap();
    match Engine::open(dir.path(), quiet_config()) {
        Err(EngineError::DirectoryInUse { path }) => assert_eq!(path, dir.path()),
        other => panic!("expected DirectoryInUse, got {other:?}"),
    }
    drop(engine);
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    assert_eq!(contents(&engine).len(), 1);
}
