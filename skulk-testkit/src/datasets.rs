//! Loader for the real-data CSV files in `../shared/datasets/`.
//!
//! Each file is `timestamp_ns,value` with a header line: `i64` nanoseconds
//! and an `f64` in shortest round-trip decimal form, which Rust's `f64`
//! parser turns back into the exact bit pattern. The files are never copied
//! into the repository; when the folder is absent, loaders print
//! `skipping: datasets not found at ...` to stderr and return nothing, so
//! tests and benches skip cleanly.

use std::path::{Path, PathBuf};

/// Environment variable that overrides the datasets folder.
pub const DATASETS_ENV: &str = "SKULK_DATASETS";

/// One real series.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// File stem, e.g. `cgm_glucose`.
    pub name: String,
    /// Timestamps in nanoseconds, in file order.
    pub timestamps: Vec<i64>,
    /// Values, in file order.
    pub values: Vec<f64>,
}

impl Dataset {
    /// Number of points.
    pub fn len(&self) -> usize {
        self.timestamps.len()
    }

    /// True when the file held no points.
    pub fn is_empty(&self) -> bool {
        self.timestamps.is_empty()
    }
}

/// Why a dataset file could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatasetError {
    /// The file or folder could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A line is not `timestamp_ns,value`.
    #[error("{path}:{line}: {what}; expected `timestamp_ns,value` (i64 ns, f64)")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        what: &'static str,
    },
}

/// The datasets folder: `$SKULK_DATASETS` if set, else `../shared/datasets`
/// next to the workspace. `None` (after printing a skip message) when it
/// does not exist.
pub fn datasets_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os(DATASETS_ENV) {
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

/// Loads the dataset `name` (file stem, with or without `.csv`).
/// `Ok(None)` when the folder or the file is absent.
pub fn load(name: &str) -> Result<Option<Dataset>, DatasetError> {
    let Some(dir) = datasets_dir() else {
        return Ok(None);
    };
    let stem = name.strip_suffix(".csv").unwrap_or(name);
    let path = dir.join(format!("{stem}.csv"));
    if !path.is_file() {
        eprintln!("skipping: dataset {} not found", path.display());
        return Ok(None);
    }
    load_file(&path).map(Some)
}

/// Every `*.csv` dataset, sorted by name; empty when the folder is absent.
pub fn try_load_all() -> Result<Vec<Dataset>, DatasetError> {
    let Some(dir) = datasets_dir() else {
        return Ok(Vec::new());
    };
    let io = |source| DatasetError::Io {
        path: dir.clone(),
        source,
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.extension().is_some_and(|ext| ext == "csv") {
            paths.push(path);
        }
    }
    paths.sort();
    paths.iter().map(|p| load_file(p)).collect()
}

/// Like [`try_load_all`], for tests and benches: panics with the typed
/// error's message (file and line) if a file is malformed.
pub fn load_all() -> Vec<Dataset> {
    try_load_all().unwrap_or_else(|e| panic!("{e}"))
}

/// Parses one dataset file.
pub fn load_file(path: &Path) -> Result<Dataset, DatasetError> {
    let text = std::fs::read_to_string(path).map_err(|source| DatasetError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (timestamps, values) = parse_csv(&text).map_err(|(line, what)| DatasetError::Parse {
        path: path.to_path_buf(),
        line,
        what,
    })?;
    Ok(Dataset {
        name,
        timestamps,
        values,
    })
}

type Columns = (Vec<i64>, Vec<f64>);

/// Parses the CSV text; errors carry the 1-based line number.
fn parse_csv(text: &str) -> Result<Columns, (usize, &'static str)> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, header)) if header.trim() == "timestamp_ns,value" => {}
        _ => return Err((1, "missing header line `timestamp_ns,value`")),
    }
    let (mut timestamps, mut values) = (Vec::new(), Vec::new());
    for (index, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let (ts, value) = line.split_once(',').ok_or((index + 1, "missing comma"))?;
        timestamps.push(
            ts.trim()
                .parse()
                .map_err(|_| (index + 1, "bad i64 timestamp"))?,
        );
        values.push(
            value
                .trim()
                .parse()
                .map_err(|_| (index + 1, "bad f64 value"))?,
        );
    }
    Ok((timestamps, values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exact_values_and_reports_bad_lines() {
        let (ts, vs) = parse_csv("timestamp_ns,value\n-5,0.1\n7,-0.0\n\n9,NaN\n").unwrap();
        assert_eq!(ts, [-5, 7, 9]);
        assert_eq!(vs[0].to_bits(), 0.1f64.to_bits());
        assert_eq!(vs[1].to_bits(), (-0.0f64).to_bits());
        assert!(vs[2].is_nan());
        assert_eq!(
            parse_csv("timestamp_ns,value\n1,2\nx,3\n"),
            Err((3, "bad i64 timestamp"))
        );
        assert_eq!(
            parse_csv("timestamp_ns,value\n1;2\n"),
            Err((2, "missing comma"))
        );
        assert_eq!(parse_csv("ts,v\n").unwrap_err().0, 1);
    }

    #[test]
    fn real_datasets_load_when_present() {
        for dataset in load_all() {
            assert!(!dataset.is_empty(), "{} is empty", dataset.name);
            assert_eq!(dataset.timestamps.len(), dataset.values.len());
        }
    }
}
