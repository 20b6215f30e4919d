//! Label matchers, ranges and aggregation through the engine.

use skulk_engine::{
    AggregateFn, Aggregation, DataPoint, Engine, LabelMatcher, METRIC_LABEL, MatchOp, Query,
    SeriesSelector, TimeRange,
};

use crate::common::quiet_config;

fn point(metric: &str, labels: &[(&str, &str)], ts: i64, v: f64) -> DataPoint {
    DataPoint::new(
        metric,
        labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ts,
        v,
    )
}

fn engine_with_fleet(dir: &std::path::Path) -> Engine {
    let engine = Engine::open(dir, quiet_config()).unwrap();
    let mut points = Vec::new();
    for (host, dc) in [("web-1", "eu"), ("web-2", "us"), ("db-1", "eu")] {
        for ts in 0..20 {
            points.push(point(
                "cpu",
                &[("host", host), ("dc", dc)],
                ts * 100,
                ts as f64,
            ));
        }
    }
    points.push(point("mem", &[("host", "web-1")], 5, 1.0));
    points.push(point("up", &[], 5, 1.0));
    engine.write_batch(&points[..30]).unwrap();
    engine.flush().unwrap();
    engine.write_batch(&points[30..]).unwrap();
    engine
}

fn hosts(engine: &Engine, matchers: Vec<LabelMatcher>) -> Vec<String> {
    let q = Query::raw(SeriesSelector::Matchers(matchers.clone()), TimeRange::ALL);
    let from_query: Vec<String> = engine
        .query(&q)
        .unwrap()
        .iter()
        .map(|r| r.series.to_string())
        .collect();
    let listed: Vec<String> = engine
        .list_series(&SeriesSelector::Matchers(matchers))
        .iter()
        .map(|m| m.to_string())
        .collect();
    assert_eq!(
        from_query, listed,
        "query and list_series agree, both sorted"
    );
    from_query
}

#[test]
fn label_matchers_select_series() {
    let dir = tempfile::tempdir().unwrap();
    let e = engine_with_fleet(dir.path());
    let cpu = LabelMatcher::equal(METRIC_LABEL, "cpu");
    assert_eq!(hosts(&e, vec![cpu.clone()]).len(), 3);
    assert_eq!(
        hosts(&e, vec![cpu.clone(), LabelMatcher::equal("dc", "eu")]),
        vec![
            r#"cpu{dc="eu",host="db-1"}"#,
            r#"cpu{dc="eu",host="web-1"}"#
        ]
    );
    assert_eq!(
        hosts(&e, vec![cpu.clone(), LabelMatcher::not_equal("dc", "eu")]).len(),
        1
    );
    assert_eq!(
        hosts(&e, vec![LabelMatcher::regex("host", "web-.*")]).len(),
        3
    );
    assert_eq!(
        hosts(&e, vec![cpu, LabelMatcher::not_regex("host", "web-.*")]).len(),
        1
    );
    // A missing label is the empty value.
    assert_eq!(hosts(&e, vec![LabelMatcher::equal("host", "")]), vec!["up"]);
    assert_eq!(
        hosts(
            &e,
            vec![LabelMatcher::new(METRIC_LABEL, MatchOp::Regex, "mem|up")]
        )
        .len(),
        2
    );
    assert_eq!(hosts(&e, vec![]).len(), 5);
}

#[test]
fn ranges_are_half_open_and_empty_series_are_omitted() {
    let dir = tempfile::tempdir().unwrap();
    let e = engine_with_fleet(dir.path());
    let q = Query::raw(
        SeriesSelector::metric("cpu"),
        TimeRange::new(300, 700).unwrap(),
    );
    let r = e.query(&q).unwrap();
    assert_eq!(r.len(), 3);
    for s in &r {
        assert_eq!(s.timestamps, vec![300, 400, 500, 600]);
        assert_eq!(s.values, vec![3.0, 4.0, 5.0, 6.0]);
    }
    let none = Query::raw(
        SeriesSelector::metric("cpu"),
        TimeRange::new(5000, 6000).unwrap(),
    );
    assert!(e.query(&none).unwrap().is_empty());
    let empty = Query::raw(
        SeriesSelector::metric("cpu"),
        TimeRange::new(300, 300).unwrap(),
    );
    assert!(e.query(&empty).unwrap().is_empty());
}

#[test]
fn aggregation_windows_over_files_and_memtables() {
    let dir = tempfile::tempdir().unwrap();
    let e = engine_with_fleet(dir.path());
    let selector = SeriesSelector::Matchers(vec![
        LabelMatcher::equal("host", "web-1"),
        LabelMatcher::equal(METRIC_LABEL, "cpu"),
    ]);
    let expect = [
        (AggregateFn::Count, [5.0, 5.0, 5.0, 5.0]),
        (AggregateFn::Sum, [10.0, 35.0, 60.0, 85.0]),
        (AggregateFn::Mean, [2.0, 7.0, 12.0, 17.0]),
        (AggregateFn::Min, [0.0, 5.0, 10.0, 15.0]),
        (AggregateFn::Max, [4.0, 9.0, 14.0, 19.0]),
        (AggregateFn::First, [0.0, 5.0, 10.0, 15.0]),
        (AggregateFn::Last, [4.0, 9.0, 14.0, 19.0]),
    ];
    for (function, values) in expect {
        let agg = Aggregation::new(500, function).unwrap();
        let r = e
            .query(&Query::aggregated(selector.clone(), TimeRange::ALL, agg))
            .unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].timestamps, vec![0, 500, 1000, 1500], "{function:?}");
        assert_eq!(r[0].values, values.to_vec(), "{function:?}");
    }
    let bad = Query {
        selector,
        range: TimeRange::ALL,
        aggregation: Some(Aggregation {
            step_ns: 0,
            function: AggregateFn::Sum,
        }),
    };
    assert!(e.query(&bad).is_err());
}

#[test]
fn a_dedicated_query_pool_gives_the_same_results() {
    let dir = tempfile::tempdir().unwrap();
    let e = engine_with_fleet(dir.path());
    let before = crate::common::contents(&e);
    e.close().unwrap();
    let config = skulk_engine::EngineConfig {
        query_threads: 2,
        ..quiet_config()
    };
    let e = Engine::open(dir.path(), config).unwrap();
    assert_eq!(crate::common::contents(&e), before);
}

#[test]
fn narrow_selections_read_only_their_series_from_memtables() {
    let dir = tempfile::tempdir().unwrap();
    let e = Engine::open(dir.path(), quiet_config()).unwrap();
    let batch = |round: i64| -> Vec<DataPoint> {
        (0..40)
            .flat_map(|s| (0..30).map(move |t| (s, t)))
            .map(|(s, t)| {
                point(
                    "m",
                    &[("s", &s.to_string())],
                    (t * 37 + round * 11) % 900,
                    (round * 100 + t) as f64,
                )
            })
            .collect()
    };
    e.write_batch(&batch(0)).unwrap();
    e.flush().unwrap();
    e.write_batch(&batch(1)).unwrap();
    let everything = crate::common::contents(&e);
    for s in 0..40 {
        let selector = SeriesSelector::Matchers(vec![LabelMatcher::equal("s", s.to_string())]);
        let r = e
            .query(&Query::raw(selector, TimeRange::new(100, 800).unwrap()))
            .unwrap();
        assert_eq!(r.len(), 1);
        let key = r[0].series.key();
        let want: Vec<(i64, u64)> = everything
            .range((key.clone(), 100)..(key.clone(), 800))
            .map(|((_, t), v)| (*t, *v))
            .collect();
        let got: Vec<(i64, u64)> = r[0]
            .timestamps
            .iter()
            .zip(&r[0].values)
            .map(|(t, v)| (*t, v.to_bits()))
            .collect();
        assert_eq!(got, want, "series {s}");
    }
}

#[test]
fn partitions_are_listed_in_time_order_from_memory_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let config = skulk_engine::EngineConfig {
        partition_duration: Some(std::time::Duration::from_nanos(1000)),
        ..quiet_config()
    };
    let engine = Engine::open(dir.path(), config.clone()).unwrap();
    assert!(engine.partitions().unwrap().is_empty());
    engine
        .write_batch(&[crate::common::pt("m", "a", 2500, 1.0)])
        .unwrap();
    engine.flush().unwrap();
    engine
        .write_batch(&[
            crate::common::pt("m", "a", -1, 2.0),
            crate::common::pt("m", "b", 2999, 3.0),
        ])
        .unwrap();
    let starts = |e: &Engine| -> Vec<(i64, i64)> {
        e.partitions()
            .unwrap()
            .iter()
            .map(|p| (p.start(), p.end_ts()))
            .collect()
    };
    assert_eq!(starts(&engine), [(-1000, 0), (2000, 3000)]);
    drop(engine);
    let engine = Engine::open(dir.path(), config).unwrap();
    assert_eq!(starts(&engine), [(-1000, 0), (2000, 3000)]);
}
