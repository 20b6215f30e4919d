//! Golden WAL segments of format version 1 (`skulk-testkit/vectors/wal/v1`,
//! see the README there). Written once with `SKULK_WRITE_GOLDEN=1 cargo test
//! -p skulk-wal --test it golden` (which only creates a missing case),
//! never regenerated.
//!
//! * `clean` and `torn` were written by the first writer, which began every
//!   segment with a definition of every series the log knew. Today's writer
//!   places definitions differently, so these are read-compatibility cases:
//!   today's reader must still decode them to their records.
//! * `clean_lazy_defs` was written by today's writer (each segment defines
//!   only the series it uses, just before their first points there). It is
//!   read back like the others, and a fresh write of the same log must
//!   reproduce every one of its files byte for byte.

use std::path::{Path, PathBuf};
use std::sync::Once;

use skulk_testkit::golden::write_missing_once;
use skulk_testkit::wal_suite::{GoldenWal, WalContents, golden_wal_logs, skulk_wal_contents};
use skulk_wal::{SyncMode, Wal, WalConfig, WalEntry};

/// Bytes cut off the last segment of the `torn` case.
const TORN_CUT: u64 = 5;

/// The records of the `clean` case, as `lsn:kind`.
const CLEAN_RECORDS: &str = "1:def 2:def 3:points 4:points 5:points 6:def 7:def 8:def 9:def \
    10:points 11:def 12:def 13:def 14:def 15:points 16:drop 17:checkpoint";

/// The records of the `clean_lazy_defs` case, as `lsn:kind`.
const LAZY_RECORDS: &str = "1:def 2:def 3:points 4:points 5:points 6:def 7:points 8:def 9:points \
    10:drop 11:checkpoint";

fn kind(entry: &WalEntry) -> &'static str {
    match entry {
        WalEntry::SeriesDef { .. } => "def",
        WalEntry::Points(_) => "points",
        WalEntry::DropPartition(_) => "drop",
        WalEntry::Checkpoint { .. } => "checkpoint",
        _ => "other",
    }
}

fn config() -> WalConfig {
    WalConfig {
        sync_mode: SyncMode::None,
        segment_size: 512,
        ..WalConfig::default()
    }
}

/// The golden case called `name` (listed in `skulk_testkit::wal_suite`).
fn case(name: &str) -> GoldenWal {
    golden_wal_logs()
        .into_iter()
        .find(|g| g.case == name)
        .unwrap_or_else(|| panic!("no golden WAL case {name}"))
}

/// Writes the golden log: its batches, then its drops, then its
/// checkpoints (the order the golden logs were written in).
fn write_log(dir: &Path, log: &WalContents) {
    let (wal, _) = Wal::open(dir, config()).unwrap();
    for batch in &log.batches {
        wal.append_points(batch).unwrap();
    }
    for &partition in &log.drops {
        wal.append(&WalEntry::DropPartition(partition)).unwrap();
    }
    for &safe_lsn in &log.checkpoints {
        wal.append(&WalEntry::Checkpoint { safe_lsn }).unwrap();
    }
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect()
        })
        .unwrap_or_default();
    names.retain(|n| n.ends_with(".wal"));
    names.sort();
    names
}

/// Writes a case once: never touches an existing file.
fn write_once(case: &Path) {
    if !files_in(case).is_empty() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    write_log(tmp.path(), &(self::case("clean_lazy_defs").expected)());
    std::fs::create_dir_all(case).unwrap();
    let names = files_in(tmp.path());
    for name in &names {
        std::fs::copy(tmp.path().join(name), case.join(name)).unwrap();
    }
    println!(
        "wrote {} golden WAL segments to {}",
        names.len(),
        case.display()
    );
}

fn check_listed(case: &Path, listed: &[&str]) {
    let present = files_in(case);
    for name in listed {
        assert!(
            present.iter().any(|p| p == name),
            "golden file {} missing",
            case.join(name).display()
        );
    }
    for name in &present {
        assert!(
            listed.contains(&name.as_str()),
            "golden file {name} has no test: list it"
        );
    }
    assert!(
        !listed.is_empty(),
        "no golden files listed for {}",
        case.display()
    );
}

/// The log in `dir` holds exactly what its golden case lists.
fn check_contents(dir: &Path, golden: &GoldenWal) {
    let got = skulk_wal_contents(dir).unwrap();
    assert_eq!(got, (golden.expected)(), "{}", dir.display());
}

fn record_kinds(recovery: &skulk_wal::Recovery) -> String {
    let kinds: Vec<String> = recovery
        .records()
        .iter()
        .map(|(l, e)| format!("{l}:{}", kind(e)))
        .collect();
    kinds.join(" ")
}

/// The folder of the golden cases. Under `SKULK_WRITE_GOLDEN=1`, first
/// creates the `clean_lazy_defs` case if it is missing (`clean` and `torn`
/// are not written any more: today's writer cannot reproduce them). The
/// writing happens once per test run, and every test gets the folder from
/// here, so the tests running in parallel wait until it is done before
/// they read any golden file.
fn golden_root() -> PathBuf {
    static ONCE: Once = Once::new();
    let lazy = case("clean_lazy_defs").dir();
    write_missing_once(&ONCE, || write_once(&lazy));
    lazy.parent().unwrap().to_path_buf()
}

#[test]
fn every_golden_wal_file_is_listed() {
    let root = golden_root();
    for golden in golden_wal_logs() {
        check_listed(&golden.dir(), golden.files);
    }
    let mut cases: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    cases.sort();
    assert_eq!(
        cases,
        ["clean", "clean_lazy_defs", "torn"],
        "a case has no test"
    );
}

/// The first writer's segments: today's reader still decodes them.
#[test]
fn golden_v1_segments_of_the_first_writer_still_read_back() {
    golden_root();
    let (clean_case, torn_case) = (case("clean"), case("torn"));
    let clean = Wal::recover(clean_case.dir()).unwrap();
    assert_eq!(clean.torn_bytes(), 0);
    assert_eq!(clean.segments().len(), clean_case.files.len());
    assert_eq!(record_kinds(&clean), CLEAN_RECORDS);
    check_contents(&clean_case.dir(), &clean_case);

    // `torn` is `clean` with the last segment cut short.
    for (i, name) in torn_case.files.iter().enumerate() {
        let clean = std::fs::read(clean_case.dir().join(name)).unwrap();
        let torn = std::fs::read(torn_case.dir().join(name)).unwrap();
        let cut = if i + 1 == torn_case.files.len() {
            TORN_CUT
        } else {
            0
        };
        assert_eq!(torn.len() as u64 + cut, clean.len() as u64, "{name}");
        assert!(clean.starts_with(&torn), "{name}");
    }
    let torn = Wal::recover(torn_case.dir()).unwrap();
    assert!(torn.torn_bytes() > 0);
    assert_eq!(torn.records().len() + 1, clean.records().len());
    check_contents(&torn_case.dir(), &torn_case);

    // Segment headers did not change.
    let tmp = tempfile::tempdir().unwrap();
    write_log(tmp.path(), &(clean_case.expected)());
    let first = clean_case.files[0];
    let golden = std::fs::read(clean_case.dir().join(first)).unwrap();
    let today = std::fs::read(tmp.path().join(first)).unwrap();
    let header = skulk_wal::SEGMENT_HEADER_LEN;
    assert_eq!(today[..header], golden[..header], "{first}");
}

/// Today's writer's segments read back, and a fresh write of the same log
/// reproduces every file byte for byte.
#[test]
fn golden_v1_segments_of_todays_writer_are_reproduced_exactly() {
    golden_root();
    let lazy = case("clean_lazy_defs");
    let case = lazy.dir();
    let golden = Wal::recover(&case).unwrap();
    assert_eq!(golden.torn_bytes(), 0);
    assert_eq!(golden.segments().len(), lazy.files.len());
    assert_eq!(record_kinds(&golden), LAZY_RECORDS);
    check_contents(&case, &lazy);

    let tmp = tempfile::tempdir().unwrap();
    write_log(tmp.path(), &(lazy.expected)());
    assert_eq!(
        files_in(tmp.path()),
        lazy.files,
        "segment names of a fresh write"
    );
    for name in lazy.files {
        let want = std::fs::read(case.join(name)).unwrap();
        let got = std::fs::read(tmp.path().join(name)).unwrap();
        if let Some(at) = (0..want.len().max(got.len())).find(|&i| want.get(i) != got.get(i)) {
            panic!(
                "{name}: a fresh write differs from the golden file at byte {at} \
                 (golden {} bytes, fresh {} bytes)",
                want.len(),
                got.len()
            );
        }
    }
}
