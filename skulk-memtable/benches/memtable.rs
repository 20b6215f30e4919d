//! Memtable bench: resident bytes per point and insert throughput.
//!
//! `cargo bench -p skulk-memtable --bench memtable` prints tables; set
//! `SKULK_BENCH_QUICK=1` for a smaller sweep and
//! `SKULK_BENCH_ONLY=memory,throughput,reads,datasets,codec,sweep` to pick
//! tables. Workload: 1,000 series x
//! 1,000 points at a regular 10 s interval, inserted timestamp by
//! timestamp (as a scrape writes them), values a random walk either
//! rounded to 2 decimals (as sensors report) or at full precision.

use std::sync::Arc;
use std::time::{Duration, Instant};

use skulk_codec::CodecChoice;
use skulk_format::{DataPoint, SeriesMeta, TimePartition, TimeRange};
use skulk_memtable::{MemTableOptions, TimeSeriesMemTable};

const SERIES: usize = 1_000;
const POINTS_PER_SERIES: usize = 1_000;
const STEP_NS: i64 = 10_000_000_000;

/// SplitMix64: fixed seed, reproducible.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Rounded,
    FullPrecision,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Rounded => "walk, 2 decimals",
            Shape::FullPrecision => "walk, full precision",
        }
    }
}

/// Generates the workload one timestamp at a time.
struct Workload {
    metas: Vec<Arc<SeriesMeta>>,
    values: Vec<f64>,
    rng: Rng,
    shape: Shape,
}

impl Workload {
    fn new(shape: Shape) -> Self {
        let metas = (0..SERIES)
            .map(|i| {
                let labels = vec![
                    ("host".into(), format!("h{i:04}")),
                    ("dc".into(), "eu1".into()),
                ];
                Arc::new(SeriesMeta::new("sensor.temperature", labels))
            })
            .collect();
        let mut rng = Rng(42);
        let values = (0..SERIES).map(|_| 20.0 + 10.0 * rng.unit()).collect();
        Self {
            metas,
            values,
            rng,
            shape,
        }
    }

    /// The points of step `t`, one per series.
    fn step(&mut self, t: usize, out: &mut Vec<DataPoint>) {
        out.clear();
        for (meta, value) in self.metas.iter().zip(self.values.iter_mut()) {
            *value += self.rng.unit() - 0.5;
            let v = match self.shape {
                Shape::Rounded => (*value * 100.0).round() / 100.0,
                Shape::FullPrecision => *value,
            };
            out.push(DataPoint::for_series(meta.clone(), t as i64 * STEP_NS, v));
        }
    }
}

fn partition() -> TimePartition {
    TimePartition::new(0, Duration::from_secs(86_400 * 30)).unwrap()
}

fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|f| f.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

struct Run {
    table: TimeSeriesMemTable,
    seconds: f64,
    rss_growth: usize,
}

/// Inserts the whole workload; `batch` inserts one step per call.
fn run(
    shape: Shape,
    options: MemTableOptions,
    batch: bool,
    mut checkpoint: impl FnMut(&TimeSeriesMemTable),
) -> Run {
    let rss_before = resident_bytes();
    let mut workload = Workload::new(shape);
    let mut table = TimeSeriesMemTable::with_options(partition(), options).unwrap();
    let mut points = Vec::with_capacity(SERIES);
    let mut busy = Duration::ZERO;
    for t in 0..POINTS_PER_SERIES {
        workload.step(t, &mut points);
        let start = Instant::now();
        if batch {
            table.insert_batch(&points).unwrap();
        } else {
            for p in &points {
                table.insert(p).unwrap();
            }
        }
        busy += start.elapsed();
        if (t + 1) % (POINTS_PER_SERIES / 4) == 0 {
            checkpoint(&table);
        }
    }
    drop(points);
    drop(workload);
    let rss_growth = resident_bytes().saturating_sub(rss_before);
    Run {
        table,
        seconds: busy.as_secs_f64(),
        rss_growth,
    }
}

fn per_point(bytes: usize, table: &TimeSeriesMemTable) -> f64 {
    bytes as f64 / table.point_count() as f64
}

/// Child process: builds one memtable and prints
/// `memory_usage rss_growth sealed points fill1 fill2 fill3`.
fn memory_child(shape: Shape) {
    let mut fills = Vec::new();
    let run = run(shape, MemTableOptions::default(), false, |t| {
        fills.push(format!("{:.2}", per_point(t.memory_usage(), t)));
    });
    assert_eq!(run.table.approx_bytes(), run.table.memory_usage());
    println!(
        "{} {} {} {} {}",
        run.table.memory_usage(),
        run.rss_growth,
        run.table.sealed_bytes(),
        run.table.point_count(),
        fills.join(" / ")
    );
}

fn memory_table() {
    println!("## Resident bytes per point, 1,000 series x 1,000 points, default options\n");
    println!("Each row runs in a fresh process; RSS growth is read from /proc/self/statm.\n");
    println!(
        "| values | memory_usage B/pt (at 25/50/75/100 %) | RSS growth B/pt | sealed chunk bytes B/pt |"
    );
    println!("|---|---|---|---|");
    for (shape, arg) in [(Shape::Rounded, "rounded"), (Shape::FullPrecision, "full")] {
        let exe = std::env::current_exe().unwrap_or_default();
        let output = std::process::Command::new(exe)
            .args(["--memory-child", arg])
            .output();
        let text = output
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let fields: Vec<&str> = text.split_whitespace().collect();
        let num = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<f64>().ok())
                .unwrap_or(f64::NAN)
        };
        let points = num(3);
        println!(
            "| {} | {} | {:.2} | {:.2} |",
            shape.name(),
            fields.get(4..).map(|f| f.join(" ")).unwrap_or_default(),
            num(1) / points,
            num(2) / points,
        );
    }
    println!();
}

/// Like [`run`] with single inserts, but 10 % of the points (chosen by a
/// fixed pattern) arrive 40 steps late, after their chunk was sealed.
fn run_late(shape: Shape) -> (TimeSeriesMemTable, f64) {
    const DELAY: usize = 40;
    let mut workload = Workload::new(shape);
    let mut table = TimeSeriesMemTable::new(partition());
    let mut points = Vec::with_capacity(SERIES);
    let mut held: std::collections::VecDeque<(usize, DataPoint)> = Default::default();
    let mut busy = Duration::ZERO;
    for t in 0..POINTS_PER_SERIES + DELAY {
        if t < POINTS_PER_SERIES {
            workload.step(t, &mut points);
        } else {
            points.clear();
        }
        let start = Instant::now();
        for (s, p) in points.drain(..).enumerate() {
            if (t * 7 + s) % 10 == 0 {
                held.push_back((t + DELAY, p));
            } else {
                table.insert(&p).unwrap();
            }
        }
        while held.front().is_some_and(|(due, _)| *due <= t) {
            if let Some((_, p)) = held.pop_front() {
                table.insert(&p).unwrap();
            }
        }
        busy += start.elapsed();
    }
    (table, busy.as_secs_f64())
}

fn throughput_table() {
    println!("## Insert throughput, one thread, default options\n");
    println!("| values | mode | points/s |");
    println!("|---|---|---|");
    for shape in [Shape::Rounded, Shape::FullPrecision] {
        for batch in [false, true] {
            let run = run(shape, MemTableOptions::default(), batch, |_| {});
            let rate = run.table.point_count() as f64 / run.seconds;
            let mode = if batch {
                "insert_batch (1,000)"
            } else {
                "insert"
            };
            println!("| {} | {mode} | {:.2} M |", shape.name(), rate / 1e6);
        }
        let (table, seconds) = run_late(shape);
        println!(
            "| {} | insert, 10 % of points 40 steps late | {:.2} M ({:.2} B/pt) |",
            shape.name(),
            table.point_count() as f64 / seconds / 1e6,
            per_point(table.memory_usage(), &table),
        );
    }
    println!();
}

fn read_table() {
    println!("## Reads of a 1M-point memtable (walk, 2 decimals)\n");
    let run = run(Shape::Rounded, MemTableOptions::default(), true, |_| {});
    let start = Instant::now();
    let snapshot = run.table.snapshot();
    let snap = start.elapsed();
    let start = Instant::now();
    let merged = snapshot.scan(TimeRange::ALL).count();
    let merged_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let columns: usize = snapshot
        .columns()
        .map(|c| c.unwrap().timestamps.len())
        .sum();
    let columns_s = start.elapsed().as_secs_f64();
    println!("| operation | time | points/s |");
    println!("|---|---|---|");
    println!("| snapshot() | {:.0} us | - |", snap.as_secs_f64() * 1e6);
    println!(
        "| scan, merged by time | {:.1} ms | {:.1} M |",
        merged_s * 1e3,
        merged as f64 / merged_s / 1e6
    );
    println!(
        "| columns, per series | {:.1} ms | {:.1} M |",
        columns_s * 1e3,
        columns as f64 / columns_s / 1e6
    );
    println!();
}

fn sweep_table(quick: bool) {
    println!("## Layout sweep (walk, 2 decimals): tail points x chunk points\n");
    println!(
        "| open codec | tail | chunk | B/pt (rounded) | B/pt (full precision) | insert points/s |"
    );
    println!("|---|---|---|---|---|---|");
    let tails: &[usize] = if quick { &[32] } else { &[16, 32, 64] };
    let chunks: &[usize] = if quick { &[128] } else { &[128, 256, 512] };
    let opens = [
        ("Gorilla", MemTableOptions::default().open_codec),
        ("adaptive", CodecChoice::Adaptive),
    ];
    for (open_name, open) in opens {
        // The adaptive open codec re-runs the full codec choice at every
        // seal: only the default tail is shown.
        let tails = if open_name == "adaptive" {
            &tails[..tails.len().min(2)][tails.len().min(2) - 1..]
        } else {
            tails
        };
        for &tail in tails {
            for &chunk in chunks {
                let options = MemTableOptions::default()
                    .with_tail_points(tail)
                    .with_chunk_points(chunk)
                    .with_open_codec(open);
                let rounded = run(Shape::Rounded, options, false, |_| {});
                let full = run(Shape::FullPrecision, options, false, |_| {});
                println!(
                    "| {open_name} | {tail} | {chunk} | {:.2} | {:.2} | {:.2} M |",
                    per_point(rounded.table.memory_usage(), &rounded.table),
                    per_point(full.table.memory_usage(), &full.table),
                    rounded.table.point_count() as f64 / rounded.seconds / 1e6,
                );
            }
        }
    }
    println!();
}

fn codec_table() {
    println!("## Codec of full chunks (default layout, single inserts)\n");
    println!(
        "| full-chunk codec | B/pt (rounded) | B/pt (full precision) | insert points/s (rounded) |"
    );
    println!("|---|---|---|---|");
    let gorilla = MemTableOptions::default().open_codec;
    for (name, codec) in [
        ("adaptive (default)", CodecChoice::Adaptive),
        ("Gorilla", gorilla),
    ] {
        let options = MemTableOptions::default().with_codec(codec);
        let rounded = run(Shape::Rounded, options, false, |_| {});
        let full = run(Shape::FullPrecision, options, false, |_| {});
        println!(
            "| {name} | {:.2} | {:.2} | {:.2} M |",
            per_point(rounded.table.memory_usage(), &rounded.table),
            per_point(full.table.memory_usage(), &full.table),
            rounded.table.point_count() as f64 / rounded.seconds / 1e6,
        );
    }
    println!();
}

/// `$SKULK_DATASETS` or `../shared/datasets` next to the workspace.
fn datasets_dir() -> Option<std::path::PathBuf> {
    let dir = match std::env::var_os("SKULK_DATASETS") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/datasets"),
    };
    dir.is_dir().then_some(dir)
}

/// Parses a `timestamp_ns,value` file.
fn load_csv(path: &std::path::Path) -> Vec<(i64, f64)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let (t, v) = line.split_once(',')?;
            Some((t.trim().parse().ok()?, v.trim().parse().ok()?))
        })
        .collect()
}

fn datasets_table() {
    let Some(dir) = datasets_dir() else {
        println!("(real datasets not found: set SKULK_DATASETS; skipped)\n");
        return;
    };
    println!("## Real datasets, one series each, default options\n");
    println!(
        "| dataset | points | memory_usage B/pt | sealed chunk bytes B/pt | insert points/s |"
    );
    println!("|---|---|---|---|---|");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.retain(|p| p.extension().is_some_and(|e| e == "csv"));
    paths.sort();
    for path in paths {
        let points = load_csv(&path);
        let (Some(min), Some(max)) = (
            points.iter().map(|p| p.0).min(),
            points.iter().map(|p| p.0).max(),
        ) else {
            continue;
        };
        let span = Duration::from_nanos((max - min) as u64 + 1);
        let mut table = TimeSeriesMemTable::new(TimePartition::new(min, span).unwrap());
        let meta = Arc::new(SeriesMeta::new("dataset", vec![]));
        let points: Vec<DataPoint> = points
            .iter()
            .map(|&(t, v)| DataPoint::for_series(meta.clone(), t, v))
            .collect();
        let start = Instant::now();
        for p in &points {
            table.insert(p).unwrap();
        }
        let seconds = start.elapsed().as_secs_f64();
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!(
            "| {name} | {} | {:.2} | {:.2} | {:.2} M |",
            table.point_count(),
            per_point(table.memory_usage(), &table),
            per_point(table.sealed_bytes(), &table),
            table.point_count() as f64 / seconds / 1e6,
        );
    }
    println!();
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--memory-child") {
        let shape = match args.get(i + 1).map(String::as_str) {
            Some("full") => Shape::FullPrecision,
            _ => Shape::Rounded,
        };
        memory_child(shape);
        return;
    }
    let quick = std::env::var_os("SKULK_BENCH_QUICK").is_some();
    // SKULK_BENCH_ONLY=memory,throughput,reads,datasets,codec,sweep
    let only = std::env::var("SKULK_BENCH_ONLY").unwrap_or_default();
    let wanted = |name: &str| only.is_empty() || only.split(',').any(|o| o.trim() == name);
    let tables: [(&str, &dyn Fn()); 6] = [
        ("memory", &memory_table),
        ("throughput", &throughput_table),
        ("reads", &read_table),
        ("datasets", &datasets_table),
        ("codec", &codec_table),
        ("sweep", &|| sweep_table(quick)),
    ];
    for (name, table) in tables {
        if wanted(name) {
            table();
        }
    }
}
