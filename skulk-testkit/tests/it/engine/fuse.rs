//! Retention on a file system that keeps removed open files around (FUSE,
//! NFS): removing a folder that still holds a mapped file fails there with
//! "directory not empty", which must not fail the engine.

use std::sync::Arc;
use std::time::Duration;

use skulk_engine::{DataPoint, Engine, EngineConfig, ManualClock, OpenOptions};
use skulk_testkit::engine_suite::read_engine;
use skulk_testkit::sim_fs::SimFs;

const HOUR: i64 = 3_600_000_000_000;

fn config() -> EngineConfig {
    EngineConfig {
        partition_duration: Some(Duration::from_secs(3600)),
        retention: Some(Duration::from_secs(3 * 3600)),
        background: false,
        ..EngineConfig::default()
    }
}

fn open(disk: &SimFs, clock: &Arc<ManualClock>) -> Engine {
    let options = OpenOptions::on(Arc::new(disk.clone()))
        .config(config())
        .clock(clock.clone());
    Engine::open_with(options).unwrap()
}

/// One point per minute over `hours` hours.
fn points(hours: i64) -> Vec<DataPoint> {
    (0..hours * 60)
        .map(|i| DataPoint::new("m", vec![], i * HOUR / 60, i as f64))
        .collect()
}

fn hidden_names(disk: &SimFs) -> Vec<String> {
    disk.files()
        .keys()
        .map(|p| p.display().to_string())
        .filter(|p| p.contains(".fuse_hidden"))
        .collect()
}

#[test]
fn retention_with_expired_files_still_mapped_elsewhere_keeps_the_engine_working() {
    let disk = SimFs::new();
    disk.set_fuse_mode(true);
    let clock = Arc::new(ManualClock::new(0));
    let engine = open(&disk, &clock);
    engine.write_batch(&points(10)).unwrap();
    engine.flush().unwrap();
    // A reader in another process maps every file the writer will drop.
    let reader =
        Engine::open_read_only(OpenOptions::on(Arc::new(disk.clone())).config(config())).unwrap();
    let before = read_engine(&reader).unwrap();
    clock.set(10 * HOUR);
    let dropped = engine.apply_retention().unwrap();
    assert!(dropped.files_removed > 0, "{dropped:?}");
    assert!(
        !hidden_names(&disk).is_empty(),
        "the reader's maps keep removed files around: the case under test"
    );
    assert!(engine.stats().last_background_error.is_none());
    engine.write_batch(&points(12)[600..]).unwrap();
    engine.flush().unwrap();
    let kept = read_engine(&engine).unwrap();
    assert!(kept.keys().all(|(_, t)| *t >= 7 * HOUR));
    assert!(!kept.is_empty());
    assert_eq!(
        read_engine(&reader).unwrap(),
        before,
        "the reader's maps stay valid"
    );
    drop(reader);
    assert!(hidden_names(&disk).is_empty(), "gone with the last handle");
    drop(engine);
    let engine = open(&disk, &clock);
    assert_eq!(read_engine(&engine).unwrap(), kept);
    clock.set(12 * HOUR);
    engine.apply_retention().unwrap();
    engine.close().unwrap();
    let engine = open(&disk, &clock);
    let last = read_engine(&engine).unwrap();
    assert!(!last.is_empty() && last.keys().all(|(_, t)| *t >= 9 * HOUR));
    assert!(hidden_names(&disk).is_empty());
}
