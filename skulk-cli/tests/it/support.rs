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
