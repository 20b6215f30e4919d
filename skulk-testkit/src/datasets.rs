//! Loader for the real-data CSV files in `../shared/datasets/`.
//!
//! Each file is `timestamp_ns,value` with a header line: `i64` nanoseconds
//! and an `f64` in shortest round-trip decimal form, which Rust's `f64`
//! parser turns back into the exact bit pattern. The files are never copied
//! into the repository; when the folder is absent, loaders print
//! `skipping: datasets not found at ...` to stderr and return nothing, so
//! tests and benches skip cleanly.
//!
//! Malformed files never panic: [`try_load_all`] and [`load_file`] return a
//! typed [`DatasetError`] naming the file and line; [`load_all`] prints it
//! and leaves that file out.

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
/// Stops at the first file that cannot be read or parsed and returns its
/// typed error (file and line).
pub fn try_load_all() -> Result<Vec<Dataset>, DatasetError> {
    let Some(dir) = datasets_dir() else {
        return Ok(Vec::new());
    };
    csv_files(&dir)?.iter().map(|p| load_file(p)).collect()
}

/// Like [`try_load_all`], for benches and examples, and never panics: a file
/// that cannot be read or parsed is left out after its typed error is
/// printed to stderr (`skipping: <file>:<line>: ...`), and the other files
/// are still loaded. Empty when the folder is absent or unreadable.
pub fn load_all() -> Vec<Dataset> {
    match datasets_dir() {
        Some(dir) => load_all_from(&dir),
        None => Vec::new(),
    }
}

/// [`load_all`] over the folder `dir`.
fn load_all_from(dir: &Path) -> Vec<Dataset> {
    let paths = csv_files(dir).unwrap_or_else(|e| {
        eprintln!("skipping: {e}");
        Vec::new()
    });
    paths
        .iter()
        .filter_map(|path| {
            load_file(path)
                .inspect_err(|e| eprintln!("skipping: {e}"))
                .ok()
        })
        .collect()
}

/// The `*.csv` files in `dir`, sorted.
fn csv_files(dir: &Path) -> Result<Vec<PathBuf>, DatasetError> {
    let io = |source| DatasetError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.extension().is_some_and(|ext| ext == "csv") {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
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
    fn a_malformed_file_is_skipped_with_its_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a_good.csv"), "timestamp_ns,value\n1,0.5\n").unwrap();
        std::fs::write(dir.path().join("b_bad.csv"), "timestamp_ns,value\n1,x\n").unwrap();
        std::fs::write(dir.path().join("c_no_header.csv"), "1,2\n").unwrap();
        std::fs::write(dir.path().join("d_binary.csv"), [0xff, 0xfe, 0x00]).unwrap();
        std::fs::write(
            dir.path().join("e_good.csv"),
            "timestamp_ns,value\n-3,NaN\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not a dataset").unwrap();
        let loaded = load_all_from(dir.path());
        let names: Vec<&str> = loaded.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["a_good", "e_good"]);
        assert_eq!(loaded[0].values[0].to_bits(), 0.5f64.to_bits());
        assert_eq!(loaded[1].timestamps, [-3]);

        let err = load_file(&dir.path().join("b_bad.csv")).unwrap_err();
        assert!(
            matches!(&err, DatasetError::Parse { line: 2, what, .. } if what.contains("f64")),
            "{err}"
        );
        let err = load_file(&dir.path().join("d_binary.csv")).unwrap_err();
        assert!(matches!(err, DatasetError::Io { .. }), "{err}");
        // A missing folder is no panic either.
        assert!(load_all_from(&dir.path().join("absent")).is_empty());
    }

    #[test]
    fn real_datasets_load_when_present() {
        let all = try_load_all().unwrap_or_else(|e| panic!("malformed dataset: {e}"));
        for dataset in all {
            assert!(!dataset.is_empty(), "{} is empty", dataset.name);
            assert_eq!(dataset.timestamps.len(), dataset.values.len());
        }
    }
}
