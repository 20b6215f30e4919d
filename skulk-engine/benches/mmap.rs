//! Why the engine maps TSM files instead of reading them: the one `unsafe`
//! block in Skulk (skulk-format's `src/storage/mmap.rs`) has to buy measured
//! speed.
//!
//! Writes a set of TSM files (generated random-walk series with two
//! decimals), then times, as the median of several runs on a warm page
//! cache, three ways of using them with both a memory map and a plain
//! `fs::read` into a `Vec`: opening every file (header, footer, index,
//! bloom), opening plus one narrow lookup per file, and opening plus
//! decoding every block. Prints a table.
//!
//! `cargo bench -p skulk-engine --bench mmap`; `SKULK_BENCH_SCALE=0.1`
//! shrinks the files.

#![allow(unsafe_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use skulk_format::{SeriesMeta, TimeRange, TsmReader, TsmWriter, TsmWriterOptions};

const FILES: usize = 16;
const SERIES_PER_FILE: usize = 250;
const RUNS: usize = 7;
const STEP_NS: i64 = 10_000_000_000;

fn points_per_series() -> usize {
    let scale: f64 = std::env::var("SKULK_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    ((16_384.0 * scale) as usize).max(16)
}

/// Writes the files; returns their paths and the total point count.
fn write_files(dir: &Path) -> (Vec<PathBuf>, usize) {
    let n = points_per_series();
    let timestamps: Vec<i64> = (0..n as i64)
        .map(|i| 1_700_000_000_000_000_000 + i * STEP_NS)
        .collect();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut paths = Vec::new();
    for file in 0..FILES {
        let path = dir.join(format!("{file:04}.tsm"));
        let mut writer = TsmWriter::create(&path, TsmWriterOptions::default()).unwrap();
        let mut metas: Vec<SeriesMeta> = (0..SERIES_PER_FILE)
            .map(|s| SeriesMeta::new("sensor", vec![("id".into(), format!("{file}-{s}"))]))
            .collect();
        metas.sort_by_key(|m| m.id());
        for meta in &metas {
            let mut level = 2000i64;
            let values: Vec<f64> = (0..n)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    level += (seed % 21) as i64 - 10;
                    level as f64 / 100.0
                })
                .collect();
            writer.write_series(meta, &timestamps, &values).unwrap();
        }
        writer.finish().unwrap();
        paths.push(path);
    }
    (paths, FILES * SERIES_PER_FILE * n)
}

/// A file's bytes, mapped or read.
trait Load: AsRef<[u8]> + Sized {
    fn load(path: &Path) -> Self;
}

struct Mapped(memmap2::Mmap);

impl AsRef<[u8]> for Mapped {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Load for Mapped {
    fn load(path: &Path) -> Self {
        let file = std::fs::File::open(path).unwrap();
        // SAFETY: the files are written once above and not modified or
        // truncated while this benchmark maps them.
        Mapped(unsafe { memmap2::Mmap::map(&file) }.unwrap())
    }
}

impl Load for Vec<u8> {
    fn load(path: &Path) -> Self {
        std::fs::read(path).unwrap()
    }
}

fn open_all<B: Load>(paths: &[PathBuf]) -> Vec<TsmReader<B>> {
    paths
        .iter()
        .map(|p| TsmReader::open(B::load(p)).unwrap())
        .collect()
}

/// Opens every file and reads the first block of one series per file.
fn narrow<B: Load>(paths: &[PathBuf]) -> usize {
    open_all::<B>(paths)
        .iter()
        .map(|r| {
            let id = r.series_ids().nth(SERIES_PER_FILE / 2).unwrap();
            let range = TimeRange::new(i64::MIN, 1_700_000_000_000_000_000 + STEP_NS).unwrap();
            r.read_series(id, range).unwrap().0.len()
        })
        .sum()
}

/// Opens every file and decodes every block.
fn full_scan<B: Load>(paths: &[PathBuf]) -> usize {
    let (mut ts, mut vs) = (Vec::new(), Vec::new());
    let mut points = 0;
    for reader in open_all::<B>(paths) {
        for entry in reader.series() {
            for block in entry.blocks {
                ts.clear();
                vs.clear();
                reader.read_block(block, &mut ts, &mut vs).unwrap();
                points += ts.len();
            }
        }
    }
    points
}

/// A way to read the files; returns the points it read.
type Reading = fn(&[PathBuf]) -> usize;

fn median(mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut times = Vec::new();
    let mut result = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        result = std::hint::black_box(f());
        times.push(started.elapsed());
    }
    times.sort();
    (times[RUNS / 2], result)
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let (paths, points) = write_files(dir.path());
    let bytes: u64 = paths
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    println!(
        "{FILES} TSM files, {points} points, {:.1} MB; median of {RUNS} runs, warm page cache",
        bytes as f64 / 1e6
    );
    println!();
    println!("| operation | mmap | fs::read | read / mmap |");
    println!("|---|---:|---:|---:|");
    let opened = |paths: &[PathBuf], mapped: bool| {
        if mapped {
            open_all::<Mapped>(paths).len()
        } else {
            open_all::<Vec<u8>>(paths).len()
        }
    };
    let rows: [(&str, Reading, Reading); 2] = [
        (
            "open + 1 narrow lookup per file",
            narrow::<Mapped>,
            narrow::<Vec<u8>>,
        ),
        (
            "open + decode every block",
            full_scan::<Mapped>,
            full_scan::<Vec<u8>>,
        ),
    ];
    let (map_open, _) = median(|| opened(&paths, true));
    let (read_open, _) = median(|| opened(&paths, false));
    row("open every file", map_open, read_open);
    for (name, mapped, read) in rows {
        let (map_time, a) = median(|| mapped(&paths));
        let (read_time, b) = median(|| read(&paths));
        assert_eq!(a, b, "both ways read the same points");
        row(name, map_time, read_time);
    }
    println!();
    println!("fs::read also holds all {bytes} file bytes on the heap while the readers live;");
    println!("a map holds none (the kernel pages in what the index and queried blocks touch).");
}

fn row(name: &str, mapped: Duration, read: Duration) {
    println!(
        "| {name} | {:.2} ms | {:.2} ms | {:.1}x |",
        mapped.as_secs_f64() * 1e3,
        read.as_secs_f64() * 1e3,
        read.as_secs_f64() / mapped.as_secs_f64()
    );
}
