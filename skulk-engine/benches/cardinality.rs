//! High cardinality: a TSBS-like generator (hosts x 10 metrics, each
//! series with the metric name and 9 host labels: hostname, region,
//! datacenter, rack, os, arch, team, service, service_environment), one
//! point per series, at 100k and 1M series. Measures:
//!
//! - ingest of new series (series/s, one point each, batches of 10,000),
//!   the median of `SKULK_CARDINALITY_INGEST_RUNS` runs (default 3;
//!   `SKULK_CARDINALITY_INGEST_ONLY=1` stops after it);
//! - disk bytes per point of the flushed directory;
//! - reopen of the flushed directory and the anonymous resident memory it
//!   adds (`RssAnon` of a fresh process before and after `Engine::open`,
//!   per series; file-backed mapped pages are not counted), against the
//!   engine's own estimate of the index heap (`EngineStats::index_bytes`);
//! - series churn: a writer that keeps running while new series arrive,
//!   flushed after each of 10 rounds, and the `RssAnon` it adds per new
//!   series from the second round to the last (a fresh process);
//! - selection from the index: one series by equality matchers, a
//!   selective regex (`hostname=~"host_12.*"`), a negative matcher, and
//!   `label_values`, each the median of many runs.
//!
//! `cargo bench -p skulk-engine --bench cardinality`; `SKULK_CARDINALITY`
//! sets the series counts (comma-separated, default `100000,1000000`);
//! `SKULK_CARDINALITY_KEEP=1` keeps the flushed directories (for profiling
//! a reopen: `SKULK_CARDINALITY_REOPEN=<dir>` runs only the reopen).

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use skulk_engine::{
    DataPoint, Engine, EngineConfig, LabelMatcher, SeriesMeta, SeriesSelector, SyncMode, WalConfig,
};
use skulk_format::TsmReader;

const METRICS: &[&str] = &[
    "cpu_usage_user",
    "cpu_usage_system",
    "cpu_usage_idle",
    "cpu_usage_nice",
    "cpu_usage_iowait",
    "cpu_usage_irq",
    "cpu_usage_softirq",
    "cpu_usage_steal",
    "cpu_usage_guest",
    "cpu_usage_guest_nice",
];
const REGIONS: &[&str] = &[
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
];
const START_NS: i64 = 1_700_000_000_000_000_000;
const BATCH: usize = 10_000;
const REOPEN_ENV: &str = "SKULK_CARDINALITY_REOPEN";
/// How many times the ingest is run (fresh engines) for its median.
const INGEST_RUNS_ENV: &str = "SKULK_CARDINALITY_INGEST_RUNS";
/// Set: measure the ingest only (for profiling it).
const INGEST_ONLY_ENV: &str = "SKULK_CARDINALITY_INGEST_ONLY";
/// Set (to a series count): child process measuring series churn.
const CHURN_ENV: &str = "SKULK_CARDINALITY_CHURN";
/// Rounds of the churn measure, each writing new series and flushing.
const CHURN_ROUNDS: usize = 10;
/// Set: the flushed directory of the last count is kept (its path is
/// printed), for profiling a reopen with `SKULK_CARDINALITY_REOPEN`.
const KEEP_ENV: &str = "SKULK_CARDINALITY_KEEP";

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

/// Series `i`: host `i / 10`, metric `i % 10`.
fn series(i: usize) -> SeriesMeta {
    let host = i / METRICS.len();
    let region = host % REGIONS.len();
    let labels = vec![
        ("hostname".to_string(), format!("host_{host}")),
        ("region".to_string(), REGIONS[region].to_string()),
        (
            "datacenter".to_string(),
            format!("{}{}", REGIONS[region], ["a", "b", "c"][host / 9 % 3]),
        ),
        ("rack".to_string(), (host / 27 % 100).to_string()),
        (
            "os".to_string(),
            ["Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"][host % 3].to_string(),
        ),
        ("arch".to_string(), ["x64", "x86"][host % 2].to_string()),
        (
            "team".to_string(),
            ["SF", "NYC", "LON", "CHI"][host % 4].to_string(),
        ),
        ("service".to_string(), (host % 20).to_string()),
        (
            "service_environment".to_string(),
            ["production", "staging", "test"][host % 3].to_string(),
        ),
    ];
    SeriesMeta::new(METRICS[i % METRICS.len()], labels)
}

/// `(RssAnon, VmHWM)` of this process in bytes.
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("RssAnon:"), field("VmHWM:"))
}

fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            _ => e.metadata().map_or(0, |m| m.len()),
        })
        .sum()
}

/// Bytes of the block records, series indexes and bloom filters of the
/// TSM files in `dir`.
fn tsm_sections(dir: &Path) -> [u64; 3] {
    let mut sums = [0; 3];
    for entry in std::fs::read_dir(dir).expect("tsm dir").flatten() {
        let bytes = std::fs::read(entry.path()).expect("tsm file");
        let reader = TsmReader::open(bytes.as_slice()).expect("valid TSM file");
        let footer = reader.footer();
        sums[0] += footer.index_offset - skulk_format::HEADER_LEN as u64;
        sums[1] += footer.index_len;
        sums[2] += u64::from(footer.bloom_len);
    }
    sums
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

/// The median time of `runs` calls of `f`, and its last result.
fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let started = Instant::now();
        last = Some(f());
        times.push(started.elapsed());
    }
    (median(times), last.expect("at least one run"))
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

/// Child process: opens the directory, reports time and memory.
fn reopen(dir: &str) {
    let (before, _) = memory();
    let started = Instant::now();
    let engine = Engine::open(dir, config()).expect("open");
    let took = started.elapsed();
    let (after, hwm) = memory();
    let stats = engine.stats();
    println!(
        "{} {} {} {} {}",
        took.as_nanos(),
        after.saturating_sub(before),
        hwm,
        stats.series,
        stats.index_bytes
    );
}

/// Child process: a long-running writer whose series come and go. Writes
/// `total` series in [`CHURN_ROUNDS`] rounds of new ones, flushing after
/// each, and reports `RssAnon` after the second round and after the last:
/// what the writer keeps per series it ever wrote (every series keeps
/// data in a file, so the catalog holds them all; nothing else should).
fn churn(total: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = Engine::open(dir.path(), config()).expect("open");
    let per_round = total / CHURN_ROUNDS;
    let mut batch = Vec::with_capacity(BATCH);
    let mut second = 0;
    for round in 0..CHURN_ROUNDS {
        let first = round * per_round;
        for start in (first..first + per_round).step_by(BATCH) {
            batch.clear();
            batch.extend((start..(start + BATCH).min(first + per_round)).map(|i| {
                DataPoint::for_series(Arc::new(series(i)), START_NS + round as i64, i as f64)
            }));
            engine.write_batch(&batch).expect("write");
        }
        engine.flush().expect("flush");
        if round == 1 {
            second = memory().0;
        }
    }
    let last = memory().0;
    println!("{second} {last} {per_round}");
}

/// Runs this benchmark again as a child process with `env` set to
/// `value` (a fresh process for memory figures) and returns the `N`
/// numbers it prints.
fn child<const N: usize>(env: &str, value: &std::ffi::OsStr) -> [u64; N] {
    let out = Command::new(std::env::current_exe().expect("current exe"))
        .env(env, value)
        .output()
        .expect("child process");
    let text = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<u64> = text
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    fields.try_into().unwrap_or_else(|_| {
        panic!(
            "{env} child: {text} {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Writes `total` new series, one point each, in batches of [`BATCH`],
/// into a fresh engine; returns it with the time spent in `write_batch`
/// (building the points is not counted).
fn ingest(dir: &Path, total: usize) -> (Engine, Duration) {
    let engine = Engine::open(dir, config()).expect("open");
    let mut batch = Vec::with_capacity(BATCH);
    let mut ingest = Duration::ZERO;
    for start in (0..total).step_by(BATCH) {
        batch.clear();
        batch.extend(
            (start..(start + BATCH).min(total))
                .map(|i| DataPoint::for_series(Arc::new(series(i)), START_NS, i as f64)),
        );
        let started = Instant::now();
        engine.write_batch(&batch).expect("write");
        ingest += started.elapsed();
    }
    (engine, ingest)
}

fn run(total: usize) {
    let runs: usize = std::env::var(INGEST_RUNS_ENV)
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3)
        .max(1);
    // Earlier runs only time the ingest; the last one's engine goes on.
    let mut ingests = Vec::with_capacity(runs);
    for _ in 1..runs {
        let dir = tempfile::tempdir().expect("tempdir");
        let (engine, took) = ingest(dir.path(), total);
        ingests.push(took);
        drop(engine);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (engine, took) = ingest(dir.path(), total);
    ingests.push(took);
    let (fastest, slowest) = (
        ingests.iter().min().copied().unwrap_or_default(),
        ingests.iter().max().copied().unwrap_or_default(),
    );
    let ingest = median(ingests);
    if std::env::var_os(INGEST_ONLY_ENV).is_some() {
        println!(
            "{total} series: ingest {:.0} k series/s (median of {runs}; runs {:.0}-{:.0} k/s)",
            total as f64 / ingest.as_secs_f64() / 1e3,
            total as f64 / slowest.as_secs_f64() / 1e3,
            total as f64 / fastest.as_secs_f64() / 1e3,
        );
        return;
    }
    let started = Instant::now();
    engine.flush().expect("flush");
    let flush = started.elapsed();
    engine.close().expect("close");
    let disk = dir_bytes(dir.path());

    let [reopen_ns, rss, hwm, reopened, index_bytes] = child(REOPEN_ENV, dir.path().as_os_str());
    assert_eq!(reopened as usize, total, "series after reopen");

    let engine = Engine::open(dir.path(), config()).expect("open");
    let hosts = total / METRICS.len();
    let probe = hosts / 2 + 12_345 % hosts.max(1);
    let one = SeriesSelector::Matchers(vec![
        LabelMatcher::equal("__name__", "cpu_usage_idle"),
        LabelMatcher::equal("hostname", format!("host_{probe}")),
    ]);
    let host = SeriesSelector::Matchers(vec![LabelMatcher::equal(
        "hostname",
        format!("host_{probe}"),
    )]);
    let regex = SeriesSelector::Matchers(vec![LabelMatcher::regex("hostname", "host_12.*")]);
    let regex_metric = SeriesSelector::Matchers(vec![
        LabelMatcher::equal("__name__", "cpu_usage_user"),
        LabelMatcher::regex("hostname", "host_12.*"),
    ]);
    let narrow = SeriesSelector::Matchers(vec![
        LabelMatcher::equal("region", "eu-west-1"),
        LabelMatcher::equal("rack", "7"),
        LabelMatcher::not_equal("os", "Ubuntu16.10"),
        LabelMatcher::equal("__name__", "cpu_usage_user"),
    ]);
    let unanchored = SeriesSelector::Matchers(vec![
        LabelMatcher::equal("__name__", "cpu_usage_user"),
        LabelMatcher::regex("hostname", ".*_12.*"),
    ]);
    let every = SeriesSelector::Matchers(Vec::new());
    let name_sel =
        SeriesSelector::Matchers(vec![LabelMatcher::equal("__name__", "cpu_usage_user")]);

    println!(
        "\n## {total} series ({hosts} hosts x {} metrics, 9 labels each), 1 point each\n",
        METRICS.len()
    );
    println!("| measure | value |\n|---|---:|");
    println!(
        "| ingest of new series (median of {runs}) | {:.0} k series/s ({:.2} s; runs {:.0}-{:.0} k/s) |",
        total as f64 / ingest.as_secs_f64() / 1e3,
        ingest.as_secs_f64(),
        total as f64 / slowest.as_secs_f64() / 1e3,
        total as f64 / fastest.as_secs_f64() / 1e3,
    );
    println!("| flush | {:.2} s |", flush.as_secs_f64());
    println!(
        "| disk per point (one point per series) | {:.1} B ({} MB) |",
        disk as f64 / total as f64,
        disk / 1_000_000
    );
    let [records, index, bloom] = tsm_sections(&dir.path().join("tsm"));
    let per = |bytes: u64| bytes as f64 / total as f64;
    println!(
        "| of which TSM block records, series index, bloom filter | {:.1} B, {:.1} B, {:.1} B |",
        per(records),
        per(index),
        per(bloom)
    );
    println!(
        "| reopen of the flushed directory | {:.3} s |",
        reopen_ns as f64 / 1e9
    );
    println!(
        "| RssAnon added by the reopen, per series | {:.0} B ({} MB; peak RSS {} MB) |",
        rss as f64 / total as f64,
        rss / 1_000_000,
        hwm / 1_000_000
    );
    println!(
        "| index heap estimate per series | {:.0} B |",
        index_bytes as f64 / total as f64
    );
    let [second, last, per_round] = child(CHURN_ENV, total.to_string().as_ref());
    let later = per_round * (CHURN_ROUNDS as u64 - 2);
    println!(
        "| series churn: RssAnon a running writer adds per new series, flushed after each of {CHURN_ROUNDS} rounds | {:.0} B ({} MB after round 2, {} MB after round {CHURN_ROUNDS}) |",
        last.saturating_sub(second) as f64 / later.max(1) as f64,
        second / 1_000_000,
        last / 1_000_000,
    );
    let runs = 101;
    let cases: [(&str, &SeriesSelector); 6] = [
        (
            "one series: `__name__=\"cpu_usage_idle\", hostname=\"host_N\"`",
            &one,
        ),
        ("one host: `hostname=\"host_N\"`", &host),
        ("`hostname=~\"host_12.*\"`", &regex),
        (
            "`__name__=\"cpu_usage_user\", hostname=~\"host_12.*\"`",
            &regex_metric,
        ),
        (
            "`region=, rack=, os!=, __name__=` (4 matchers, none left)",
            &narrow,
        ),
        (
            "`__name__=\"cpu_usage_user\", hostname=~\".*_12.*\"` (scan)",
            &unanchored,
        ),
    ];
    for (name, selector) in cases {
        let (ids, n) = time(runs, || engine.series_ids(selector).expect("ids").len());
        let (found, _) = time(runs, || engine.find_series(selector).expect("find").len());
        println!(
            "| select {name}: {n} series | {} ids, {} with metadata |",
            us(ids),
            us(found)
        );
    }
    let (all, n) = time(5, || engine.series_ids(&every).expect("all").len());
    println!(
        "| select every series (no matcher): {n} ids | {} |",
        us(all)
    );
    let (names, n) = time(runs, || engine.label_names(&every).expect("names").len());
    println!("| `label_names()`: {n} names | {} |", us(names));
    let (values, n) = time(11, || {
        engine
            .label_values("hostname", &every)
            .expect("values")
            .len()
    });
    println!("| `label_values(hostname)`: {n} values | {} |", us(values));
    let (values, n) = time(11, || {
        engine
            .label_values("rack", &name_sel)
            .expect("values")
            .len()
    });
    println!(
        "| `label_values(rack, __name__=\"cpu_usage_user\")`: {n} values | {} |",
        us(values)
    );
    drop(engine);
    if std::env::var_os(KEEP_ENV).is_some() {
        println!("\nkept: {}", dir.keep().display());
    }
}

fn main() {
    if let Ok(dir) = std::env::var(REOPEN_ENV) {
        reopen(&dir);
        return;
    }
    if let Some(total) = std::env::var(CHURN_ENV).ok().and_then(|t| t.parse().ok()) {
        churn(total);
        return;
    }
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let counts: Vec<usize> = std::env::var("SKULK_CARDINALITY")
        .unwrap_or_else(|_| "100000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    for total in counts {
        run(total);
    }
}
