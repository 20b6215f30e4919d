//! TSM write and full-scan throughput, file size and overhead on the real
//! datasets in `../shared/datasets` (or `$SKULK_DATASETS`).
//!
//! Run: `cargo bench -p skulk-format --bench tsm`. Prints a table; skips
//! cleanly when the datasets are absent.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use skulk_codec::CodecChoice;
use skulk_format::{SeriesMeta, TimeRange, TsmReader, TsmWriter, TsmWriterOptions};

/// One dataset: name, timestamps, values.
struct Dataset {
    name: String,
    timestamps: Vec<i64>,
    values: Vec<f64>,
}

fn datasets_dir() -> PathBuf {
    std::env::var_os("SKULK_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/datasets"
            ))
        })
}

/// Reads `timestamp_ns,value` rows; sorts by time and keeps the last value
/// of a duplicated timestamp, as a TSM series requires.
fn load(path: &Path) -> Dataset {
    let text = std::fs::read_to_string(path).unwrap();
    let mut rows: Vec<(i64, f64)> = text
        .lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let (ts, value) = line.split_once(',').unwrap();
            (ts.trim().parse().unwrap(), value.trim().parse().unwrap())
        })
        .collect();
    rows.sort_by_key(|row| row.0);
    rows.dedup_by(|later, earlier| {
        let duplicate = later.0 == earlier.0;
        if duplicate {
            earlier.1 = later.1;
        }
        duplicate
    });
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    Dataset {
        name,
        timestamps: rows.iter().map(|r| r.0).collect(),
        values: rows.iter().map(|r| r.1).collect(),
    }
}

/// Best of `runs` timings of `f`.
fn best<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..runs {
        let start = Instant::now();
        let value = f();
        best = best.min(start.elapsed());
        out = Some(value);
    }
    (best, out.unwrap())
}

fn write_file(path: &Path, sets: &[Dataset], codec: CodecChoice) -> u64 {
    let options = TsmWriterOptions {
        codec,
        ..TsmWriterOptions::default()
    };
    let mut writer = TsmWriter::create(path, options).unwrap();
    for set in sets {
        let meta = SeriesMeta::new("dataset", vec![("name".into(), set.name.clone())]);
        writer
            .write_series(&meta, &set.timestamps, &set.values)
            .unwrap();
    }
    writer.finish().unwrap().stats.file_size
}

fn scan(reader: &TsmReader<Vec<u8>>) -> usize {
    let (mut ts, mut vs) = (Vec::new(), Vec::new());
    let mut points = 0;
    for entry in reader.series() {
        for block in entry.blocks {
            ts.clear();
            vs.clear();
            reader.read_block(block, &mut ts, &mut vs).unwrap();
            points += ts.len();
        }
    }
    points
}

fn row(dir: &Path, label: &str, sets: &[Dataset], codec: CodecChoice, codec_name: &str) {
    let points: usize = sets.iter().map(|s| s.timestamps.len()).sum();
    let path = dir.join("bench.tsm");
    let runs = (2_000_000 / points.max(1)).clamp(3, 50);
    let (write_time, size) = best(runs, || write_file(&path, sets, codec));
    let reader = TsmReader::open(std::fs::read(&path).unwrap()).unwrap();
    let (scan_time, scanned) = best(runs, || scan(&reader));
    assert_eq!(scanned, points);
    let report = reader.verify().unwrap();
    let (_, full) = best(1, || {
        reader.read_series(reader.series_ids().next().unwrap(), TimeRange::ALL)
    });
    full.unwrap();
    let overhead = size - report.payload_bytes;
    println!(
        "{label:<22} {codec_name:<8} {points:>8} {:>6} {:>10.2} {:>10.2} {:>7.3} {:>7.3} {:>8} {:>7.2}%",
        report.blocks,
        points as f64 / write_time.as_secs_f64() / 1e6,
        points as f64 / scan_time.as_secs_f64() / 1e6,
        size as f64 / points as f64,
        report.payload_bytes as f64 / points as f64,
        overhead,
        100.0 * overhead as f64 / report.payload_bytes as f64,
    );
}

fn main() {
    let dir = datasets_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!(
            "datasets not found at {}; skipping (set SKULK_DATASETS)",
            dir.display()
        );
        return;
    };
    let mut paths: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    paths.sort();
    let sets: Vec<Dataset> = paths.iter().map(|p| load(p)).collect();
    let tmp = tempfile::tempdir().unwrap();
    let codecs = [
        (CodecChoice::Adaptive, "adaptive"),
        (CodecChoice::GORILLA, "gorilla"),
        (CodecChoice::RAW, "raw"),
    ];
    println!(
        "{:<22} {:<8} {:>8} {:>6} {:>10} {:>10} {:>7} {:>7} {:>8} {:>8}",
        "dataset",
        "codec",
        "points",
        "blocks",
        "write Mp/s",
        "scan Mp/s",
        "B/pt",
        "codecB/pt",
        "overhead",
        "ovh %"
    );
    for (codec, name) in codecs {
        for set in &sets {
            row(
                tmp.path(),
                &set.name,
                std::slice::from_ref(set),
                codec,
                name,
            );
        }
        row(tmp.path(), "all (one file)", &sets, codec, name);
    }
    println!(
        "write includes encoding, the fsyncs and the rename; scan decodes every block with CRC checks"
    );
    println!(
        "overhead = file bytes - codec payload bytes (header, framing, block headers, index, metadata, bloom, footer)"
    );
}
