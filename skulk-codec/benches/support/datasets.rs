//! The real datasets of `../shared/datasets/` for this crate's benches,
//! example and selector tests, read straight from the CSV files so that the
//! codec needs no dependency on the testkit (whose loader, with typed
//! errors, is `skulk_testkit::datasets`).
//!
//! Each file is `timestamp_ns,value` with a header line. The folder is
//! `$SKULK_DATASETS` or `../shared/datasets` beside the workspace; when it
//! is absent, or a file does not parse, a `skipping: ...` line goes to
//! stderr and that data is left out, so callers skip cleanly.

use std::path::{Path, PathBuf};

/// One real series.
pub struct Dataset {
    /// File stem, e.g. `cgm_glucose`.
    pub name: String,
    /// Timestamps in nanoseconds, in file order.
    pub timestamps: Vec<i64>,
    /// Values, in file order.
    pub values: Vec<f64>,
}

fn folder() -> Option<PathBuf> {
    let dir = match std::env::var_os("SKULK_DATASETS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/datasets"),
    };
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: datasets not found at {}", dir.display());
        None
    }
}

/// The points of one file, or `None` when a line does not parse.
fn parse(text: &str) -> Option<(Vec<i64>, Vec<f64>)> {
    let mut lines = text.lines();
    if lines.next()?.trim() != "timestamp_ns,value" {
        return None;
    }
    let (mut timestamps, mut values) = (Vec::new(), Vec::new());
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let (ts, value) = line.split_once(',')?;
        timestamps.push(ts.trim().parse().ok()?);
        values.push(value.trim().parse().ok()?);
    }
    Some((timestamps, values))
}

/// Every `*.csv` dataset, sorted by name; empty when the folder is absent.
pub fn load_all() -> Vec<Dataset> {
    let Some(dir) = folder() else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            let paths = entries.filter_map(|e| e.ok().map(|e| e.path()));
            paths
                .filter(|p| p.extension().is_some_and(|x| x == "csv"))
                .collect()
        })
        .unwrap_or_default();
    paths.sort();
    paths
        .iter()
        .filter_map(|path| {
            let parsed = std::fs::read_to_string(path).ok().and_then(|t| parse(&t));
            let Some((timestamps, values)) = parsed else {
                eprintln!("skipping: {} is not `timestamp_ns,value`", path.display());
                return None;
            };
            let name = path.file_stem()?.to_string_lossy().into_owned();
            Some(Dataset {
                name,
                timestamps,
                values,
            })
        })
        .collect()
}
