//! The full engine: write, query with matchers and window aggregation,
//! flush, compact, close, reopen (recovery) and query again.
//!
//! `cargo run -p skulk --example engine`

use std::path::Path;

use skulk::engine::{AggregateFn, Aggregation, LabelMatcher, Query, SeriesSelector};
use skulk::lifecycle::{Engine, EngineConfig};
use skulk::{DataPoint, TimeRange};

const SECOND: i64 = 1_000_000_000;

fn main() -> skulk::Result<()> {
    let dir = tempfile::tempdir()?;
    let summary = run(dir.path())?;
    println!("engine: {summary:?}");
    Ok(())
}

/// What the example saw.
#[derive(Debug, PartialEq)]
pub struct Summary {
    /// Series selected by `host = "a"`.
    pub series_of_host_a: usize,
    /// Per-minute means of `cpu{host="a"}`.
    pub minute_means: Vec<f64>,
    /// Points found after reopening.
    pub points_after_reopen: usize,
}

/// Writes two hosts' CPU and memory, queries, flushes, compacts, reopens.
pub fn run(dir: &Path) -> skulk::Result<Summary> {
    let config = EngineConfig::from_toml_str("partition_duration = \"1h\"\nbackground = false")?;
    let engine = Engine::open(dir, config.clone())?;

    let mut batch = Vec::new();
    for host in ["a", "b"] {
        for i in 0..180 {
            let labels = vec![("host".to_string(), host.to_string())];
            batch.push(DataPoint::new(
                "cpu",
                labels.clone(),
                i * SECOND,
                (i / 60) as f64,
            ));
            batch.push(DataPoint::new("mem", labels, i * SECOND, 1024.0));
        }
    }
    engine.write_batch(&batch)?; // durable in the WAL when this returns

    // Every series of host "a", whatever the metric.
    let host_a = SeriesSelector::Matchers(vec![LabelMatcher::equal("host", "a")]);
    let series_of_host_a = engine.query(&Query::raw(host_a, TimeRange::ALL))?.len();

    // Per-minute mean of cpu{host="a"}.
    let cpu_a = SeriesSelector::Matchers(vec![
        LabelMatcher::equal(skulk::engine::METRIC_LABEL, "cpu"),
        LabelMatcher::equal("host", "a"),
    ]);
    let per_minute = Aggregation::new(60 * SECOND, AggregateFn::Mean)?;
    let result = engine.query(&Query::aggregated(cpu_a, TimeRange::ALL, per_minute))?;
    let minute_means = result.first().map(|r| r.values.clone()).unwrap_or_default();

    // Write memtables to TSM files, merge files, look at the numbers.
    let flushed = engine.flush()?;
    println!(
        "flushed {} points into {} file(s)",
        flushed.points_written, flushed.files_written
    );
    engine.compact()?;
    println!("{:?}", engine.stats());
    engine.close()?;

    // Reopen: recovery maps the TSM files and replays the WAL tail.
    let engine = Engine::open(dir, config)?;
    let all = engine.query(&Query::raw(SeriesSelector::all(), TimeRange::ALL))?;
    let points_after_reopen = all.iter().map(|r| r.len()).sum();
    engine.close()?;
    Ok(Summary {
        series_of_host_a,
        minute_means,
        points_after_reopen,
    })
}
