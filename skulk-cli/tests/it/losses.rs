//! Files the manifest lists that are gone: `verify` names them and exits
//! non-zero, `repair` refuses to go on without `--accept-loss`, and with it
//! records the loss in `LOSSES` and opens without them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use skulk_engine::{DataPoint, Engine, EngineConfig, SeriesMeta};

use crate::support::{Scratch, exported, run, snapshot, three_partitions};

/// Asserts that `verify` exits with the needs-attention code and prints a
/// `MISSING` line naming `path`, and a next step naming `--accept-loss`.
fn assert_verify_missing(s: &Scratch, path: &Path) {
    let (out, stdout, stderr) = run(s, &["verify"]);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    let shown = path.display().to_string();
    let line = stdout
        .lines()
        .find(|l| l.starts_with("MISSING"))
        .unwrap_or_else(|| panic!("no MISSING line: {stdout}"));
    assert!(line.contains(&shown), "{line}");
    assert!(stdout.contains("1 missing"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("next: ") && l.contains("repair --accept-loss")),
        "{stdout}"
    );
    assert!(stderr.contains(&shown), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

/// Asserts that `repair` without `--accept-loss` names the loss, changes
/// nothing and exits with the needs-attention code.
fn assert_repair_refuses(s: &Scratch, path: &Path) {
    let before = snapshot(&s.data());
    for args in [&["repair"][..], &["repair", "--dry-run"]] {
        let (out, stdout, stderr) = run(s, args);
        assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
        let loss = stdout
            .lines()
            .find(|l| l.starts_with("LOSS: "))
            .unwrap_or_else(|| panic!("no LOSS line: {stdout}"));
        assert!(loss.contains(&path.display().to_string()), "{loss}");
        assert!(!stdout.contains("opened: "), "{stdout}");
        assert!(stderr.contains("--accept-loss"), "{stderr}");
        assert!(!s.data().join("LOSSES").exists());
        assert_eq!(snapshot(&s.data()), before);
    }
}

#[test]
fn a_deleted_tsm_file_is_reported_and_its_loss_accepted_only_on_request() {
    let s = Scratch::new();
    let files = three_partitions(&s);
    let before = exported(&s);
    let victim = &files[1];
    let record = crate::support::manifest(&s)
        .files
        .into_iter()
        .find(|f| s.data().join(&f.path) == *victim)
        .unwrap();
    std::fs::remove_file(victim).unwrap();

    assert_verify_missing(&s, victim);
    assert_repair_refuses(&s, victim);
    let (out, _, stderr) = run(&s, &["query", "m"]);
    assert_eq!(out.status.code(), Some(1), "opening fails: {stderr}");
    assert!(stderr.contains(&victim.display().to_string()), "{stderr}");

    let (out, stdout, stderr) = run(&s, &["repair", "--accept-loss"]);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let loss = stdout.lines().find(|l| l.starts_with("LOSS: ")).unwrap();
    assert!(
        loss.contains(&format!("{} points", record.points)),
        "{loss}"
    );
    assert!(stdout.contains("recorded 1 loss(es)"), "{stdout}");
    assert!(stdout.contains("opened: 2 TSM file(s)"), "{stdout}");
    let losses = std::fs::read_to_string(s.data().join("LOSSES")).unwrap();
    let rel = victim.strip_prefix(s.data()).unwrap().display().to_string();
    assert_eq!(losses.lines().count(), 1, "{losses}");
    assert!(
        losses.contains(&rel) && losses.contains(&format!("{} points", record.points)),
        "{losses}"
    );

    let after = exported(&s);
    let lost: Vec<_> = before.keys().filter(|k| !after.contains_key(k)).collect();
    assert_eq!(lost.len() as u64, record.points, "{lost:?}");
    let (out, stdout, _) = run(&s, &["verify"]);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("1 loss(es) accepted"), "{stdout}");
}

/// Writes `first` points, flushes, writes `second` more (into the newest
/// WAL segment, not flushed) and drops the engine as a crash would.
/// Returns the WAL segment the unflushed points are in.
fn unflushed_tail(s: &Scratch, first: i64, second: i64) -> PathBuf {
    let engine = Engine::open(s.data(), EngineConfig::default()).unwrap();
    let meta = Arc::new(SeriesMeta::new("m", vec![]));
    let point = |ts: i64| DataPoint::for_series(Arc::clone(&meta), ts, ts as f64);
    engine
        .write_batch(&(0..first).map(point).collect::<Vec<_>>())
        .unwrap();
    engine.flush().unwrap();
    engine
        .write_batch(&(100..100 + second).map(point).collect::<Vec<_>>())
        .unwrap();
    drop(engine);
    let mut segments: Vec<PathBuf> = std::fs::read_dir(s.data().join("wal"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wal"))
        .collect();
    segments.sort();
    segments.pop().unwrap()
}

#[test]
fn a_deleted_newest_wal_segment_is_a_loss_to_accept() {
    let s = Scratch::new();
    let segment = unflushed_tail(&s, 5, 3);
    assert_eq!(exported(&s).len(), 8);
    std::fs::remove_file(&segment).unwrap();

    assert_verify_missing(&s, &segment);
    assert_repair_refuses(&s, &segment);

    let (out, stdout, stderr) = run(&s, &["repair", "--accept-loss"]);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("recorded 1 loss(es)"), "{stdout}");
    let losses = std::fs::read_to_string(s.data().join("LOSSES")).unwrap();
    let name = segment.file_name().unwrap().to_str().unwrap();
    assert!(
        losses.contains(name) && losses.contains("WAL records"),
        "{losses}"
    );
    // What was flushed is there; what was only in the segment is gone.
    let rows = exported(&s);
    let times: Vec<i64> = rows.keys().map(|(_, ts)| *ts).collect();
    assert_eq!(times, [0, 1, 2, 3, 4]);
    let (out, stdout, _) = run(&s, &["verify"]);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
}

#[test]
fn a_stray_is_reported_by_verify_and_left_alone_by_repair() {
    let s = Scratch::new();
    let files = three_partitions(&s);
    let before = exported(&s);
    // A valid TSM file the manifest does not list (generation 0 is never
    // written, so it is no interrupted operation's leftover).
    let stray = s.data().join("tsm/0000000000000000-0000000000000000.tsm");
    std::fs::copy(&files[0], &stray).unwrap();
    let bytes = std::fs::read(&stray).unwrap();

    let (out, stdout, stderr) = run(&s, &["verify"]);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    let line = stdout.lines().find(|l| l.starts_with("STRAY")).unwrap();
    assert!(line.contains(&stray.display().to_string()), "{line}");
    assert!(stdout.contains("1 stray"), "{stdout}");
    assert!(
        stdout.contains("next: stray files are not read"),
        "{stdout}"
    );

    let (out, stdout, stderr) = run(&s, &["repair"]);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("stray {} left alone", stray.display())),
        "{stdout}"
    );
    assert!(stdout.contains("1 stray file(s) left alone"), "{stdout}");
    assert_eq!(std::fs::read(&stray).unwrap(), bytes);
    assert!(!s.data().join("quarantine").exists());
    assert!(!s.data().join("LOSSES").exists());
    // Its points are not read twice, nor instead of the listed file's.
    assert_eq!(exported(&s), before);
}
