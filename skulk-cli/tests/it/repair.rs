//! `repair` on real damaged data directories: a bad WAL record, a damaged
//! TSM file, a bad manifest or checkpoint, and a directory held by another
//! process.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use skulk_engine::{DataPoint, Engine, EngineConfig, SeriesMeta};

use crate::support::{Scratch, exported, flip, run, snapshot, three_partitions};

/// Points per batch written by [`wal_only`]; each batch is one WAL record.
const PER_BATCH: i64 = 5;

/// A data directory holding only a WAL (nothing flushed): `batches`
/// records of [`PER_BATCH`] points of one series, at timestamps
/// `batch * 100 + i`. Returns the segment and the offset each record starts
/// at.
fn wal_only(s: &Scratch, batches: i64) -> (PathBuf, Vec<u64>) {
    let engine = Engine::open(s.data(), EngineConfig::default()).unwrap();
    let meta = Arc::new(SeriesMeta::new("cpu", vec![("host".into(), "a".into())]));
    let segment = s.data().join("wal/0000000000000001.wal");
    let mut starts = Vec::new();
    // Where each record starts: where the records before it end, under
    // the end mark that follows them.
    let records_end =
        || std::fs::metadata(&segment).unwrap().len() - skulk_wal::END_MARK_LEN as u64;
    for batch in 0..batches {
        starts.push(records_end());
        let points: Vec<DataPoint> = (0..PER_BATCH)
            .map(|i| DataPoint::for_series(Arc::clone(&meta), batch * 100 + i, (batch + i) as f64))
            .collect();
        engine.write_batch(&points).unwrap();
    }
    drop(engine);
    let end = records_end();
    assert!(
        starts.windows(2).all(|w| w[0] < w[1]) && starts.last() < Some(&end),
        "one WAL record per batch: {starts:?} then {end}"
    );
    (segment, starts)
}

fn backups(wal: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(wal)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".repair-"))
        .collect();
    found.sort();
    found
}

#[test]
fn a_clean_directory_needs_nothing() {
    let s = Scratch::new();
    let input = s.write("in.lp", crate::support::LP);
    s.ok(&["import", input.to_str().unwrap()]);
    let before = exported(&s);
    let files = snapshot(&s.data().join("tsm"));
    assert!(!files.is_empty());
    let (out, stdout, stderr) = run(&s, &["repair"]);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("nothing to repair"), "{stdout}");
    assert!(stdout.contains("opened: "), "{stdout}");
    assert!(!stdout.contains("LOSS"), "{stdout}");
    assert!(!s.data().join("quarantine").exists());
    assert!(!s.data().join("LOSSES").exists());
    assert!(backups(&s.data().join("wal")).is_empty());
    assert_eq!(snapshot(&s.data().join("tsm")), files);
    assert_eq!(exported(&s), before);
}

/// Asserts that `repair` (with `extra` arguments) names the lost record
/// of `segment`, changes nothing and exits with the needs-attention code.
fn assert_wal_loss_refused(s: &Scratch, segment: &Path, lsn: u64, extra: &[&str]) {
    let before = snapshot(&s.data());
    let args: Vec<&str> = ["repair"].iter().chain(extra).copied().collect();
    let (out, stdout, stderr) = run(s, &args);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    let loss = stdout
        .lines()
        .find(|l| l.starts_with("LOSS: "))
        .unwrap_or_else(|| panic!("no LOSS line: {stdout}"));
    assert!(
        loss.contains(&segment.display().to_string())
            && loss.contains(&format!("records {lsn}..={lsn}, in no TSM file")),
        "{loss}"
    );
    assert!(!stdout.contains("opened: "), "{stdout}");
    assert!(stderr.contains("--accept-loss"), "{stderr}");
    assert_eq!(
        snapshot(&s.data()),
        before,
        "{args:?} changed the directory"
    );
}

#[test]
fn a_flipped_byte_in_a_middle_wal_record_is_a_loss_to_accept() {
    let s = Scratch::new();
    let (segment, starts) = wal_only(&s, 10);
    let bad = 6;
    // LSN 1 defines the series; batch `b` is LSN `b + 2`.
    let lsn = bad as u64 + 2;
    flip(
        &segment,
        starts[bad] + skulk_wal::FRAME_HEADER_LEN as u64 + 3,
    );
    let damaged = std::fs::read(&segment).unwrap();
    let err = Engine::open(s.data(), EngineConfig::default()).unwrap_err();
    assert!(err.to_string().contains("corrupt WAL segment"), "{err}");

    // verify names the segment.
    let (out, stdout, _) = run(&s, &["verify"]);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    let shown = segment.display().to_string();
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("CORRUPT") && l.contains(&shown)),
        "{stdout}"
    );

    // Without --accept-loss, nothing changes.
    assert_wal_loss_refused(&s, &segment, lsn, &[]);
    assert_wal_loss_refused(&s, &segment, lsn, &["--dry-run"]);
    let before = snapshot(&s.data());
    let (out, stdout, stderr) = run(&s, &["repair", "--dry-run", "--accept-loss"]);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("would rewrite segment(s)"), "{stdout}");
    assert_eq!(snapshot(&s.data()), before);
    assert!(Engine::open(s.data(), EngineConfig::default()).is_err());

    let (out, stdout, stderr) = run(&s, &["repair", "--accept-loss"]);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("rewrote segment(s)"), "{stdout}");
    assert!(stdout.contains("recorded 1 WAL loss(es)"), "{stdout}");
    assert!(stdout.contains("opened: "), "{stdout}");
    let wal = s.data().join("wal");
    let kept = backups(&wal);
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(std::fs::read(&kept[0]).unwrap(), damaged);
    assert!(stdout.contains(&kept[0].display().to_string()), "{stdout}");
    let losses = std::fs::read_to_string(s.data().join("LOSSES")).unwrap();
    assert_eq!(losses.lines().count(), 1, "{losses}");
    assert!(
        losses.contains(" lost wal/0000000000000001.wal: ")
            && losses.contains(&format!("records {lsn}..={lsn}")),
        "{losses}"
    );

    // Every point is there but the damaged record's: the records after
    // it were kept.
    let rows = exported(&s);
    let expected: Vec<i64> = (0..10)
        .filter(|b| *b != bad as i64)
        .flat_map(|b| (0..PER_BATCH).map(move |i| b * 100 + i))
        .collect();
    let got: Vec<i64> = rows.keys().map(|(_, ts)| *ts).collect();
    assert_eq!(got, expected);
    // The repaired log verifies; the backup is not taken for a segment.
    let (out, stdout, _) = run(&s, &["verify"]);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let (out, stdout, _) = run(&s, &["repair"]);
    assert!(
        out.status.success() && stdout.contains("nothing to repair"),
        "{stdout}"
    );
}

#[test]
fn a_torn_tail_is_cut_as_opening_would() {
    let s = Scratch::new();
    let (segment, starts) = wal_only(&s, 4);
    let len = std::fs::metadata(&segment).unwrap().len();
    // The end mark and the last 3 bytes of the last record.
    let mark = skulk_wal::END_MARK_LEN as u64;
    let torn = len - mark - 3;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&segment)
        .unwrap()
        .set_len(torn)
        .unwrap();
    let (out, stdout, stderr) = run(&s, &["repair"]);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let line = format!("torn tail of {} byte(s)", torn - starts[3]);
    assert!(stdout.contains(&line), "{stdout}");
    assert_eq!(std::fs::metadata(&segment).unwrap().len(), starts[3] + mark);
    assert_eq!(backups(&s.data().join("wal")).len(), 1);
    assert_eq!(exported(&s).len(), 3 * PER_BATCH as usize);
}

/// The WAL cut exactly where its last record starts: no torn bytes are
/// left, but the missing end mark shows the cut. `verify` flags it, and
/// `repair` records it as a loss only with `--accept-loss`.
#[test]
fn a_wal_cut_where_a_record_ends_is_flagged_and_its_loss_needs_accepting() {
    let s = Scratch::new();
    let (segment, starts) = wal_only(&s, 4);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&segment)
        .unwrap()
        .set_len(starts[3])
        .unwrap();
    let (out, stdout, stderr) = run(&s, &["verify"]);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(stdout.contains("without its end mark"), "{stdout}");

    let (out, stdout, stderr) = run(&s, &["repair"]);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(stdout.contains("without its end mark"), "{stdout}");
    assert!(stderr.contains("--accept-loss"), "{stderr}");
    assert_eq!(std::fs::metadata(&segment).unwrap().len(), starts[3]);

    let (out, stdout, stderr) = run(&s, &["repair", "--accept-loss"]);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let losses = std::fs::read_to_string(s.data().join("LOSSES")).unwrap();
    assert!(losses.contains("the log's end, cut at byte"), "{losses}");
    let mark = skulk_wal::END_MARK_LEN as u64;
    assert_eq!(std::fs::metadata(&segment).unwrap().len(), starts[3] + mark);
    assert_eq!(exported(&s).len(), 3 * PER_BATCH as usize);
    let (out, stdout, _) = run(&s, &["verify"]);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
}

#[test]
fn a_truncated_tsm_file_is_quarantined_and_its_loss_needs_accepting() {
    let s = Scratch::new();
    let files = three_partitions(&s);
    let before = exported(&s);
    let victim = &files[1];
    let original = std::fs::read(victim).unwrap();
    let truncated = &original[..original.len() - 7];
    std::fs::write(victim, truncated).unwrap();
    assert!(Engine::open(s.data(), EngineConfig::default()).is_err());
    let record = crate::support::manifest(&s)
        .files
        .into_iter()
        .find(|f| s.data().join(&f.path) == *victim)
        .unwrap();

    // The file is moved, but its loss is not accepted without the flag.
    let (out, stdout, stderr) = run(&s, &["repair"]);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    let moved = s
        .data()
        .join("quarantine")
        .join(victim.file_name().unwrap());
    assert!(!victim.exists());
    assert_eq!(std::fs::read(&moved).unwrap(), truncated);
    assert!(stdout.contains(&moved.display().to_string()), "{stdout}");
    let loss = stdout.lines().find(|l| l.starts_with("LOSS: ")).unwrap();
    assert!(loss.contains(&victim.display().to_string()), "{loss}");
    assert!(
        loss.contains(&format!("{} points", record.points)),
        "{loss}"
    );
    assert!(!stdout.contains("opened: "), "{stdout}");
    assert!(stderr.contains("--accept-loss"), "{stderr}");
    assert!(Engine::open(s.data(), EngineConfig::default()).is_err());

    let (out, stdout, stderr) = run(&s, &["repair", "--accept-loss"]);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("opened: 2 TSM file(s)"), "{stdout}");
    let losses = std::fs::read_to_string(s.data().join("LOSSES")).unwrap();
    assert!(
        losses.contains(victim.file_name().unwrap().to_str().unwrap()),
        "{losses}"
    );
    assert_eq!(std::fs::read(&moved).unwrap(), truncated);

    // Exactly the victim's points are gone: one day of series.
    let after = exported(&s);
    let lost: Vec<_> = before.keys().filter(|k| !after.contains_key(k)).collect();
    assert_eq!(lost.len() as u64, record.points);
    let day = format!("d{}", record.min_ts / 86_400_000_000_000);
    assert!(
        lost.iter().all(|(series, _)| series.contains(&day)),
        "{lost:?}"
    );
    assert!(after.iter().all(|(k, v)| before.get(k) == Some(v)));

    // The repaired directory verifies clean; the quarantine alone does not.
    let data = s.data();
    let (out, stdout, stderr) = run(&s, &["verify", data.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let quarantine = data.join("quarantine");
    let (out, stdout, _) = run(&s, &["verify", quarantine.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
}

#[test]
fn a_tsm_file_with_a_bad_block_is_quarantined() {
    let s = Scratch::new();
    let files = three_partitions(&s);
    // Opening maps the file without reading its blocks; the check finds it.
    flip(&files[0], skulk_format::HEADER_LEN as u64 + 2);
    let before = snapshot(&s.data());
    let (out, stdout, stderr) = run(&s, &["repair", "--dry-run", "--accept-loss"]);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("would move"), "{stdout}");
    assert!(
        stdout.contains("--accept-loss would record 1 loss(es)"),
        "{stdout}"
    );
    assert_eq!(snapshot(&s.data()), before, "a dry run writes nothing");
    let (out, stdout, stderr) = run(&s, &["repair"]);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(!files[0].exists() && files[1].exists() && files[2].exists());
    assert!(stdout.contains("1 damaged"), "{stdout}");
    // The index was intact: the loss names the series.
    let loss = stdout.lines().find(|l| l.starts_with("LOSS: ")).unwrap();
    assert!(loss.contains("series m{day=\"d0\"}"), "{loss}");

    // Accepted on a second run: the series come from the quarantined copy.
    let (out, stdout, stderr) = run(&s, &["repair", "--accept-loss"]);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let loss = stdout.lines().find(|l| l.starts_with("LOSS: ")).unwrap();
    assert!(
        loss.contains("series m{day=\"d0\"}") && loss.contains("a copy is in"),
        "{loss}"
    );
    assert_eq!(exported(&s).len(), 8);
}

#[test]
fn a_bad_manifest_is_left_alone_and_needs_attention() {
    let s = Scratch::new();
    three_partitions(&s);
    let manifest = s.data().join(skulk_engine::MANIFEST_FILE_NAME);
    flip(&manifest, 30);
    let damaged = std::fs::read(&manifest).unwrap();
    for args in [&["repair"][..], &["repair", "--accept-loss"]] {
        let (out, stdout, stderr) = run(&s, args);
        assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
        assert!(stdout.contains("manual attention"), "{stdout}");
        assert!(
            stderr.contains("MANIFEST") && stderr.contains("CRC32"),
            "{stderr}"
        );
        assert!(!stdout.contains("opened: "), "{stdout}");
        assert_eq!(std::fs::read(&manifest).unwrap(), damaged);
        assert!(!s.data().join("LOSSES").exists());
    }
}

#[test]
fn a_bad_layout1_checkpoint_is_left_alone_and_needs_attention() {
    let s = Scratch::new();
    crate::support::copy_dir(&crate::support::layout1_vector(), &s.data());
    let checkpoint = s.data().join(skulk_engine::CHECKPOINT_FILE_NAME);
    flip(&checkpoint, 10);
    let damaged = std::fs::read(&checkpoint).unwrap();
    let (out, stdout, stderr) = run(&s, &["repair"]);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(stdout.contains("manual attention"), "{stdout}");
    assert!(
        stderr.contains("CHECKPOINT") && stderr.contains("CRC32"),
        "{stderr}"
    );
    assert!(!stdout.contains("opened: "), "{stdout}");
    assert_eq!(std::fs::read(&checkpoint).unwrap(), damaged);
    assert!(!s.data().join(skulk_engine::MANIFEST_FILE_NAME).exists());
}

#[test]
fn a_directory_in_use_is_refused() {
    let s = Scratch::new();
    three_partitions(&s);
    let lock = skulk_format::storage::Storage::lock(
        &skulk_format::storage::FsStorage::new(s.data()),
        std::path::Path::new("LOCK"),
    )
    .unwrap();
    let before = snapshot(&s.data());
    let (out, stdout, stderr) = run(&s, &["repair"]);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("in use by another process"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    drop(lock);
    assert_eq!(snapshot(&s.data()), before);
}

#[test]
fn a_missing_directory_is_a_usage_error() {
    let s = Scratch::new();
    let (out, _, stderr) = run(&s, &["repair"]);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!s.data().exists());
}
