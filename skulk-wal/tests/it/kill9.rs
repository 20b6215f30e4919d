//! kill -9: a child process appends under Fsync from four threads and
//! prints each acknowledged LSN; the parent kills it at random moments,
//! and every acknowledged record must be recovered, nothing invented.
//!
//! Soak: `SKULK_WAL_KILL9_CYCLES=1000 cargo test -p skulk-wal --test it kill9`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use skulk_format::DataPoint;
use skulk_wal::{SyncMode, Wal, WalConfig, WalEntry};

use crate::common::{self, Rng};

const CHILD_DIR: &str = "SKULK_WAL_KILL9_CHILD_DIR";
const CYCLES: &str = "SKULK_WAL_KILL9_CYCLES";

fn value_of(seq: i64) -> f64 {
    seq as f64 * 0.5 - 3.0
}

fn config() -> WalConfig {
    WalConfig {
        sync_mode: SyncMode::Fsync,
        segment_size: 8192,
        ..WalConfig::default()
    }
}

/// The child: does nothing unless started by the parent test.
#[test]
fn kill9_child() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let (wal, recovery) = Wal::open(&dir, config()).unwrap();
    let start = recovery
        .data_points()
        .unwrap()
        .iter()
        .flat_map(|(_, p)| p)
        .map(|p| p.timestamp)
        .max();
    let seq = AtomicI64::new(start.unwrap_or(0) + 1);
    std::thread::scope(|s| {
        for t in 0..4 {
            let (wal, seq) = (&wal, &seq);
            s.spawn(move || {
                let labels = common::labels(&[("thread", &t.to_string())]);
                for i in 1u64.. {
                    let n = seq.fetch_add(1, Ordering::SeqCst);
                    let p = DataPoint::new("kill9", labels.clone(), n, value_of(n));
                    let lsn = wal.append_points(&[p]).unwrap();
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "ACK {lsn} {n}").unwrap();
                    out.flush().unwrap();
                    drop(out);
                    if t == 0 && i % 50 == 0 {
                        // As the engine does after a flush: checkpoint, then truncate.
                        let safe_lsn = lsn.saturating_sub(300);
                        wal.append(&WalEntry::Checkpoint { safe_lsn }).unwrap();
                        wal.truncate_through(safe_lsn).unwrap();
                    }
                }
            });
        }
    });
}

/// Runs one child for about `millis` ms, kills it, returns its acks.
fn run_child(dir: &std::path::Path, millis: u64) -> Vec<(u64, i64)> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "kill9::kill9_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut acks = Vec::new();
        let mut lines = BufReader::new(stdout);
        let mut line = String::new();
        while lines.read_line(&mut line).unwrap_or(0) > 0 {
            // Only whole lines: a line cut by the kill proves nothing.
            if let (Some(rest), true) = (line.strip_prefix("ACK "), line.ends_with('\n')) {
                let mut parts = rest.split_whitespace();
                let lsn = parts.next().unwrap().parse().unwrap();
                acks.push((lsn, parts.next().unwrap().parse().unwrap()));
            }
            line.clear();
        }
        acks
    });
    std::thread::sleep(Duration::from_millis(millis));
    child.kill().unwrap();
    child.wait().unwrap();
    reader.join().unwrap()
}

#[test]
fn kill9_loses_no_acknowledged_record() {
    let cycles: u64 = std::env::var(CYCLES)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(99);
    let mut acked: BTreeMap<u64, i64> = BTreeMap::new();
    let mut total_torn = 0;
    let mut truncated = 0;
    for cycle in 0..cycles {
        for (lsn, seq) in run_child(dir.path(), 5 + rng.below(80)) {
            assert!(
                acked.insert(lsn, seq).is_none(),
                "LSN {lsn} acknowledged twice"
            );
        }
        let recovery = Wal::recover(dir.path())
            .unwrap_or_else(|e| panic!("cycle {cycle}: recovery failed: {e}"));
        total_torn += recovery.torn_bytes();
        let points: BTreeMap<u64, DataPoint> = recovery
            .data_points()
            .unwrap()
            .into_iter()
            .map(|(lsn, mut p)| (lsn, p.remove(0)))
            .collect();
        for p in points.values() {
            assert_eq!(
                p.value.to_bits(),
                value_of(p.timestamp).to_bits(),
                "invented point {p:?}"
            );
        }
        // Truncation may only have removed records a checkpoint covers.
        let first = recovery.records().first().map_or(u64::MAX, |(lsn, _)| *lsn);
        let checkpoint = recovery.last_checkpoint().unwrap_or(0);
        truncated = truncated.max(first.saturating_sub(1).min(checkpoint));
        for (lsn, seq) in &acked {
            if *lsn < first {
                assert!(
                    *lsn <= checkpoint,
                    "cycle {cycle}: acked {lsn} truncated unsafely"
                );
                continue;
            }
            let p = points
                .get(lsn)
                .unwrap_or_else(|| panic!("cycle {cycle}: acked {lsn} lost"));
            assert_eq!(p.timestamp, *seq, "LSN {lsn}");
        }
    }
    assert!(!acked.is_empty(), "the children acknowledged nothing");
    println!(
        "kill9: {cycles} cycles, {} acknowledged, {total_torn} torn bytes seen, \
         truncated through {truncated}",
        acked.len()
    );
}
