//! Window aggregation across series (`Engine::query_windows`) against a
//! simple reference: a `BTreeMap` of what was written (last write wins),
//! windows cut by hand, values combined in time order within a series and
//! series in key order within a group. Compared bit for bit.

use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;
use skulk_engine::{
    AggregateFn, Aggregation, DataPoint, Engine, Fill, Grouping, Quantile, SeriesMeta,
    SeriesSelector, TimeRange, WindowQuery,
};

use crate::common::quiet_config;

type Model = BTreeMap<SeriesMeta, BTreeMap<i64, f64>>;
/// One series' part of a window: its value before the window, its points.
type SeriesWindow = (Option<f64>, Vec<(i64, f64)>);
/// Points as (series, timestamp, value index), and whether to flush after.
type Batch = (Vec<(usize, i64, usize)>, bool);

const HOSTS: [&str; 3] = ["a", "b", "c"];
const DCS: [&str; 2] = ["x", "y"];
const VALUES: [f64; 10] = [
    0.0,
    -0.0,
    1.0,
    2.5,
    3.0,
    10.0,
    f64::NAN,
    f64::INFINITY,
    -1.0,
    7.0,
];

fn series(i: usize) -> SeriesMeta {
    let mut labels = vec![("host".to_string(), HOSTS[i % 3].to_string())];
    if i.is_multiple_of(2) {
        labels.push(("dc".to_string(), DCS[(i / 2) % 2].to_string()));
    }
    SeriesMeta::new(if i < 4 { "req" } else { "err" }, labels)
}

fn group_key(grouping: &Grouping, s: &SeriesMeta) -> SeriesMeta {
    match grouping {
        Grouping::None => s.clone(),
        Grouping::By(names) => {
            let keep_metric = names.iter().any(|n| n == "__name__");
            let labels = names
                .iter()
                .filter(|n| *n != "__name__")
                .filter_map(|n| s.label(n).map(|v| (n.clone(), v.to_string())))
                .filter(|(_, v)| !v.is_empty())
                .collect();
            SeriesMeta::new(if keep_metric { s.metric() } else { "" }, labels)
        }
        Grouping::Without(names) => {
            let drop_metric = names.iter().any(|n| n == "__name__");
            let labels = s
                .labels()
                .iter()
                .filter(|(k, _)| !names.contains(k))
                .cloned()
                .collect();
            SeriesMeta::new(if drop_metric { "" } else { s.metric() }, labels)
        }
    }
}

fn window_of(ts: i64, step: i64) -> i64 {
    ts.div_euclid(step) * step
}

/// The reference value of one window: `per_series` holds, in key order,
/// each series' points in the window (time order) and its value before.
fn reference_value(function: AggregateFn, step: i64, per_series: &[SeriesWindow]) -> Option<f64> {
    let values = || {
        per_series
            .iter()
            .flat_map(|(_, pts)| pts.iter().map(|p| p.1))
    };
    let series_fold = |f: &dyn Fn(f64, f64) -> f64, init: Option<f64>| {
        per_series
            .iter()
            .filter(|(_, pts)| !pts.is_empty())
            .map(|(_, pts)| match init {
                Some(i) => pts.iter().fold(i, |a, p| f(a, p.1)),
                None => pts.iter().map(|p| p.1).reduce(f).unwrap(),
            })
            .reduce(f)
    };
    match function {
        AggregateFn::Sum => series_fold(&|a, b| a + b, None),
        AggregateFn::Count => Some(values().count() as f64),
        AggregateFn::Mean => Some(series_fold(&|a, b| a + b, None)? / values().count() as f64),
        AggregateFn::Min => series_fold(&f64::min, Some(f64::NAN)),
        AggregateFn::Max => series_fold(&f64::max, Some(f64::NAN)),
        AggregateFn::First => {
            let mut best: Option<(i64, f64)> = None;
            for (_, pts) in per_series {
                if let Some(&(t, v)) = pts.first()
                    && best.is_none_or(|b| t < b.0)
                {
                    best = Some((t, v));
                }
            }
            best.map(|b| b.1)
        }
        AggregateFn::Last => {
            let mut best: Option<(i64, f64)> = None;
            for (_, pts) in per_series {
                if let Some(&(t, v)) = pts.last()
                    && best.is_none_or(|b| t >= b.0)
                {
                    best = Some((t, v));
                }
            }
            best.map(|b| b.1)
        }
        AggregateFn::Quantile(q) => {
            let mut all: Vec<f64> = values().collect();
            all.sort_by(f64::total_cmp);
            let rank = q.get() * (all.len().checked_sub(1)? as f64);
            let lo = rank.floor() as usize;
            let w = rank - rank.floor();
            if w == 0.0 {
                return Some(all[lo]);
            }
            let hi = (lo + 1).min(all.len() - 1);
            Some(all[lo] * (1.0 - w) + all[hi] * w)
        }
        AggregateFn::Increase | AggregateFn::Rate => {
            let mut total: Option<f64> = None;
            for (before, pts) in per_series {
                let mut prev = *before;
                let mut sum: Option<f64> = None;
                for &(_, v) in pts {
                    if let Some(p) = prev {
                        let d = if v < p { v } else { v - p };
                        sum = Some(sum.map_or(d, |s| s + d));
                    }
                    prev = Some(v);
                }
                if let Some(s) = sum {
                    total = Some(total.map_or(s, |t| t + s));
                }
            }
            let total = total?;
            Some(if function == AggregateFn::Rate {
                total * 1e9 / step as f64
            } else {
                total
            })
        }
    }
}

fn reference(model: &Model, q: &WindowQuery) -> Vec<(String, Vec<(i64, u64)>)> {
    let step = q.aggregation.step_ns;
    let range = q.range;
    // group -> window -> per series (key order) (value before, points)
    let mut groups: BTreeMap<SeriesMeta, BTreeMap<i64, Vec<SeriesWindow>>> = BTreeMap::new();
    for (s, points) in model {
        let in_range: Vec<(i64, f64)> = points
            .iter()
            .filter(|(t, _)| range.contains(**t))
            .map(|(t, v)| (*t, *v))
            .collect();
        if in_range.is_empty() {
            continue;
        }
        let windows = groups.entry(group_key(&q.grouping, s)).or_default();
        let mut before = None;
        let mut i = 0;
        while i < in_range.len() {
            let w = window_of(in_range[i].0, step);
            let mut pts = Vec::new();
            while i < in_range.len() && window_of(in_range[i].0, step) == w {
                pts.push(in_range[i]);
                i += 1;
            }
            let last = pts.last().unwrap().1;
            windows.entry(w).or_default().push((before, pts));
            before = Some(last);
        }
    }
    let mut out = Vec::new();
    for (key, windows) in groups {
        let mut filled: Vec<(i64, f64)> = windows
            .iter()
            .filter_map(|(w, per)| Some((*w, reference_value(q.aggregation.function, step, per)?)))
            .collect();
        if filled.is_empty() {
            continue;
        }
        if q.fill != Fill::None {
            filled = reference_fill(filled, q.fill, range, step);
        }
        let bits = filled.into_iter().map(|(t, v)| (t, v.to_bits())).collect();
        out.push((key.to_string(), bits));
    }
    out
}

fn reference_fill(
    got: Vec<(i64, f64)>,
    fill: Fill,
    range: TimeRange,
    step: i64,
) -> Vec<(i64, f64)> {
    let have: BTreeMap<i64, f64> = got.iter().copied().collect();
    let from = window_of(range.start(), step);
    let to = window_of(range.end() - 1, step).max(got.last().unwrap().0);
    let mut out = Vec::new();
    let mut prev = None;
    let mut w = from;
    while w <= to {
        let own = have.get(&w).copied();
        let v = match fill {
            Fill::Value(x) => own.or(Some(x)),
            Fill::Previous => own.or(prev),
            Fill::None => own,
        };
        if let Some(v) = v {
            out.push((w, v));
        }
        prev = own.or(prev);
        w += step;
    }
    out
}

fn engine_results(engine: &Engine, q: &WindowQuery) -> Vec<(String, Vec<(i64, u64)>)> {
    engine
        .query_windows(q)
        .unwrap()
        .into_iter()
        .map(|r| {
            let bits = r
                .timestamps
                .iter()
                .zip(&r.values)
                .map(|(t, v)| (*t, v.to_bits()))
                .collect();
            (r.series.to_string(), bits)
        })
        .collect()
}

fn functions() -> impl Strategy<Value = AggregateFn> {
    prop_oneof![
        Just(AggregateFn::Sum),
        Just(AggregateFn::Count),
        Just(AggregateFn::Mean),
        Just(AggregateFn::Min),
        Just(AggregateFn::Max),
        Just(AggregateFn::First),
        Just(AggregateFn::Last),
        Just(AggregateFn::Increase),
        Just(AggregateFn::Rate),
        (0.0..=1.0f64).prop_map(|q| AggregateFn::Quantile(Quantile::new(q).unwrap())),
    ]
}

fn groupings() -> impl Strategy<Value = Grouping> {
    let names = prop::sample::subsequence(vec!["__name__", "host", "dc", "zone"], 0..3)
        .prop_map(|ns| ns.into_iter().map(String::from).collect::<Vec<_>>());
    prop_oneof![
        Just(Grouping::None),
        names.clone().prop_map(Grouping::By),
        names.prop_map(Grouping::Without),
    ]
}

fn fills() -> impl Strategy<Value = Fill> {
    prop_oneof![
        Just(Fill::None),
        Just(Fill::Previous),
        Just(Fill::Value(-0.0)),
        Just(Fill::Value(f64::from_bits(0x7ff4_0000_0000_0001))),
    ]
}

/// Batches of (series, timestamp, value index), flushed after some.
fn batches() -> impl Strategy<Value = Vec<Batch>> {
    prop::collection::vec(
        (
            prop::collection::vec((0..6usize, -1500i64..4500, 0..VALUES.len()), 1..40),
            any::<bool>(),
        ),
        1..5,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn windows_match_the_reference(
        batches in batches(),
        function in functions(),
        grouping in groupings(),
        fill in fills(),
        step in prop_oneof![Just(1i64), Just(7), Just(300), Just(1000), Just(2500)],
        start in -2000i64..1000,
        len in 1i64..7000,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(dir.path(), quiet_config()).unwrap();
        let mut model = Model::new();
        let metas: Vec<Arc<SeriesMeta>> = (0..6).map(|i| Arc::new(series(i))).collect();
        for (batch, flush) in &batches {
            let points: Vec<DataPoint> = batch
                .iter()
                .map(|&(s, t, v)| DataPoint::for_series(Arc::clone(&metas[s]), t, VALUES[v]))
                .collect();
            for p in &points {
                model.entry((*p.series).clone()).or_default().insert(p.timestamp, p.value);
            }
            engine.write_batch(&points).unwrap();
            if *flush {
                engine.flush().unwrap();
            }
        }
        let range = TimeRange::new(start, start + len).unwrap();
        let q = WindowQuery::new(
            SeriesSelector::all(),
            range,
            Aggregation::new(step, function).unwrap(),
        )
        .grouped(grouping)
        .filled(fill);
        prop_assert_eq!(engine_results(&engine, &q), reference(&model, &q), "{:?}", q);
    }
}

#[test]
fn sum_by_host_and_increase_without_dc() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    let pt = |host: &str, dc: &str, t: i64, v: f64| {
        DataPoint::new(
            "req",
            vec![("host".into(), host.into()), ("dc".into(), dc.into())],
            t,
            v,
        )
    };
    engine
        .write_batch(&[
            pt("a", "x", 0, 1.0),
            pt("a", "y", 5, 2.0),
            pt("b", "x", 0, 4.0),
            pt("a", "x", 10, 3.0),
            pt("a", "y", 15, 1.0), // a reset: the counter restarted
        ])
        .unwrap();
    let q = |f, g| {
        WindowQuery::new(
            SeriesSelector::metric("req"),
            TimeRange::ALL,
            Aggregation::new(10, f).unwrap(),
        )
        .grouped(g)
    };
    let sums = engine
        .query_windows(&q(AggregateFn::Sum, Grouping::By(vec!["host".into()])))
        .unwrap();
    assert_eq!(sums.len(), 2);
    assert_eq!(sums[0].series.to_string(), r#"{__name__="",host="a"}"#);
    assert_eq!(
        (sums[0].timestamps.clone(), sums[0].values.clone()),
        (vec![0, 10], vec![3.0, 4.0])
    );
    let inc = engine
        .query_windows(&q(
            AggregateFn::Increase,
            Grouping::Without(vec!["dc".into()]),
        ))
        .unwrap();
    assert_eq!(inc[0].series.to_string(), r#"req{host="a"}"#);
    // x: 1 -> 3 gives 2 in window 10; y: 2 -> 1 is a reset, giving 1.
    assert_eq!(
        (inc[0].timestamps.clone(), inc[0].values.clone()),
        (vec![10], vec![3.0])
    );
}
