//! Import parsing throughput per format, on generated text of the same
//! points (1,000 series, regular 10 s timestamps, two-decimal values):
//! line protocol, Prometheus text, OpenMetrics, CSV (`timestamp_ns,value`,
//! `series,timestamp_ns,value`, and a wide mapped CSV with one value
//! column per series). Parsing only, through `PointReader` (the path
//! `skulk import` streams through); prints the median of 5 runs.
//!
//! `cargo bench -p skulk-cli --bench formats`; `SKULK_BENCH_SCALE=0.1`
//! shrinks the input. `skulk import` itself (parse + engine writes +
//! flush) prints its own points/s.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use skulk_cli::ingest::{CsvMapping, CsvOptions, Dialect, PointReader, Precision, TimeFormat};

const SERIES: usize = 1000;
const START_S: i64 = 1_700_000_000;
const RUNS: usize = 5;

fn rounds() -> usize {
    let scale: f64 = std::env::var("SKULK_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    ((2000.0 * scale) as usize).max(1)
}

fn value(round: usize, s: usize) -> f64 {
    ((round * 37 + s * 11) % 10_000) as f64 / 100.0
}

/// The same points in each format.
fn inputs(rounds: usize) -> Vec<(&'static str, String)> {
    let mut lp = String::new();
    let mut prom = String::new();
    let mut om = String::new();
    let mut csv_keyed = String::from("series,timestamp_ns,value\n");
    let mut wide = String::from("time");
    for s in 0..SERIES {
        let _ = write!(wide, ",s{s}");
    }
    wide.push('\n');
    for round in 0..rounds {
        let t = START_S + round as i64 * 10;
        let _ = write!(wide, "{t}");
        for s in 0..SERIES {
            let v = value(round, s);
            let (host, dc) = (s, s % 4);
            let _ = writeln!(lp, "cpu,host=h{host},dc=d{dc} value={v} {t}000000000");
            let _ = writeln!(prom, "cpu{{host=\"h{host}\",dc=\"d{dc}\"}} {v} {t}000");
            let _ = writeln!(om, "cpu{{host=\"h{host}\",dc=\"d{dc}\"}} {v} {t}.000");
            let _ = writeln!(
                csv_keyed,
                "\"cpu{{dc=\"\"d{dc}\"\",host=\"\"h{host}\"\"}}\",{t}000000000,{v}"
            );
            let _ = write!(wide, ",{v}");
        }
        wide.push('\n');
    }
    // One series per line: the `timestamp_ns,value` layout.
    let mut plain = String::from("timestamp_ns,value\n");
    for round in 0..rounds * SERIES {
        let t = START_S * 1_000_000_000 + round as i64 * 10_000_000;
        let _ = writeln!(plain, "{t},{}", value(round, 0));
    }
    om.push_str("# EOF\n");
    vec![
        ("line protocol", lp),
        ("prometheus text", prom),
        ("openmetrics", om),
        ("csv timestamp_ns,value", plain),
        ("csv series,timestamp_ns,value", csv_keyed),
        ("csv wide, mapped (1,000 value columns)", wide),
    ]
}

fn reader<'a>(name: &str, text: &'a [u8]) -> PointReader<&'a [u8]> {
    match name {
        "line protocol" => PointReader::line_protocol(text, Precision::Nanoseconds),
        "prometheus text" => PointReader::openmetrics(text, Dialect::Prometheus, 0),
        "openmetrics" => PointReader::openmetrics(text, Dialect::OpenMetrics, 0),
        "csv wide, mapped (1,000 value columns)" => PointReader::csv_with(
            text,
            CsvOptions {
                metric: Some("cpu".into()),
                precision: Precision::Seconds,
                mapping: Some(CsvMapping {
                    time_column: Some("time".into()),
                    time_format: TimeFormat::Epoch(Precision::Seconds),
                    ..CsvMapping::default()
                }),
                ..CsvOptions::default()
            },
        ),
        _ => PointReader::csv_with(
            text,
            CsvOptions {
                metric: Some("cpu".into()),
                ..CsvOptions::default()
            },
        ),
    }
}

/// Parses everything in batches of 10,000 points, as `import` does.
fn parse(name: &str, text: &[u8]) -> (usize, Duration) {
    let started = Instant::now();
    let mut r = reader(name, text);
    let mut batch = Vec::with_capacity(10_000);
    let mut points = 0;
    while let Some(line) = r.next_line(&mut batch).expect("read") {
        line.expect("every generated line parses");
        if batch.len() >= 10_000 {
            points += batch.len();
            batch.clear();
        }
    }
    (points + batch.len(), started.elapsed())
}

fn main() {
    let rounds = rounds();
    println!(
        "{} points per format, median of {RUNS} runs\n",
        rounds * SERIES
    );
    println!(
        "| {:<40} | {:>9} | {:>10} | {:>8} |",
        "format", "MB", "M points/s", "MB/s"
    );
    println!("|{:-<42}|{:->11}|{:->12}|{:->10}|", "", "", "", "");
    for (name, text) in inputs(rounds) {
        let mut times = Vec::new();
        let mut points = 0;
        for _ in 0..RUNS {
            let (n, elapsed) = parse(name, text.as_bytes());
            points = n;
            times.push(elapsed);
        }
        times.sort();
        let median = times[RUNS / 2].as_secs_f64();
        let mb = text.len() as f64 / 1e6;
        println!(
            "| {name:<40} | {mb:>9.1} | {:>10.2} | {:>8.0} |",
            points as f64 / median / 1e6,
            mb / median
        );
    }
}
