//! Markdown rendering of measurements.

use crate::Measurement;

/// The table's header and separator lines.
pub fn markdown_header() -> String {
    [
        "| dataset | block | codec | ts B/pt | values B/pt | total B/pt | encode Mpt/s | decode Mpt/s | bit-exact |",
        "|---|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    .join("\n")
}

fn per_point(bytes: usize, points: usize) -> f64 {
    bytes as f64 / points.max(1) as f64
}

fn rate(points: usize, seconds: f64) -> f64 {
    if seconds > 0.0 {
        points as f64 / seconds / 1e6
    } else {
        f64::INFINITY
    }
}

/// One table row.
pub fn markdown_row(dataset: &str, block: usize, codec: &str, m: &Measurement) -> String {
    format!(
        "| {dataset} | {block} | {codec} | {:.3} | {:.3} | {:.3} | {:.1} | {:.1} | {} |",
        per_point(m.sizes.timestamps, m.points),
        per_point(m.sizes.values, m.points),
        per_point(m.sizes.total, m.points),
        rate(m.points, m.encode.as_secs_f64()),
        rate(m.points, m.decode.as_secs_f64()),
        if m.exact { "yes" } else { "NO" },
    )
}

/// Pooled decode throughput of each contender relative to every other one,
/// as lines `A / B decode: R x` (the ratios the codec targets are stated in).
pub fn decode_ratios(block: usize, pooled: &[(&str, &Measurement)]) -> Vec<String> {
    let decode_rate = |m: &Measurement| rate(m.points, m.decode.as_secs_f64());
    let mut lines = Vec::new();
    for (i, (name, m)) in pooled.iter().enumerate().take(2) {
        for (other, o) in pooled.iter().skip(i + 1) {
            lines.push(format!(
                "block {block}: {name} / {other} decode: {:.2}x",
                decode_rate(m) / decode_rate(o)
            ));
        }
    }
    lines
}
