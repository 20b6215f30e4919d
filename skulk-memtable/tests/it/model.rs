//! Model-based test: the memtable against a `BTreeMap`.

use proptest::collection::vec;
use proptest::prelude::*;
use skulk_codec::CodecChoice;
use skulk_format::{DataPoint, TimeRange};
use skulk_memtable::{MemTableOptions, MemtableError, TimeSeriesMemTable};

use crate::support::{Model, check_file, check_snapshot, hour, model_insert, series};

#[derive(Debug, Clone)]
enum Op {
    Insert(usize, i64, f64),
    Batch(Vec<(usize, i64, f64)>),
    OutOfPartition(usize, i64),
    Snapshot,
    Check(i64, i64),
    Flush,
    SealAll,
}

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<u64>().prop_map(f64::from_bits),
        (-1000i64..1000).prop_map(|c| c as f64 / 100.0),
        Just(f64::NAN),
        Just(-0.0),
    ]
}

fn point() -> impl Strategy<Value = (usize, i64, f64)> {
    // A small time window makes duplicates and out-of-order points common.
    (0usize..3, 0i64..120, value())
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        12 => point().prop_map(|(s, t, v)| Op::Insert(s, t, v)),
        3 => vec(point(), 0..40).prop_map(Op::Batch),
        1 => (0usize..3, prop_oneof![Just(-1i64), Just(3_600_000_000_000i64), Just(i64::MIN)])
            .prop_map(|(s, t)| Op::OutOfPartition(s, t)),
        1 => Just(Op::Snapshot),
        2 => (-5i64..125, 0i64..130).prop_map(|(a, len)| Op::Check(a, a + len)),
        1 => Just(Op::Flush),
        1 => Just(Op::SealAll),
    ]
}

fn options() -> impl Strategy<Value = MemTableOptions> {
    let codec = || {
        prop_oneof![
            Just(CodecChoice::Adaptive),
            Just(CodecChoice::RAW),
            Just(MemTableOptions::default().open_codec)
        ]
    };
    (1usize..9, 1usize..13, codec(), codec()).prop_map(|(t, c, codec, open)| {
        MemTableOptions::default()
            .with_tail_points(t)
            .with_chunk_points(c)
            .with_codec(codec)
            .with_open_codec(open)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn memtable_matches_a_btreemap(options in options(), ops in vec(op(), 1..160)) {
        let metas = series(3);
        let mut table = TimeSeriesMemTable::with_options(hour(), options).unwrap();
        let mut model = Model::new();
        let mut snapshots = Vec::new();
        let dir = tempfile::tempdir().unwrap();
        let mut flushes = 0;
        let to_point = |(s, t, v): (usize, i64, f64)| DataPoint::for_series(metas[s].clone(), t, v);
        for op in ops {
            match op {
                Op::Insert(s, t, v) => {
                    let p = to_point((s, t, v));
                    table.insert(&p).unwrap();
                    model_insert(&mut model, &p);
                }
                Op::Batch(points) => {
                    let points: Vec<DataPoint> = points.into_iter().map(to_point).collect();
                    table.insert_batch(&points).unwrap();
                    points.iter().for_each(|p| model_insert(&mut model, p));
                }
                Op::OutOfPartition(s, t) => {
                    let p = to_point((s, t, 1.0));
                    let before = table.point_count();
                    let refused = matches!(table.insert(&p), Err(MemtableError::OutOfPartition { .. }));
                    prop_assert!(refused);
                    let good = to_point((s, 5, 2.0));
                    prop_assert!(table.insert_batch(&[good, p]).is_err());
                    prop_assert_eq!(table.point_count(), before);
                }
                Op::Snapshot => snapshots.push((table.snapshot(), model.clone())),
                Op::Check(a, b) => {
                    check_snapshot(&table.snapshot(), &model, TimeRange::new(a, b).unwrap());
                }
                Op::Flush => {
                    let path = dir.path().join(format!("f{flushes}.tsm"));
                    flushes += 1;
                    let outcome = table.flush(&path).unwrap();
                    let total: usize = model.values().map(|m| m.len()).sum();
                    prop_assert_eq!(outcome.points_written, total as u64);
                    prop_assert_eq!(outcome.handle.stats.total_point_count, total as u64);
                    check_file(&path, &model);
                }
                Op::SealAll => table.seal_all().unwrap(),
            }
            prop_assert_eq!(table.approx_bytes(), table.memory_usage());
            let total: usize = model.values().map(|m| m.len()).sum();
            prop_assert_eq!(table.point_count(), total as u64);
        }
        check_snapshot(&table.snapshot(), &model, TimeRange::ALL);
        for (snapshot, old_model) in &snapshots {
            check_snapshot(snapshot, old_model, TimeRange::ALL);
        }
    }
}
