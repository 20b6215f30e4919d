//! SQL over the provider against the engine's own scan, DataFusion on
//! Skulk's Parquet export of the same data, and DuckDB on that export, in
//! one run; plus the export's speed and size, and the peak memory of a
//! full-table query.
//!
//! Workloads: `devops`, 1,000 series of `cpu` (`host` x 1,000, `dc` x 4)
//! with 10,000 points each (10 s apart, values to 0.1, a random walk), and
//! `datasets`, every CSV of `../shared/datasets/` as one series of
//! `dataset{name=...}` (skipped, with a message, when absent).
//!
//! Each figure is the median of 5 runs (3 for the export). DuckDB runs
//! through the Python `SKULK_BENCH_PYTHON` names, or else the one `.ci/run`
//! leaves in `target/ci-python` (with `duckdb` from PyPI), when there is one.
//!
//! `cargo bench -p skulk-datafusion --bench sql`; `SKULK_BENCH_SCALE=0.1`
//! shrinks the devops points per series.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use futures::StreamExt;
use skulk_arrow::{ParquetOptions, export_parquet};
use skulk_datafusion::{AggregatePushdown, PreparedQuery};
use skulk_engine::{
    DataPoint, Engine, EngineConfig, Query, SeriesMeta, SeriesSelector, SyncMode, TimeRange,
    WalConfig,
};

const RUNS: usize = 5;
/// Total time short measurements are repeated for (see `timed`).
const MIN_TIMED: Duration = Duration::from_millis(300);
const MAX_RUNS: usize = 1_000;
const EXPORT_RUNS: usize = 3;
const DEVOPS_SERIES: usize = 1000;
const STEP_NS: i64 = 10_000_000_000;
const START_NS: i64 = 1_700_000_000_000_000_000;
const RSS_PROBE: &str = "SKULK_BENCH_RSS_PROBE";
/// The query set against the engine's own full scan.
const COUNT_SUM: &str = "SELECT count(*) AS n, sum(value) AS s FROM points";

fn main() {
    if let Ok(dir) = std::env::var(RSS_PROBE) {
        rss_probe(Path::new(&dir));
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let work = tempfile::tempdir().expect("tempdir");
    println!("| workload | measure | figure | against | ratio |");
    println!("|---|---|---:|---|---:|");
    let devops_dir = work.path().join("devops");
    let points = load_devops(&devops_dir);
    run_workload(&rt, "devops", &devops_dir, points, "host", "cpu");
    let datasets_dir = work.path().join("datasets");
    match load_datasets(&datasets_dir) {
        Some(points) => run_workload(&rt, "datasets", &datasets_dir, points, "name", "dataset"),
        None => eprintln!("../shared/datasets not found: the datasets workload is skipped"),
    }
}

fn config() -> EngineConfig {
    EngineConfig {
        wal: WalConfig {
            sync_mode: SyncMode::None,
            ..WalConfig::default()
        },
        flush_points: 0,
        flush_size_bytes: 0,
        flush_age: None,
        background: false,
        ..EngineConfig::default()
    }
}

fn scale() -> f64 {
    std::env::var("SKULK_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0)
}

fn load_devops(dir: &Path) -> u64 {
    let per_series = ((10_000.0 * scale()) as usize).max(100);
    let engine = Engine::open(dir, config()).expect("open");
    let metas: Vec<Arc<SeriesMeta>> = (0..DEVOPS_SERIES)
        .map(|i| {
            let labels = vec![
                ("host".to_string(), format!("host-{i:04}")),
                ("dc".to_string(), format!("dc-{}", i % 4)),
            ];
            Arc::new(SeriesMeta::new("cpu", labels))
        })
        .collect();
    let mut level: Vec<f64> = (0..DEVOPS_SERIES).map(|i| (i % 100) as f64).collect();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut batch = Vec::new();
    for round in (0..per_series).step_by(500) {
        batch.clear();
        for (s, meta) in metas.iter().enumerate() {
            for i in round..(round + 500).min(per_series) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let step = (seed % 21) as f64 / 10.0 - 1.0;
                level[s] = ((level[s] + step).clamp(0.0, 100.0) * 10.0).round() / 10.0;
                let ts = START_NS + i as i64 * STEP_NS;
                batch.push(DataPoint::for_series(Arc::clone(meta), ts, level[s]));
            }
        }
        engine.write_batch(&batch).expect("write");
    }
    engine.flush().expect("flush");
    engine.close().expect("close");
    (per_series * DEVOPS_SERIES) as u64
}

fn load_datasets(dir: &Path) -> Option<u64> {
    let sets = skulk_testkit::datasets::try_load_all().ok()?;
    if sets.is_empty() {
        return None;
    }
    let engine = Engine::open(dir, config()).expect("open");
    for set in &sets {
        let meta = Arc::new(SeriesMeta::new(
            "dataset",
            vec![("name".to_string(), set.name.clone())],
        ));
        for chunk in set
            .timestamps
            .iter()
            .zip(&set.values)
            .collect::<Vec<_>>()
            .chunks(100_000)
        {
            let batch: Vec<DataPoint> = chunk
                .iter()
                .map(|(t, v)| DataPoint::for_series(Arc::clone(&meta), **t, **v))
                .collect();
            engine.write_batch(&batch).expect("write");
        }
    }
    engine.flush().expect("flush");
    // Points, not rows read: a dataset may repeat a timestamp (the last
    // write wins).
    let points = engine
        .query(&Query::raw(SeriesSelector::all(), TimeRange::ALL))
        .expect("count")
        .iter()
        .map(|s| s.len() as u64)
        .sum();
    engine.close().expect("close");
    Some(points)
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

/// The median of at least `runs` runs, and of more while they add up to
/// less than [`MIN_TIMED`] (at most [`MAX_RUNS`]): a query of a
/// millisecond is timed hundreds of times, so its median is stable.
fn timed<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::new();
    let mut last = None;
    let started = Instant::now();
    while times.len() < runs || (started.elapsed() < MIN_TIMED && times.len() < MAX_RUNS) {
        let started = Instant::now();
        let out = f();
        times.push(started.elapsed());
        last = Some(out);
    }
    (median(times), last.expect("at least one run"))
}

fn mpts(points: u64, d: Duration) -> String {
    format!("{:.1} M pts/s", points as f64 / d.as_secs_f64() / 1e6)
}

fn row(workload: &str, measure: &str, figure: String, against: &str, ratio: Option<f64>) {
    let ratio = ratio.map(|r| format!("{r:.2}x")).unwrap_or_default();
    println!("| {workload} | {measure} | {figure} | {against} | {ratio} |");
}

fn run_workload(
    rt: &tokio::runtime::Runtime,
    name: &str,
    dir: &Path,
    points: u64,
    label: &str,
    metric: &str,
) {
    let engine = Arc::new(Engine::open(dir, config()).expect("open"));
    let tsm_bytes = tsm_bytes(dir);

    // The engine's own full scans: the streaming scan the provider uses,
    // and the raw query that decodes everything at once.
    let (scan_time, scan_sum) = timed(RUNS, || {
        let mut count = 0u64;
        let mut sum = 0.0;
        for chunk in engine
            .scan(&SeriesSelector::all(), TimeRange::ALL)
            .expect("scan")
        {
            for s in chunk.expect("chunk") {
                count += s.len() as u64;
                sum += s.values.iter().sum::<f64>();
            }
        }
        (count, sum)
    });
    assert_eq!(scan_sum.0, points);
    // What a count and sum needs: the values alone (as the provider reads
    // them when `time` is not projected).
    let (values_time, values_sum) = timed(RUNS, || {
        let mut count = 0u64;
        let mut sum = 0.0;
        for chunk in engine
            .scan(&SeriesSelector::all(), TimeRange::ALL)
            .expect("scan")
            .values_only()
        {
            for s in chunk.expect("chunk") {
                count += s.len() as u64;
                sum += s.values.iter().sum::<f64>();
            }
        }
        (count, sum)
    });
    assert_eq!(values_sum.0, points);
    let (query_time, query_count) = timed(RUNS, || {
        let all = engine
            .query(&Query::raw(SeriesSelector::all(), TimeRange::ALL))
            .expect("query");
        all.iter().map(|s| s.len() as u64).sum::<u64>()
    });
    assert_eq!(query_count, points);
    let engine_best = scan_time.min(query_time).min(values_time);
    row(
        name,
        "engine: streaming scan, count+sum",
        mpts(points, scan_time),
        "",
        None,
    );
    row(
        name,
        "engine: streaming scan of values only, count+sum",
        mpts(points, values_time),
        "",
        None,
    );
    row(
        name,
        "engine: raw query of everything",
        mpts(points, query_time),
        "",
        None,
    );

    let ctx = skulk_datafusion::session(Arc::clone(&engine)).expect("session");
    let one_off = |ctx: &SessionContext| {
        timed(RUNS, || {
            rt.block_on(async {
                let frame = ctx.sql(COUNT_SUM).await.expect("sql");
                count_of(&frame.collect().await.expect("collect"))
            })
        })
    };
    let scan_row = |measure: &str, (time, count): (Duration, u64)| {
        assert_eq!(count, points, "{measure}");
        row(
            name,
            measure,
            mpts(points, time),
            "the engine's fastest scan",
            Some(engine_best.as_secs_f64() / time.as_secs_f64()),
        );
    };
    scan_row("SQL count(*), sum(value) FROM points", one_off(&ctx));
    // The same query prepared once (planned once) and run each time: what
    // a dashboard refreshing a panel pays per refresh.
    let prepared = rt
        .block_on(PreparedQuery::new(&ctx, COUNT_SUM))
        .expect("prepare");
    scan_row(
        "same, prepared once and run each time",
        timed(RUNS, || {
            count_of(&rt.block_on(prepared.collect()).expect("collect"))
        }),
    );
    // The same session without the aggregate pushdown: a row per point
    // goes into DataFusion's aggregation.
    let plain_ctx = skulk_datafusion::session(Arc::clone(&engine)).expect("session");
    plain_ctx.remove_optimizer_rule(AggregatePushdown::NAME);
    scan_row("same, without the aggregate pushdown", one_off(&plain_ctx));

    // The export, then the same aggregation on both sides.
    let mut export_runs = Vec::new();
    let mut summary = None;
    for run in 0..EXPORT_RUNS {
        let out = dir.with_extension(format!("parquet-{run}"));
        let started = Instant::now();
        let s = export_parquet(
            &engine,
            &SeriesSelector::all(),
            TimeRange::ALL,
            &out,
            &ParquetOptions::default(),
        )
        .expect("export");
        export_runs.push(started.elapsed());
        assert_eq!(s.points, points);
        summary = Some(s);
        if run + 1 < EXPORT_RUNS {
            std::fs::remove_dir_all(&out).expect("remove export");
        }
    }
    let export_time = median(export_runs);
    let export_dir = dir.with_extension(format!("parquet-{}", EXPORT_RUNS - 1));
    let summary = summary.expect("an export");
    row(name, "Parquet export", mpts(points, export_time), "", None);
    row(
        name,
        "Parquet export size",
        format!("{:.2} B/pt", summary.bytes as f64 / points as f64),
        &format!(
            "Skulk's TSM files: {:.2} B/pt",
            tsm_bytes as f64 / points as f64
        ),
        Some(summary.bytes as f64 / tsm_bytes.max(1) as f64),
    );

    let query = format!(
        "SELECT {label}, date_bin(INTERVAL '1 minute', time) AS minute, avg(value) AS mean \
         FROM {metric} GROUP BY {label}, minute"
    );
    let (skulk_time, skulk_rows) = timed(RUNS, || rt.block_on(count_rows(&ctx, &query)));
    let parquet_ctx = SessionContext::new();
    rt.block_on(async {
        let options = ParquetReadOptions::default()
            .table_partition_cols(vec![("date".to_string(), DataType::Utf8)]);
        let path = format!("{}/metric={metric}/", export_dir.display());
        parquet_ctx
            .register_parquet(metric, &path, options)
            .await
            .expect("register the export");
    });
    let (parquet_time, parquet_rows) =
        timed(RUNS, || rt.block_on(count_rows(&parquet_ctx, &query)));
    assert_eq!(skulk_rows, parquet_rows, "both sides give the same groups");
    let (plain_time, plain_rows) = timed(RUNS, || rt.block_on(count_rows(&plain_ctx, &query)));
    assert_eq!(plain_rows, parquet_rows, "both sides give the same groups");
    row(
        name,
        "SQL 1-min date_bin mean by label, Skulk provider",
        format!("{:.0} ms", skulk_time.as_secs_f64() * 1e3),
        "DataFusion on the Parquet export",
        Some(parquet_time.as_secs_f64() / skulk_time.as_secs_f64()),
    );
    row(
        name,
        "same, without the aggregate pushdown",
        format!("{:.0} ms", plain_time.as_secs_f64() * 1e3),
        "DataFusion on the Parquet export",
        Some(parquet_time.as_secs_f64() / plain_time.as_secs_f64()),
    );
    row(
        name,
        "same query, DataFusion on the Parquet export",
        format!("{:.0} ms", parquet_time.as_secs_f64() * 1e3),
        "",
        None,
    );
    // The export's labels are dictionaries, which DataFusion groups in its
    // row format; the provider's are view strings. The same query with the
    // export's label cast to a view string shows what that difference is.
    let viewed = format!(
        "SELECT arrow_cast({label}, 'Utf8View') AS {label}, \
         date_bin(INTERVAL '1 minute', time) AS minute, avg(value) AS mean \
         FROM {metric} GROUP BY 1, minute"
    );
    let (viewed_time, viewed_rows) = timed(RUNS, || rt.block_on(count_rows(&parquet_ctx, &viewed)));
    assert_eq!(skulk_rows, viewed_rows, "both sides give the same groups");
    row(
        name,
        "same query, export's label cast to Utf8View",
        format!("{:.0} ms", viewed_time.as_secs_f64() * 1e3),
        "Skulk provider is faster by",
        Some(viewed_time.as_secs_f64() / skulk_time.as_secs_f64()),
    );
    match duckdb(&export_dir, metric, label, skulk_rows) {
        Some(duck) => row(
            name,
            "same query, DuckDB on the Parquet export",
            format!("{:.0} ms", duck.as_secs_f64() * 1e3),
            "Skulk provider is faster by",
            Some(duck.as_secs_f64() / skulk_time.as_secs_f64()),
        ),
        None => row(
            name,
            "same query, DuckDB",
            "not run (no SKULK_BENCH_PYTHON, no target/ci-python)".into(),
            "",
            None,
        ),
    }

    drop(ctx);
    drop(plain_ctx);
    drop(prepared);
    drop(engine);
    let (rss, rows) = probe(dir);
    assert_eq!(rows, points);
    row(
        name,
        "peak RSS, SELECT * FROM points (streamed)",
        format!("{:.0} MiB", rss as f64 / (1 << 20) as f64),
        &format!(
            "raw points: {:.0} MiB",
            points as f64 * 16.0 / (1 << 20) as f64
        ),
        None,
    );
}

async fn count_rows(ctx: &SessionContext, query: &str) -> usize {
    let mut stream = ctx
        .sql(query)
        .await
        .expect("sql")
        .execute_stream()
        .await
        .expect("execute");
    let mut rows = 0;
    while let Some(batch) = stream.next().await {
        rows += batch.expect("batch").num_rows();
    }
    rows
}

/// The first column's first row: the count of [`COUNT_SUM`].
fn count_of(batches: &[RecordBatch]) -> u64 {
    batches[0].column(0).as_primitive::<Int64Type>().value(0) as u64
}

fn tsm_bytes(dir: &Path) -> u64 {
    fn walk(dir: &Path, total: &mut u64) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, total);
            } else if path.extension().is_some_and(|e| e == "tsm") {
                *total += entry.metadata().map(|m| m.len()).unwrap_or(0);
            }
        }
    }
    let mut total = 0;
    walk(dir, &mut total);
    total
}

/// Runs this binary again as a probe: a fresh process whose peak RSS is
/// the query's alone.
fn probe(dir: &Path) -> (u64, u64) {
    let exe = std::env::current_exe().expect("current exe");
    let out = Command::new(exe)
        .env(RSS_PROBE, dir)
        .output()
        .expect("run the probe");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut fields = text
        .split_whitespace()
        .map(|w| w.parse::<u64>().unwrap_or(0));
    (fields.next().unwrap_or(0), fields.next().unwrap_or(0))
}

fn rss_probe(dir: &Path) {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let engine = Arc::new(Engine::open(dir, config()).expect("open"));
    let ctx = skulk_datafusion::session(engine).expect("session");
    let rows = rt.block_on(async {
        let mut stream = ctx
            .sql("SELECT * FROM points")
            .await
            .expect("sql")
            .execute_stream()
            .await
            .expect("execute");
        let mut rows = 0u64;
        let mut check = 0.0;
        while let Some(batch) = stream.next().await {
            let batch = batch.expect("batch");
            rows += batch.num_rows() as u64;
            let values = batch.column(1).as_primitive::<Float64Type>();
            check += values.value(values.len().saturating_sub(1));
        }
        std::hint::black_box(check);
        rows
    });
    println!("{} {rows}", peak_rss());
}

/// `VmHWM` of this process, in bytes (0 where /proc is missing).
fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// The Python that runs DuckDB: `SKULK_BENCH_PYTHON`, or the virtual
/// environment `.ci/run` makes (it installs `duckdb` there).
fn python() -> Option<PathBuf> {
    if let Some(python) = std::env::var_os("SKULK_BENCH_PYTHON") {
        return Some(PathBuf::from(python));
    }
    let ci = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/ci-python/bin/python");
    ci.exists().then_some(ci)
}

/// DuckDB's median of 5 runs of the same query on the export, through
/// [`python`].
fn duckdb(export: &Path, metric: &str, label: &str, rows: usize) -> Option<Duration> {
    let python = python()?;
    let script = format!(
        r#"
import duckdb, time, statistics
con = duckdb.connect()
con.execute("SET threads TO 2")
q = """SELECT {label}, time_bucket(INTERVAL '1 minute', time) AS minute, avg(value) AS mean
FROM read_parquet('{dir}/metric={metric}/*/*.parquet', hive_partitioning = true)
GROUP BY {label}, minute"""
runs = []
for _ in range(5):
    t = time.perf_counter()
    n = con.execute(q).to_arrow_table().num_rows
    runs.append(time.perf_counter() - t)
print(statistics.median(runs), n)
"#,
        dir = export.display()
    );
    let out = Command::new(python).arg("-c").arg(script).output().ok()?;
    if !out.status.success() {
        eprintln!("duckdb: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut words = text.split_whitespace();
    let seconds: f64 = words.next()?.parse().ok()?;
    let n: usize = words.next()?.parse().ok()?;
    if n != rows {
        eprintln!("duckdb gave {n} groups, Skulk {rows}");
    }
    Some(Duration::from_secs_f64(seconds))
}
