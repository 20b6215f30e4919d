//! The ratios the codec targets are stated in, per dataset and pooled:
//! Skulk adaptive's size against `pco` and Skulk Gorilla, its decode speed
//! against `pco` and `tsz`, and its encode speed alone and against `pco`;
//! one row for the current adaptive codecs and one for the version-1 ones
//! (the codecs before version 2), measured in the same run.

use crate::Measurement;

/// The contender names the ratios are taken between (see
/// [`crate::contenders`]).
const ADAPTIVE: &str = "skulk-adaptive";
const ADAPTIVE_V1: &str = "skulk-adaptive v1";
const GORILLA: &str = "skulk gorilla";
const PCO: &str = "pco (level 8)";
const TSZ_NS: &str = "tsz (ns)";
const TSZ_SECONDS: &str = "tsz (fed seconds)";

/// The header and separator of the ratio table.
pub fn targets_header() -> String {
    [
        "| dataset | block | codecs | size / pco | size / Gorilla | decode / pco | decode / tsz (ns) | decode / tsz (s) | encode Mpt/s | encode / pco |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    .join("\n")
}

fn find<'a>(named: &[(&str, &'a Measurement)], name: &str) -> Option<&'a Measurement> {
    named.iter().find(|(n, _)| *n == name).map(|(_, m)| *m)
}

fn rate(points: usize, seconds: f64) -> f64 {
    points as f64 / seconds.max(f64::MIN_POSITIVE) / 1e6
}

/// The rows of the ratio table for one dataset (or the pooled figures),
/// from every contender's measurement of it: the current adaptive codecs,
/// then the version-1 ones; a row is left out when a contender is missing.
pub fn targets_row(dataset: &str, block: usize, named: &[(&str, &Measurement)]) -> String {
    [(ADAPTIVE, "v2"), (ADAPTIVE_V1, "v1")]
        .iter()
        .filter_map(|&(name, label)| row(dataset, block, label, name, named))
        .collect::<Vec<_>>()
        .join("\n")
}

fn row(
    dataset: &str,
    block: usize,
    label: &str,
    adaptive: &str,
    named: &[(&str, &Measurement)],
) -> Option<String> {
    let (Some(a), Some(g), Some(p), Some(tn), Some(ts)) = (
        find(named, adaptive),
        find(named, GORILLA),
        find(named, PCO),
        find(named, TSZ_NS),
        find(named, TSZ_SECONDS),
    ) else {
        return None;
    };
    let size = |m: &Measurement| m.sizes.total as f64;
    let decode = |m: &Measurement| rate(m.points, m.decode.as_secs_f64());
    let encode = |m: &Measurement| rate(m.points, m.encode.as_secs_f64());
    Some(format!(
        "| {dataset} | {block} | {label} | {:.3} | {:.3} | {:.2}x | {:.2}x | {:.2}x | {:.1} | {:.2}x |",
        size(a) / size(p),
        size(a) / size(g),
        decode(a) / decode(p),
        decode(a) / decode(tn),
        decode(a) / decode(ts),
        encode(a),
        encode(a) / encode(p),
    ))
}
