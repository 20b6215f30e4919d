//! Encode speed of the adaptive block codec on the real datasets, next to
//! Gorilla encoding measured in the same run (the ratio is what to compare
//! across machines and runs).
//!
//! Run with
//! `cargo bench -p skulk-codec --bench encode --features unstable-internals`.
//! Each series (and all of them pooled) is cut into blocks of 1,000 and
//! 8,192 points; every figure is the median of [`RUNS`] passes over all
//! blocks, in millions of points per second. Skips cleanly when the datasets
//! folder is absent.

use skulk_codec::{
    CompressedBlock, GorillaTimestamps, GorillaValues, TimestampCodec, ValueCodec,
    encode_timestamps_adaptive, encode_values_adaptive,
};
use std::hint::black_box;
use std::time::Instant;

mod support {
    pub mod datasets;
}
use support::datasets::{self, Dataset};

/// Timed passes per figure; the median is reported.
const RUNS: usize = 7;
const BLOCK_SIZES: [usize; 2] = [1000, 8192];

/// Median points per second (in millions) of `pass`, which encodes `points`.
fn median_mpts(points: usize, mut pass: impl FnMut()) -> f64 {
    pass();
    let mut rates: Vec<f64> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            pass();
            points as f64 / start.elapsed().as_secs_f64() / 1e6
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    rates[RUNS / 2]
}

struct Row {
    adaptive_ts: f64,
    gorilla_ts: f64,
    adaptive_values: f64,
    gorilla_values: f64,
    block: f64,
    bytes_per_point: f64,
}

fn measure(ts: &[i64], vs: &[f64], block: usize) -> Row {
    let n = ts.len();
    let mut out = Vec::with_capacity(block * 16);
    let ts_blocks: Vec<&[i64]> = ts.chunks(block).collect();
    let value_blocks: Vec<&[f64]> = vs.chunks(block).collect();
    let mut ts_pass = |f: &dyn Fn(&[i64], &mut Vec<u8>)| {
        median_mpts(n, || {
            for b in &ts_blocks {
                out.clear();
                f(black_box(b), &mut out);
            }
        })
    };
    let adaptive_ts = ts_pass(&|b, o| {
        encode_timestamps_adaptive(b, o).unwrap();
    });
    let gorilla_ts = ts_pass(&|b, o| GorillaTimestamps.encode(b, o).unwrap());
    let mut out = Vec::with_capacity(block * 16);
    let mut value_pass = |f: &dyn Fn(&[f64], &mut Vec<u8>)| {
        median_mpts(n, || {
            for b in &value_blocks {
                out.clear();
                f(black_box(b), &mut out);
            }
        })
    };
    let adaptive_values = value_pass(&|b, o| {
        encode_values_adaptive(b, o).unwrap();
    });
    let gorilla_values = value_pass(&|b, o| GorillaValues.encode(b, o).unwrap());
    let pairs: Vec<(&[i64], &[f64])> = ts_blocks.iter().copied().zip(value_blocks).collect();
    let block_rate = median_mpts(n, || {
        for (t, v) in &pairs {
            black_box(CompressedBlock::encode(black_box(t), black_box(v)).unwrap());
        }
    });
    let bytes: usize = pairs
        .iter()
        .map(|(t, v)| CompressedBlock::encode(t, v).unwrap().as_bytes().len())
        .sum();
    Row {
        adaptive_ts,
        gorilla_ts,
        adaptive_values,
        gorilla_values,
        block: block_rate,
        bytes_per_point: bytes as f64 / n as f64,
    }
}

fn pooled(all: &[Dataset]) -> Dataset {
    Dataset {
        name: "pooled".to_string(),
        timestamps: all.iter().flat_map(|d| d.timestamps.clone()).collect(),
        values: all.iter().flat_map(|d| d.values.clone()).collect(),
    }
}

fn main() {
    let mut all = datasets::load_all();
    if all.is_empty() {
        println!("skipping: no datasets (set SKULK_DATASETS)");
        return;
    }
    all.push(pooled(&all));
    println!("adaptive vs Gorilla encode, M points/s, median of {RUNS} runs");
    println!(
        "{:<22} {:>5} | {:>7} {:>7} {:>5} | {:>7} {:>7} {:>5} | {:>7} {:>6}",
        "series",
        "block",
        "ada ts",
        "gor ts",
        "ratio",
        "ada val",
        "gor val",
        "ratio",
        "block",
        "B/pt"
    );
    for block in BLOCK_SIZES {
        for d in &all {
            let r = measure(&d.timestamps, &d.values, block);
            println!(
                "{:<22} {:>5} | {:>7.1} {:>7.1} {:>5.2} | {:>7.1} {:>7.1} {:>5.2} | {:>7.1} {:>6.3}",
                d.name,
                block,
                r.adaptive_ts,
                r.gorilla_ts,
                r.adaptive_ts / r.gorilla_ts,
                r.adaptive_values,
                r.gorilla_values,
                r.adaptive_values / r.gorilla_values,
                r.block,
                r.bytes_per_point,
            );
        }
    }
}
