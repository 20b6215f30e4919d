//! Decode throughput of the packed codecs per column on the real datasets:
//! `cargo run --release -p skulk-codec --example adaptive_decode`.

use std::time::Instant;

use skulk_codec::{AlpValues, DeltaPackTimestamps, TimestampCodec, ValueCodec};
#[path = "../benches/support/datasets.rs"]
mod datasets;

fn main() -> Result<(), skulk_codec::CodecError> {
    println!("| dataset | ts Mpt/s | values Mpt/s |");
    println!("|---|---:|---:|");
    for dataset in datasets::load_all() {
        let block = 8192;
        let mut ts_payloads = Vec::new();
        let mut value_payloads = Vec::new();
        for (ts, vs) in dataset
            .timestamps
            .chunks(block)
            .zip(dataset.values.chunks(block))
        {
            let mut bytes = Vec::new();
            DeltaPackTimestamps.encode(ts, &mut bytes)?;
            ts_payloads.push((bytes, ts.len()));
            let mut bytes = Vec::new();
            AlpValues.encode(vs, &mut bytes)?;
            value_payloads.push((bytes, vs.len()));
        }
        let rounds = 400;
        let mut ts_out = Vec::with_capacity(block);
        let start = Instant::now();
        for _ in 0..rounds {
            for (bytes, n) in &ts_payloads {
                ts_out.clear();
                DeltaPackTimestamps.decode(bytes, *n, &mut ts_out)?;
                std::hint::black_box(&ts_out);
            }
        }
        let ts_rate =
            (dataset.timestamps.len() * rounds) as f64 / start.elapsed().as_secs_f64() / 1e6;
        let mut vs_out = Vec::with_capacity(block);
        let start = Instant::now();
        for _ in 0..rounds {
            for (bytes, n) in &value_payloads {
                vs_out.clear();
                AlpValues.decode(bytes, *n, &mut vs_out)?;
                std::hint::black_box(&vs_out);
            }
        }
        let vs_rate =
            (dataset.timestamps.len() * rounds) as f64 / start.elapsed().as_secs_f64() / 1e6;
        println!("| {} | {ts_rate:.0} | {vs_rate:.0} |", dataset.name);
    }
    Ok(())
}
