//! kill -9: a child process writes with `SyncMode::Fsync` and prints
//! `ACK n` after each acknowledged batch; the parent kills it at random
//! moments (mid-write, mid-flush, mid-compaction, mid-retention, during
//! recovery), reopens the directory and checks that every acknowledged
//! point is there with its value and that nothing else is. Retention runs
//! with a fixed clock that expires the first partition (timestamps below
//! `EXPIRED_BEFORE`), where points may therefore be missing. `SKULK_KILL_CYCLES` sets the number of cycles
//! (default 4; e.g. `SKULK_KILL_CYCLES=200` for a soak).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use std::sync::Arc;

use skulk_engine::{
    DataPoint, Engine, EngineConfig, ManualClock, OpenOptions, SyncMode, WalConfig,
};

use crate::common::{contents, pt};

const CHILD_DIR: &str = "SKULK_ENGINE_KILL_CHILD_DIR";
const CHILD_START: &str = "SKULK_ENGINE_KILL_CHILD_START";
const POINTS_PER_BATCH: i64 = 20;
/// The child's clock; with 50 ns partitions and a retention of 50 ns the
/// cutoff is 75, so the partition [0, 50) expires while later ones (which
/// a few dozen batches reach) keep their files.
const NOW: i64 = 125;
const EXPIRED_BEFORE: i64 = 50;
const SERIES: i64 = 4;

fn config() -> EngineConfig {
    EngineConfig {
        wal: WalConfig {
            sync_mode: SyncMode::Fsync,
            segment_size: 16 << 10,
            ..WalConfig::default()
        },
        partition_duration: Some(Duration::from_nanos(50)),
        retention: Some(Duration::from_nanos(50)),
        flush_points: 400,
        flush_size_bytes: 0,
        flush_age: None,
        compaction_min_files: 3,
        background: true,
        maintenance_interval: Duration::from_millis(5),
        ..EngineConfig::default()
    }
}

/// Batch `n`: one series, `POINTS_PER_BATCH` timestamps; batches overwrite
/// each other's timestamps so last-write-wins matters.
fn batch(n: i64) -> Vec<DataPoint> {
    let host = format!("h{}", n % SERIES);
    (0..POINTS_PER_BATCH)
        .map(|i| pt("k", &host, (n / SERIES) * 7 + i, (n * 1000 + i) as f64))
        .collect()
}

/// The child's entry point; does nothing unless started by the parent.
#[test]
fn kill9_child() {
    let (Ok(dir), Ok(start)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_START)) else {
        return;
    };
    let start: i64 = start.parse().unwrap();
    let engine = OpenOptions::new(&dir)
        .and_then(|o| Engine::open_with(o.config(config()).clock(Arc::new(ManualClock::new(NOW)))))
        .unwrap();
    println!("OPEN");
    for n in start.. {
        engine.write_batch(&batch(n)).unwrap();
        println!("ACK {n}");
    }
}

/// Cheap deterministic randomness for kill timing.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn acknowledged_points_survive_kill_9() {
    let cycles: usize = std::env::var("SKULK_KILL_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut acked: i64 = -1; // highest acknowledged batch
    let mut started: i64 = -1; // highest batch any child may have begun
    let mut opened = 0; // children that finished opening before the kill
    let mut last_start = 0; // first batch of the last child
    let mut last_opened = false;
    for _ in 0..cycles {
        let mut child = Command::new(&exe)
            .args([
                "crash::kill9_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DIR, dir.path())
            .env(CHILD_START, {
                last_start = acked + 1;
                last_start.to_string()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                lines.push(line);
            }
            lines
        });
        std::thread::sleep(Duration::from_millis(150 + next(&mut seed) % 400));
        child.kill().unwrap();
        child.wait().unwrap();
        let lines = reader.join().unwrap();
        last_opened = lines.iter().any(|l| l.ends_with("OPEN"));
        opened += usize::from(last_opened);
        let acks: Vec<i64> = lines
            .iter()
            .filter_map(|l| l.strip_prefix("ACK "))
            .map(|n| n.parse().unwrap())
            .collect();
        if let Some(&last) = acks.last() {
            assert_eq!(last, acked + acks.len() as i64, "acks in order");
            acked = last;
        }
        started = started.max(acked + 1);
        check(dir.path(), acked, started);
    }
    assert!(opened > 0 && acked > 0, "children acknowledged nothing");
    if last_opened && (last_start / SERIES) * 7 > EXPIRED_BEFORE {
        // The last child wrote only past the expired partition and ran
        // retention every few milliseconds for at least 150 ms.
        let engine = Engine::open(
            dir.path(),
            EngineConfig {
                background: false,
                ..config()
            },
        )
        .unwrap();
        let got = contents(&engine);
        assert!(
            got.keys().all(|(_, ts)| *ts >= EXPIRED_BEFORE),
            "expired partition kept"
        );
    }
    assert!(
        crate::common::tsm_files(dir.path()) > 0,
        "children flushed while being killed"
    );
}

/// Every acknowledged batch is present and exact; every point present
/// comes from a batch a child began; a second open agrees.
fn check(dir: &std::path::Path, acked: i64, started: i64) {
    let quiet = EngineConfig {
        background: false,
        flush_points: 0,
        ..config()
    };
    let engine = Engine::open(dir, quiet.clone()).unwrap();
    let got = contents(&engine);
    // What the store must hold when batches 0..=upto are applied in order.
    let expected = |upto: i64| {
        let mut model = crate::common::Contents::new();
        for n in 0..=upto {
            crate::common::apply(&mut model, &batch(n));
        }
        model
    };
    let with_acked = expected(acked);
    let with_started = expected(started);
    for (key, bits) in &got {
        let ok = with_acked.get(key) == Some(bits) || with_started.get(key) == Some(bits);
        assert!(
            ok,
            "invented or stale point {key:?} = {}",
            f64::from_bits(*bits)
        );
    }
    for (key, bits) in &with_acked {
        if key.1 < EXPIRED_BEFORE && !got.contains_key(key) {
            continue; // dropped by retention
        }
        // A later, begun batch may have overwritten an acknowledged value.
        let ok = got.get(key) == Some(bits) || got.get(key) == with_started.get(key);
        assert!(
            ok,
            "acknowledged point {key:?} lost or wrong: {:?}",
            got.get(key)
        );
        assert!(got.contains_key(key), "acknowledged point {key:?} missing");
    }
    drop(engine);
    let again = Engine::open(dir, quiet).unwrap();
    assert_eq!(contents(&again), got, "second open gives the same state");
}
