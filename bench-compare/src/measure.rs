//! Timed encode/decode runs of one contender over one dataset.

use std::time::{Duration, Instant};

use crate::{Contender, Encoded, Sizes};

/// Timed runs per measurement; the median is reported.
pub const RUNS: usize = 7;

/// What one contender did with one dataset at one block size.
#[derive(Debug, Clone, Copy, Default)]
pub struct Measurement {
    /// Points in the dataset.
    pub points: usize,
    /// Bytes by column, summed over the blocks.
    pub sizes: Sizes,
    /// Median time to encode every block.
    pub encode: Duration,
    /// Median time to decode every block.
    pub decode: Duration,
    /// Every block decoded to exactly the input (bit patterns compared).
    pub exact: bool,
}

impl Measurement {
    /// Adds another dataset's figures (for the pooled row).
    pub fn absorb(&mut self, other: &Measurement) {
        self.points += other.points;
        self.sizes += other.sizes;
        self.encode += other.encode;
        self.decode += other.decode;
        self.exact &= other.exact;
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// Encodes and decodes `timestamps`/`values` in blocks of `block` points
/// [`RUNS`] times with `contender`, and checks the round trip.
pub fn measure(
    contender: &dyn Contender,
    timestamps: &[i64],
    values: &[f64],
    block: usize,
) -> Measurement {
    let blocks: Vec<(&[i64], &[f64])> =
        timestamps.chunks(block).zip(values.chunks(block)).collect();
    let mut sizes = Sizes::default();
    for &(ts, vs) in &blocks {
        sizes += contender.sizes(ts, vs);
    }
    let mut encoded: Vec<Encoded> = Vec::new();
    let mut encode_times = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        encoded = blocks
            .iter()
            .map(|&(ts, vs)| contender.encode(ts, vs))
            .collect();
        encode_times.push(start.elapsed());
        std::hint::black_box(&encoded);
    }
    let (mut ts_out, mut vs_out) = (Vec::with_capacity(block), Vec::with_capacity(block));
    let mut exact = true;
    let mut decode_times = Vec::new();
    for run in 0..RUNS {
        let start = Instant::now();
        for (enc, &(ts, vs)) in encoded.iter().zip(&blocks) {
            let ok = contender.decode(enc, &mut ts_out, &mut vs_out).is_ok();
            if run == 0 {
                exact &= ok && ts_out == ts && same_bits(&vs_out, vs);
            }
            std::hint::black_box((&ts_out, &vs_out));
        }
        decode_times.push(start.elapsed());
    }
    Measurement {
        points: timestamps.len(),
        sizes,
        encode: median(encode_times),
        decode: median(decode_times),
        exact,
    }
}
