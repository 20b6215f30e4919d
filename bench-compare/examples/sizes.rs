//! Bytes per point of the Gorilla payloads (no block header) per dataset, at
//! blocks of 1,000 points: a quick check without the timed table.
//! `cargo run -p skulk-bench-compare --example sizes`

use skulk_codec::{GorillaTimestamps, GorillaValues, TimestampCodec, ValueCodec};

fn main() -> Result<(), skulk_codec::CodecError> {
    for d in skulk_testkit::datasets::load_all() {
        let (mut ts_bytes, mut value_bytes) = (0, 0);
        for (ts, vs) in d.timestamps.chunks(1000).zip(d.values.chunks(1000)) {
            let mut buf = Vec::new();
            GorillaTimestamps.encode(ts, &mut buf)?;
            ts_bytes += buf.len();
            buf.clear();
            GorillaValues.encode(vs, &mut buf)?;
            value_bytes += buf.len();
        }
        let n = d.len() as f64;
        println!(
            "{:24} ts {:.3} B/pt, values {:.3} B/pt",
            d.name,
            ts_bytes as f64 / n,
            value_bytes as f64 / n
        );
    }
    Ok(())
}
