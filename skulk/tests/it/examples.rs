//! Runs the body of every example in `examples/` and checks its outcome.

#[allow(dead_code)]
#[path = "../../examples/basic_usage.rs"]
mod basic_usage;
#[allow(dead_code)]
#[path = "../../examples/crash_recovery.rs"]
mod crash_recovery;
#[allow(dead_code)]
#[path = "../../examples/engine.rs"]
mod engine;
#[allow(dead_code)]
#[path = "../../examples/multi_partition.rs"]
mod multi_partition;

#[test]
fn basic_usage_flushes_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(basic_usage::run(dir.path()).unwrap(), 1);
    assert!(dir.path().join("data/partition.skulk").is_file());
}

#[test]
fn multi_partition_routes_scans_and_flushes() {
    let dir = tempfile::tempdir().unwrap();
    let summary = multi_partition::run(dir.path()).unwrap();
    // 10,000 s of points: hours [0, 1), [1, 2), [2, 3).
    assert_eq!(
        summary,
        multi_partition::Summary {
            partitions: 3,
            scanned: 5_000,
            flushed: 3_600
        }
    );
}

#[test]
fn crash_recovery_rebuilds_complete_points() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(crash_recovery::run(dir.path()).unwrap(), 6);
}

#[test]
fn engine_queries_aggregates_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let summary = engine::run(dir.path()).unwrap();
    assert_eq!(summary.series_of_host_a, 2);
    assert_eq!(summary.minute_means, vec![0.0, 1.0, 2.0]);
    assert_eq!(summary.points_after_reopen, 4 * 180);
}
