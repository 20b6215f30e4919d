//! `PartitionManager`: routing, scans across partitions, flush policy and
//! late data.

use std::time::Duration;

use skulk_format::{DataPoint, TimePartition, TimeRange, TsmReader};
use skulk_memtable::{FlushReason, PartitionManager, PartitionManagerConfig, partition_file_name};

use crate::support::{Model, check_file, model_insert, series};

const MIN: i64 = 60_000_000_000;

fn minute_manager() -> PartitionManager {
    let config = PartitionManagerConfig::default()
        .with_partition_duration(Duration::from_secs(60))
        .with_max_active_partitions(2)
        .with_age_threshold(Duration::from_secs(120));
    PartitionManager::new(config).unwrap()
}

#[test]
fn defaults_are_documented_values() {
    let config = PartitionManagerConfig::default();
    assert_eq!(config.partition_duration(), Duration::from_secs(3600));
    assert_eq!(config.size_threshold(), 64 << 20);
    assert_eq!(config.max_active_partitions(), 4);
    assert_eq!(config.age_threshold(), Duration::from_secs(3600));
    let bad = config.with_partition_duration(Duration::ZERO);
    assert!(PartitionManager::new(bad).is_err());
    assert!(PartitionManager::new(config.with_max_active_partitions(0)).is_err());
}

#[test]
fn points_route_to_partitions_and_scan_in_time_order() {
    let metas = series(3);
    let mut manager = minute_manager();
    // Newest partition first, out of order within partitions.
    for t in [5 * MIN + 3, 2 * MIN + 7, -MIN + 1, 2 * MIN + 1, 5 * MIN] {
        for m in &metas {
            manager
                .insert(&DataPoint::for_series(m.clone(), t, t as f64))
                .unwrap();
        }
    }
    let starts: Vec<i64> = manager.partitions().map(|(p, _, _)| p.start()).collect();
    assert_eq!(starts, [-MIN, 2 * MIN, 5 * MIN]);
    let all: Vec<DataPoint> = manager.scan(TimeRange::ALL).map(Result::unwrap).collect();
    assert_eq!(all.len(), 15);
    assert!(
        all.windows(2)
            .all(|w| (w[0].timestamp, w[0].series_id) < (w[1].timestamp, w[1].series_id))
    );
    let some: Vec<i64> = manager
        .scan_series(metas[1].id(), TimeRange::new(0, 5 * MIN + 1).unwrap())
        .map(|r| r.unwrap().0)
        .collect();
    assert_eq!(some, [2 * MIN + 1, 2 * MIN + 7, 5 * MIN]);
    let stats = manager.stats();
    assert_eq!(
        (stats.active_partitions, stats.points, stats.series),
        (3, 15, 9)
    );
}

#[test]
fn priorities_report_age_size_and_too_many_active() {
    let meta = series(1).remove(0);
    let mut manager = minute_manager();
    for t in [0, MIN, 2 * MIN, 3 * MIN + 59_000_000_000] {
        manager
            .insert(&DataPoint::for_series(meta.clone(), t, 1.0))
            .unwrap();
    }
    let priorities = manager.flush_priorities();
    let reasons: Vec<(i64, Vec<FlushReason>)> = priorities
        .iter()
        .map(|c| (c.partition.start(), c.reasons.clone()))
        .collect();
    // Partition 0 ends 1 min in; the newest point is at 3 min 59 s, so it is
    // more than 2 min behind. Four partitions with a maximum of two: the two
    // oldest are in excess.
    assert_eq!(
        reasons,
        [
            (0, vec![FlushReason::Age, FlushReason::TooManyActive]),
            (MIN, vec![FlushReason::TooManyActive])
        ]
    );
    let config = *manager.config();
    let mut small = PartitionManager::new(config.with_size_threshold(1)).unwrap();
    small.insert(&DataPoint::for_series(meta, 0, 1.0)).unwrap();
    assert_eq!(small.flush_priorities()[0].reasons, [FlushReason::Size]);
}

#[test]
fn flush_oldest_goes_oldest_first_and_files_read_back() {
    let metas = series(4);
    let mut manager = minute_manager();
    let mut models = [Model::new(), Model::new(), Model::new()];
    for i in 0..600i64 {
        let t = (i * 7919) % (3 * MIN / 1_000_000_000) * 1_000_000_000; // shuffled seconds
        let p = DataPoint::for_series(metas[(i % 4) as usize].clone(), t, (i as f64).sqrt());
        manager.insert(&p).unwrap();
        model_insert(&mut models[(t / MIN) as usize], &p);
    }
    let dir = tempfile::tempdir().unwrap();
    for (k, model) in models.iter().enumerate() {
        let flushed = manager.flush_oldest(dir.path()).unwrap().unwrap();
        assert_eq!(flushed.outcome.partition.start(), k as i64 * MIN);
        assert_eq!(flushed.generation, 0);
        check_file(&flushed.outcome.handle.path, model);
    }
    assert!(manager.flush_oldest(dir.path()).unwrap().is_none());
    assert_eq!(manager.stats().flushed_partitions, 3);
}

#[test]
fn late_data_for_a_flushed_partition_goes_to_a_second_file() {
    let meta = series(1).remove(0);
    let mut manager = minute_manager();
    let dir = tempfile::tempdir().unwrap();
    manager
        .insert(&DataPoint::for_series(meta.clone(), 10, 1.0))
        .unwrap();
    manager
        .insert(&DataPoint::for_series(meta.clone(), 20, 2.0))
        .unwrap();
    let first = manager.flush_oldest(dir.path()).unwrap().unwrap();
    // Late: the partition was flushed; a rewrite of t=10 and a new point.
    manager
        .insert(&DataPoint::for_series(meta.clone(), 10, 3.0))
        .unwrap();
    manager
        .insert(&DataPoint::for_series(meta.clone(), 30, 4.0))
        .unwrap();
    assert_eq!(manager.stats().late_writes, 2);
    let (_, generation, _) = manager.partitions().next().unwrap();
    assert_eq!(generation, 1);
    let second = manager.flush_oldest(dir.path()).unwrap().unwrap();
    assert_eq!(second.generation, 1);
    assert_ne!(first.outcome.handle.path, second.outcome.handle.path);
    let partition = TimePartition::containing(10, Duration::from_secs(60)).unwrap();
    assert!(
        second
            .outcome
            .handle
            .path
            .ends_with(partition_file_name(&partition, 1))
    );
    let read = |path: &std::path::Path| {
        let reader = TsmReader::open(std::fs::read(path).unwrap()).unwrap();
        reader.read_series(meta.id(), TimeRange::ALL).unwrap()
    };
    assert_eq!(
        read(&first.outcome.handle.path),
        (vec![10, 20], vec![1.0, 2.0])
    );
    assert_eq!(
        read(&second.outcome.handle.path),
        (vec![10, 30], vec![3.0, 4.0])
    );
    // A fresh manager (e.g. after a restart) never overwrites either file.
    let mut restarted = minute_manager();
    restarted
        .insert(&DataPoint::for_series(meta, 40, 5.0))
        .unwrap();
    let third = restarted.flush_oldest(dir.path()).unwrap().unwrap();
    assert_eq!(third.generation, 2);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
}

#[test]
fn a_taken_partition_makes_later_points_late() {
    let meta = series(1).remove(0);
    let mut manager = minute_manager();
    manager
        .insert(&DataPoint::for_series(meta.clone(), 10, 1.0))
        .unwrap();
    let frozen = manager.take_oldest().unwrap();
    assert_eq!((frozen.generation, frozen.table.point_count()), (0, 1));
    assert!(frozen.file_name().ends_with("_g0000.tsm"));
    manager
        .insert(&DataPoint::for_series(meta, 11, 1.0))
        .unwrap();
    assert_eq!(manager.take_oldest().unwrap().generation, 1);
}
