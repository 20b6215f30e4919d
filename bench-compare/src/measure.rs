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
/// [`RUNS`] times with every contender, and checks the round trips.
///
/// The timed runs are interleaved (run 1 of every contender, then run 2,
/// ...), so a burst of load on a shared machine hits all contenders alike
/// instead of whichever one happened to be running; ratios between
/// contenders of one call are what the table compares.
pub fn measure_all(
    contenders: &[Box<dyn Contender>],
    timestamps: &[i64],
    values: &[f64],
    block: usize,
) -> Vec<Measurement> {
    let blocks: Vec<(&[i64], &[f64])> =
        timestamps.chunks(block).zip(values.chunks(block)).collect();
    let mut results: Vec<Measurement> = contenders
        .iter()
        .map(|contender| {
            let mut sizes = Sizes::default();
            for &(ts, vs) in &blocks {
                sizes += contender.sizes(ts, vs);
            }
            Measurement {
                points: timestamps.len(),
                sizes,
                exact: true,
                ..Measurement::default()
            }
        })
        .collect();
    let mut encoded: Vec<Vec<Encoded>> = vec![Vec::new(); contenders.len()];
    let mut encode_times = vec![Vec::new(); contenders.len()];
    for _ in 0..RUNS {
        for (i, contender) in contenders.iter().enumerate() {
            let start = Instant::now();
            let blocks_out: Vec<Encoded> = blocks
                .iter()
                .map(|&(ts, vs)| contender.encode(ts, vs))
                .collect();
            encode_times[i].push(start.elapsed());
            std::hint::black_box(&blocks_out);
            encoded[i] = blocks_out;
        }
    }
    // Output vectors are reused across blocks, as a reader would.
    let mut outputs: Vec<(Vec<i64>, Vec<f64>)> = (0..contenders.len())
        .map(|_| (Vec::with_capacity(block), Vec::with_capacity(block)))
        .collect();
    let mut decode_times = vec![Vec::new(); contenders.len()];
    for run in 0..RUNS {
        for (i, contender) in contenders.iter().enumerate() {
            let (ts_out, vs_out) = &mut outputs[i];
            let mut exact = true;
            let start = Instant::now();
            for (enc, &(ts, vs)) in encoded[i].iter().zip(&blocks) {
                let ok = contender.decode(enc, ts_out, vs_out).is_ok();
                if run == 0 {
                    exact &= ok && ts_out == ts && same_bits(vs_out, vs);
                }
                std::hint::black_box((&ts_out, &vs_out));
            }
            decode_times[i].push(start.elapsed());
            results[i].exact &= exact;
        }
    }
    for ((m, enc), dec) in results.iter_mut().zip(encode_times).zip(decode_times) {
        m.encode = median(enc);
        m.decode = median(dec);
    }
    results
}
