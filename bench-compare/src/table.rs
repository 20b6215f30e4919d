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
    if seconds > 0.0 { points as f64 / seconds / 1e6 } else { f64::INFINITY }
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
