//! Test fixtures: a scratch directory and the binary pointed at it.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// A scratch directory with a data directory inside.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `skulk --data-dir <data> <args>`.
    pub fn skulk(&self, args: &[&str]) -> Command {
        skulk_in(&self.data(), args)
    }

    /// Runs and returns stdout, asserting success.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.skulk(args).output().unwrap();
        assert!(
            out.status.success(),
            "skulk {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Every TSM file in the data directory.
    pub fn tsm_files(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        walk(&self.data(), &mut found);
        found.retain(|p| p.extension().is_some_and(|e| e == "tsm"));
        found.sort();
        found
    }
}

pub fn skulk_in(data: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("skulk").unwrap();
    cmd.arg("--data-dir").arg(data).args(args);
    cmd
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// The real datasets, when present.
pub fn datasets_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("SKULK_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/datasets"
            ))
        });
    if dir.join("hotgym_kwh.csv").is_file() {
        Some(dir)
    } else {
        eprintln!("skipping: real datasets not found at {}", dir.display());
        None
    }
}

/// Line protocol of two hosts and two fields.
pub const LP: &str = "\
# two hosts
cpu,host=a value=1.5 1000
cpu,host=b value=2.5,idle=3i 2000
cpu,host=a value=-0.0 3000
cpu,host=a,dc=x\\ 1 value=1e-300 4000
mem\\,x value=NaN 5000
";

/// Runs `skulk --data-dir <data> <args>`: the output, stdout and stderr.
pub fn run(s: &Scratch, args: &[&str]) -> (std::process::Output, String, String) {
    let out = s.skulk(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    (out, stdout, stderr)
}

/// Every file under `dir` with its bytes.
pub fn snapshot(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut found = Vec::new();
    walk(dir, &mut found);
    found
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

/// Flips bit 6 of the byte at `offset` of the file at `path`.
pub fn flip(path: &Path, offset: u64) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[offset as usize] ^= 0x40;
    std::fs::write(path, &bytes).unwrap();
}

/// Exported `(series, timestamp)` pairs with their value text.
pub fn exported(s: &Scratch) -> std::collections::BTreeMap<(String, i64), String> {
    let text = s.ok(&["export", "--format", "csv"]);
    let mut rows = std::collections::BTreeMap::new();
    for line in text.lines().skip(1) {
        let (rest, value) = line.rsplit_once(',').unwrap();
        let (series, ts) = rest.rsplit_once(',').unwrap();
        rows.insert((series.to_string(), ts.parse().unwrap()), value.to_string());
    }
    rows
}

/// Imports points into three daily partitions (four per day, series
/// `m{day="d<n>"}`) and returns the TSM files, one per day.
pub fn three_partitions(s: &Scratch) -> Vec<PathBuf> {
    let day = 86_400_000_000_000i64;
    let mut lp = String::new();
    for d in 0..3 {
        for i in 0..4 {
            lp.push_str(&format!("m,day=d{d} value={i}.5 {}\n", d * day + i));
        }
    }
    let input = s.write("in.lp", &lp);
    // No compaction on close, so that each day keeps its own file.
    let config = s.write("three.toml", "compaction_min_files = 0\n");
    s.ok(&[
        "--config",
        config.to_str().unwrap(),
        "import",
        input.to_str().unwrap(),
    ]);
    let files = s.tsm_files();
    assert_eq!(files.len(), 3, "{files:?}");
    files
}

/// The manifest of the data directory.
pub fn manifest(s: &Scratch) -> skulk_engine::Manifest {
    let path = s.data().join(skulk_engine::MANIFEST_FILE_NAME);
    skulk_engine::decode_manifest(&std::fs::read(&path).unwrap(), &path).unwrap()
}

/// A layout-1 data directory (a `CHECKPOINT`, `partitions/`, a WAL with a
/// torn tail) from the testkit's golden files.
pub fn layout1_vector() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../skulk-testkit/vectors/engine/v1/crash_with_wal_tail"
    ))
}

/// Copies the folder `from` to `to` (created).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
