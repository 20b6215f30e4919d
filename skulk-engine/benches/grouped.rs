//! Window aggregation across series against the per-series aggregate on
//! the same data: 1,000 series (`host` x 1,000, `dc` x 4) of 5,000 points
//! each (regular 10 s timestamps, one 1-day partition each 8,640 points),
//! flushed to TSM files, queried with 1-minute windows. Prints the median
//! of 5 runs per query and its throughput relative to the per-series
//! `Query::aggregated` mean measured in the same run.
//!
//! `cargo bench -p skulk-engine --bench grouped`; `SKULK_BENCH_SCALE=0.1`
//! shrinks the points per series.

use std::sync::Arc;
use std::time::{Duration, Instant};

use skulk_engine::{
    AggregateFn, Aggregation, DataPoint, Engine, EngineConfig, Fill, Grouping, Quantile, Query,
    SeriesMeta, SeriesSelector, SyncMode, TimeRange, WalConfig, WindowQuery,
};

const SERIES: usize = 1000;
const POINT_STEP_NS: i64 = 10_000_000_000;
const WINDOW_NS: i64 = 60_000_000_000;
const START_NS: i64 = 1_700_000_000_000_000_000;
const RUNS: usize = 5;

fn points_per_series() -> usize {
    let scale: f64 = std::env::var("SKULK_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    ((5000.0 * scale) as usize).max(10)
}

fn load(dir: &std::path::Path, per_series: usize) -> Engine {
    let config = EngineConfig {
        wal: WalConfig {
            sync_mode: SyncMode::None,
            ..WalConfig::default()
        },
        flush_points: 0,
        flush_size_bytes: 0,
        flush_age: None,
        background: false,
        ..EngineConfig::default()
    };
    let engine = Engine::open(dir, config).expect("open");
    let metas: Vec<Arc<SeriesMeta>> = (0..SERIES)
        .map(|i| {
            let labels = vec![
                ("host".to_string(), format!("host-{i:04}")),
                ("dc".to_string(), format!("dc-{}", i % 4)),
            ];
            Arc::new(SeriesMeta::new("requests", labels))
        })
        .collect();
    let mut batch = Vec::with_capacity(SERIES * 100);
    for round in (0..per_series).step_by(100) {
        batch.clear();
        for (s, meta) in metas.iter().enumerate() {
            for i in round..(round + 100).min(per_series) {
                let ts = START_NS + i as i64 * POINT_STEP_NS;
                // A counter with a reset every 1,000 points.
                let value = ((i % 1000) * (s % 7 + 1)) as f64;
                batch.push(DataPoint::for_series(Arc::clone(meta), ts, value));
            }
        }
        engine.write_batch(&batch).expect("write");
    }
    engine.flush().expect("flush");
    engine
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn time(mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut runs = Vec::new();
    let mut windows = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        windows = f();
        runs.push(started.elapsed());
    }
    (median(runs), windows)
}

fn main() {
    let per_series = points_per_series();
    let total = SERIES * per_series;
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = load(dir.path(), per_series);
    let selector = SeriesSelector::metric("requests");
    let agg = |f| Aggregation::new(WINDOW_NS, f).expect("aggregation");
    let quantile = AggregateFn::Quantile(Quantile::new(0.99).expect("quantile"));
    let (base, base_windows) = time(|| {
        let q = Query::aggregated(selector.clone(), TimeRange::ALL, agg(AggregateFn::Mean));
        engine
            .query(&q)
            .expect("query")
            .iter()
            .map(|r| r.len())
            .sum()
    });
    println!("{total} points in {SERIES} series, 1-minute windows, median of {RUNS} runs\n");
    println!(
        "| {:<44} | {:>7} | {:>9} | {:>10} | {:>13} |",
        "query", "results", "ms", "M points/s", "vs per-series"
    );
    println!(
        "|{:-<46}|{:->9}|{:->11}|{:->12}|{:->15}|",
        "", "", "", "", ""
    );
    let row = |name: &str, elapsed: Duration, windows: usize| {
        let rate = total as f64 / elapsed.as_secs_f64() / 1e6;
        let ratio = base.as_secs_f64() / elapsed.as_secs_f64();
        println!(
            "| {name:<44} | {windows:>7} | {:>9.1} | {rate:>10.1} | {ratio:>12.2}x |",
            elapsed.as_secs_f64() * 1e3
        );
    };
    row("per series: mean (Query::aggregated)", base, base_windows);
    let cases: Vec<(&str, AggregateFn, Grouping, Fill)> = vec![
        (
            "per series: quantile(0.99)",
            quantile,
            Grouping::None,
            Fill::None,
        ),
        (
            "per series: mean (query_windows)",
            AggregateFn::Mean,
            Grouping::None,
            Fill::None,
        ),
        (
            "mean by (dc)",
            AggregateFn::Mean,
            Grouping::By(vec!["dc".into()]),
            Fill::None,
        ),
        (
            "sum without (host)",
            AggregateFn::Sum,
            Grouping::Without(vec!["host".into()]),
            Fill::None,
        ),
        (
            "max by () (one group)",
            AggregateFn::Max,
            Grouping::By(vec![]),
            Fill::None,
        ),
        (
            "increase by (dc)",
            AggregateFn::Increase,
            Grouping::By(vec!["dc".into()]),
            Fill::None,
        ),
        (
            "rate by (host) (1,000 groups)",
            AggregateFn::Rate,
            Grouping::By(vec!["host".into()]),
            Fill::None,
        ),
        (
            "quantile(0.99) by (dc)",
            quantile,
            Grouping::By(vec!["dc".into()]),
            Fill::None,
        ),
        (
            "mean by (dc), fill previous",
            AggregateFn::Mean,
            Grouping::By(vec!["dc".into()]),
            Fill::Previous,
        ),
    ];
    for (name, function, grouping, fill) in cases {
        let q = WindowQuery::new(selector.clone(), TimeRange::ALL, agg(function))
            .grouped(grouping)
            .filled(fill);
        let (elapsed, windows) = time(|| {
            engine
                .query_windows(&q)
                .expect("query_windows")
                .iter()
                .map(|r| r.len())
                .sum()
        });
        row(name, elapsed, windows);
    }
    engine.close().expect("close");
}
