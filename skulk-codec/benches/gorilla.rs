//! Encode/decode speed of the Gorilla codecs on generated shapes:
//! regular and jittered timestamps x constant, random-walk and noisy values
//! (fixed seed). Run with `cargo bench -p skulk-codec --bench gorilla`.
//! Bytes per point are printed next to the timings.

#![allow(missing_docs, reason = "criterion_group! generates undocumented items")]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use skulk_codec::{GorillaTimestamps, GorillaValues, TimestampCodec, ValueCodec};
use std::hint::black_box;
use std::time::Duration;

const POINTS: usize = 8192;

/// SplitMix64: a fixed-seed generator, enough for shaping bench data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn timestamps(jitter_ns: u64, rng: &mut Rng) -> Vec<i64> {
    let start = 1_700_000_000_000_000_000i64;
    (0..POINTS as i64)
        .map(|i| start + i * 10_000_000_000 + (rng.next() % (jitter_ns + 1)) as i64)
        .collect()
}

fn values(shape: &str, rng: &mut Rng) -> Vec<f64> {
    let mut x = 100.0f64;
    (0..POINTS)
        .map(|_| match shape {
            "constant" => 42.0,
            "random-walk" => {
                x += ((rng.next() % 21) as f64 - 10.0) / 10.0;
                (x * 10.0).round() / 10.0
            }
            _ => rng.unit() * 1000.0,
        })
        .collect()
}

fn bench_timestamps(c: &mut Criterion, rng: &mut Rng) {
    let mut group = c.benchmark_group("gorilla_timestamps");
    group.throughput(Throughput::Elements(POINTS as u64));
    for (shape, jitter) in [("regular", 0u64), ("jittered", 2_000_000)] {
        let ts = timestamps(jitter, rng);
        let mut payload = Vec::new();
        GorillaTimestamps.encode(&ts, &mut payload).unwrap();
        println!(
            "timestamps {shape}: {:.3} bytes/point",
            payload.len() as f64 / POINTS as f64
        );
        group.bench_function(BenchmarkId::new("encode", shape), |b| {
            let mut out = Vec::with_capacity(payload.len());
            b.iter(|| {
                out.clear();
                GorillaTimestamps.encode(black_box(&ts), &mut out).unwrap();
            })
        });
        group.bench_function(BenchmarkId::new("decode", shape), |b| {
            let mut out = Vec::with_capacity(POINTS);
            b.iter(|| {
                out.clear();
                GorillaTimestamps
                    .decode(black_box(&payload), POINTS, &mut out)
                    .unwrap();
            })
        });
    }
    group.finish();
}

fn bench_values(c: &mut Criterion, rng: &mut Rng) {
    let mut group = c.benchmark_group("gorilla_values");
    group.throughput(Throughput::Elements(POINTS as u64));
    for shape in ["constant", "random-walk", "noisy"] {
        let vs = values(shape, rng);
        let mut payload = Vec::new();
        GorillaValues.encode(&vs, &mut payload).unwrap();
        println!(
            "values {shape}: {:.3} bytes/point",
            payload.len() as f64 / POINTS as f64
        );
        group.bench_function(BenchmarkId::new("encode", shape), |b| {
            let mut out = Vec::with_capacity(payload.len());
            b.iter(|| {
                out.clear();
                GorillaValues.encode(black_box(&vs), &mut out).unwrap();
            })
        });
        group.bench_function(BenchmarkId::new("decode", shape), |b| {
            let mut out = Vec::with_capacity(POINTS);
            b.iter(|| {
                out.clear();
                GorillaValues
                    .decode(black_box(&payload), POINTS, &mut out)
                    .unwrap();
            })
        });
    }
    group.finish();
}

fn gorilla(c: &mut Criterion) {
    let mut rng = Rng(0x5eed);
    bench_timestamps(c, &mut rng);
    bench_values(c, &mut rng);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    targets = gorilla
}
criterion_main!(benches);
