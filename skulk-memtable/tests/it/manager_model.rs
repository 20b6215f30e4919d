//! Model-based test of the `PartitionManager`: inserts across partitions,
//! flushes and late data, against a `BTreeMap`.

use std::collections::BTreeMap;
use std::time::Duration;

use proptest::collection::vec;
use proptest::prelude::*;
use skulk_format::{DataPoint, SeriesId, TimeRange, TsmReader};
use skulk_memtable::{MemTableOptions, PartitionManager, PartitionManagerConfig};

use crate::support::{Model, model_insert, series};

const SEC: i64 = 1_000_000_000;

#[derive(Debug, Clone)]
enum Op {
    Insert(usize, i64, f64),
    FlushOldest,
    FlushDue,
    Scan,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        20 => (0usize..3, 0i64..300, -50i64..50)
            .prop_map(|(s, t, v)| Op::Insert(s, t * SEC, v as f64 / 4.0)),
        2 => Just(Op::FlushOldest),
        1 => Just(Op::FlushDue),
        2 => Just(Op::Scan),
    ]
}

/// Every flushed file's points, applied in generation order per partition
/// (a later generation wins on equal timestamps).
fn files_view(files: &[(i64, u32, std::path::PathBuf)], ids: &[SeriesId]) -> Model {
    let mut ordered: Vec<&(i64, u32, std::path::PathBuf)> = files.iter().collect();
    ordered.sort_by_key(|(start, generation, _)| (*start, *generation));
    let mut view = Model::new();
    for (_, _, path) in ordered {
        let reader = TsmReader::open(std::fs::read(path).unwrap()).unwrap();
        for id in ids {
            let (ts, vs) = reader.read_series(*id, TimeRange::ALL).unwrap();
            for (t, v) in ts.into_iter().zip(vs) {
                view.entry(*id).or_default().insert(t, v.to_bits());
            }
        }
    }
    view
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn manager_matches_a_btreemap(ops in vec(op(), 1..120)) {
        let metas = series(3);
        let ids: Vec<SeriesId> = metas.iter().map(|m| m.id()).collect();
        let config = PartitionManagerConfig::default()
            .with_partition_duration(Duration::from_secs(60))
            .with_max_active_partitions(2)
            .with_age_threshold(Duration::from_secs(90))
            .with_memtable_options(MemTableOptions::default().with_tail_points(3).with_chunk_points(5));
        let mut manager = PartitionManager::new(config).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut everything = Model::new();
        let mut active = Model::new();
        let mut files = Vec::new();
        for op in ops {
            match op {
                Op::Insert(s, t, v) => {
                    let p = DataPoint::for_series(metas[s].clone(), t, v);
                    manager.insert(&p).unwrap();
                    model_insert(&mut everything, &p);
                    model_insert(&mut active, &p);
                }
                Op::FlushOldest | Op::FlushDue => {
                    let flushed = if matches!(op, Op::FlushOldest) {
                        manager.flush_oldest(dir.path()).unwrap().into_iter().collect()
                    } else {
                        manager.flush_due(dir.path()).unwrap()
                    };
                    for f in flushed {
                        let p = f.outcome.partition;
                        files.push((p.start(), f.generation, f.outcome.handle.path.clone()));
                        for points in active.values_mut() {
                            points.retain(|t, _| !p.contains(*t));
                        }
                        active.retain(|_, points| !points.is_empty());
                    }
                }
                Op::Scan => {
                    let scanned: Vec<(SeriesId, i64, u64)> = manager
                        .scan(TimeRange::ALL)
                        .map(|r| r.map(|p| (p.series_id, p.timestamp, p.value.to_bits())))
                        .collect::<Result<_, _>>()
                        .unwrap();
                    prop_assert_eq!(scanned, crate::support::model_merged(&active, TimeRange::ALL));
                }
            }
            prop_assert_eq!(manager.stats().points, active.values().map(|m| m.len() as u64).sum::<u64>());
        }
        // Files merged by generation, then the active memtables, give
        // every point with its last value.
        let mut view = files_view(&files, &ids);
        for (id, points) in &active {
            view.entry(*id).or_default().extend(points.iter().map(|(t, v)| (*t, *v)));
        }
        prop_assert_eq!(view, everything);
        let names: BTreeMap<_, _> = files.iter().map(|f| (f.2.clone(), ())).collect();
        prop_assert_eq!(names.len(), files.len());
    }
}
