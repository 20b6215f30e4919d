//! Write, query, restart, query.

use std::sync::Arc;

use skulk_engine::{
    DataPoint, Engine, EngineError, LabelMatcher, Query, SeriesMeta, SeriesSelector, TimeRange,
};

use crate::common::{Contents, apply, contents, pt, quiet_config, tsm_files};

fn sample() -> Vec<DataPoint> {
    let mut points = Vec::new();
    for ts in (0..5000).step_by(7) {
        points.push(pt("cpu", "a", ts, ts as f64 * 0.5));
        points.push(pt("cpu", "b", 4999 - ts, -(ts as f64)));
    }
    points.push(pt("mem", "a", -1, f64::from_bits(0x7ff8_dead_beef_0001)));
    points.push(pt("mem", "a", i64::MIN, -0.0));
    points.push(pt("mem", "a", i64::MAX, f64::INFINITY));
    points
}

#[test]
fn write_query_restart_query() {
    let dir = tempfile::tempdir().unwrap();
    let mut model = Contents::new();
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    let points = sample();
    let (first, second) = points.split_at(points.len() / 2);
    engine.write_batch(first).unwrap();
    apply(&mut model, first);
    let flushed = engine.flush().unwrap();
    assert!(flushed.files_written >= 5, "{flushed:?}");
    assert_eq!(flushed.points_written, first.len() as u64);
    engine.write_batch(second).unwrap();
    apply(&mut model, second);
    // Overwrites of flushed points win.
    let overwrite: Vec<DataPoint> = first
        .iter()
        .take(50)
        .map(|p| DataPoint::for_series(Arc::clone(&p.series), p.timestamp, 1e9))
        .collect();
    engine.write_batch(&overwrite).unwrap();
    apply(&mut model, &overwrite);
    assert_eq!(contents(&engine), model);
    engine.close().unwrap();

    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    assert_eq!(contents(&engine), model);
    assert_eq!(
        engine.recovery_stats().wal_points_replayed,
        0,
        "close flushes"
    );
    assert!(engine.recovery_stats().files_opened >= 1);
    let files = engine.stats().files;
    drop(engine);
    assert_eq!(tsm_files(dir.path()), files);
}

#[test]
fn unflushed_writes_are_replayed_from_the_wal() {
    let dir = tempfile::tempdir().unwrap();
    let mut model = Contents::new();
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    let points = sample();
    engine.write_batch(&points[..100]).unwrap();
    engine.flush().unwrap();
    for p in &points[100..] {
        engine.write(p).unwrap();
    }
    apply(&mut model, &points);
    drop(engine); // no close: nothing flushed

    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    let stats = engine.recovery_stats().clone();
    assert_eq!(
        stats.wal_points_replayed,
        (points.len() - 100) as u64,
        "{stats:?}"
    );
    assert!(
        stats.wal_records_replayed > (points.len() - 100) as u64,
        "points and a definition"
    );
    assert!(stats.safe_lsn > 0);
    assert_eq!(contents(&engine), model);
    // Metadata of series only in the WAL and only in files is back.
    let all = engine.list_series(&SeriesSelector::all());
    assert_eq!(all.len(), 3);
    assert_eq!(engine.stats().series, 3);
}

#[test]
fn values_and_timestamps_round_trip_bit_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let specials = [
        0.0,
        -0.0,
        f64::NAN,
        -f64::NAN,
        f64::from_bits(1),
        f64::MIN_POSITIVE,
        f64::MAX,
        f64::NEG_INFINITY,
        f64::from_bits(0xfff4_0000_0000_0001),
    ];
    let timestamps = [
        i64::MIN,
        i64::MIN + 1,
        -1,
        0,
        1,
        i64::MAX - 1,
        i64::MAX,
        1_700_000_000_000_000_000,
        -999,
        999,
    ];
    let points: Vec<DataPoint> = specials
        .iter()
        .zip(timestamps)
        .map(|(&v, ts)| pt("bits", "x", ts, v))
        .collect();
    let mut model = Contents::new();
    apply(&mut model, &points);
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    engine.write_batch(&points).unwrap();
    assert_eq!(contents(&engine), model, "memtable");
    engine.flush().unwrap();
    assert_eq!(contents(&engine), model, "files");
    engine.compact().unwrap();
    drop(engine);
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    assert_eq!(contents(&engine), model, "after restart");
}

#[test]
fn leftover_temporary_files_are_removed_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    engine.write_batch(&sample()[..10]).unwrap();
    engine.close().unwrap();
    let tmp = dir
        .path()
        .join("tsm/0000000000000009-0000000000000009.tsm.tmp");
    std::fs::write(&tmp, b"half").unwrap();
    std::fs::create_dir_all(dir.path().join("partitions").join("5000.dropped")).unwrap();
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    assert_eq!(engine.recovery_stats().leftovers_removed, 2);
    assert!(!tmp.exists());
}

#[test]
fn inconsistent_points_are_refused_before_logging() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    let mut bad = pt("cpu", "a", 1, 1.0);
    bad.series_id = skulk_engine::SeriesId(12345);
    assert!(matches!(engine.write(&bad), Err(EngineError::Wal(_))));
    assert!(contents(&engine).is_empty());
    drop(engine);
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    assert!(contents(&engine).is_empty(), "nothing was logged");
    engine.write_batch(&[]).unwrap();
}

#[test]
fn exact_selector_finds_only_that_series() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    engine.write_batch(&sample()).unwrap();
    let meta = SeriesMeta::new("cpu", vec![("host".into(), "a".into())]);
    let q = Query::raw(
        SeriesSelector::Exact(meta.clone()),
        TimeRange::new(0, 100).unwrap(),
    );
    let r = engine.query(&q).unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(*r[0].series, meta);
    assert_eq!(r[0].timestamps, (0..100).step_by(7).collect::<Vec<_>>());
    let missing = SeriesMeta::new("cpu", vec![("host".into(), "zzz".into())]);
    assert!(
        engine
            .query(&Query::raw(SeriesSelector::Exact(missing), TimeRange::ALL))
            .unwrap()
            .is_empty()
    );
    let re = SeriesSelector::Matchers(vec![LabelMatcher::regex("host", "(")]);
    assert!(matches!(
        engine.query(&Query::raw(re, TimeRange::ALL)),
        Err(EngineError::InvalidArgument(_))
    ));
}

#[test]
fn a_changed_partition_duration_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    engine.write(&pt("m", "a", 5500, 1.0)).unwrap();
    engine.close().unwrap();
    let other = skulk_engine::EngineConfig {
        partition_duration: Some(std::time::Duration::from_nanos(3000)),
        ..quiet_config()
    };
    let err = Engine::open(dir.path(), other).unwrap_err();
    assert!(
        matches!(
            &err,
            EngineError::SettingMismatch { setting: "partition_duration", stored, configured }
                if stored == "1µs" && configured == "3µs"
        ),
        "{err}"
    );
    assert!(Engine::open(dir.path(), quiet_config()).is_ok());
    // Left out, the directory's own setting is taken.
    let unset = skulk_engine::EngineConfig {
        partition_duration: None,
        ..quiet_config()
    };
    let engine = Engine::open(dir.path(), unset).unwrap();
    assert_eq!(contents(&engine).len(), 1);
}

#[test]
fn deserialised_series_keep_the_label_rule_of_built_ones() {
    // `SeriesMeta::new` keeps one of each key; deserialised metadata with a
    // key twice is refused, and unsorted labels name the same series.
    let twice = toml::from_str::<skulk_engine::SeriesMeta>(
        "metric = \"cpu\"\nlabels = [[\"host\", \"a\"], [\"host\", \"b\"]]",
    )
    .unwrap_err();
    assert!(twice.to_string().contains("\"host\" twice"), "{twice}");
    let unsorted: skulk_engine::SeriesMeta =
        toml::from_str("metric = \"cpu\"\nlabels = [[\"z\", \"1\"], [\"b\", \"2\"]]").unwrap();
    let built = skulk_engine::SeriesMeta::new(
        "cpu",
        vec![("b".into(), "2".into()), ("z".into(), "1".into())],
    );
    assert_eq!((&unsorted, unsorted.id()), (&built, built.id()));
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), crate::common::quiet_config()).unwrap();
    let point = DataPoint::for_series(std::sync::Arc::new(unsorted), 1, 1.0);
    engine.write_batch(&[point]).unwrap();
    let key = built.to_string();
    let found = engine
        .find_series(&skulk_engine::SeriesSelector::parse(&key).unwrap())
        .unwrap();
    assert_eq!(found, [built]);
}
