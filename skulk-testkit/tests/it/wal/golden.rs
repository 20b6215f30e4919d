//! Golden WAL segments (`skulk-testkit/vectors/wal/v<version>`, see the
//! READMEs there). Written once with `SKULK_WRITE_GOLDEN=1 cargo test -p
//! skulk-testkit --test it golden` (which only creates a missing case),
//! never regenerated.
//!
//! * Version 1 (`v1/`): `clean` and `torn` were written by the first writer,
//!   which began every segment with a definition of every series the log
//!   knew; `clean_lazy_defs` by the writer that defines in each segment
//!   only the series it uses. Read-compatibility cases: today's reader
//!   must still decode them.
//! * Version 2 (`v2/`): `clean` and `torn` (`clean` with the last 5 bytes
//!   cut), written by the version-2 writer; read-compatibility cases too.
//! * Version 3 (`v3/`): `clean` was written by today's writer; it reads back
//!   and a fresh write of the same log reproduces every file byte for byte.
//!   `torn` is `clean` with the end mark and 5 more bytes cut; `lost_end`
//!   is `clean` cut exactly where the last record starts.

use std::path::{Path, PathBuf};
use std::sync::Once;

use skulk_testkit::golden::write_missing_once;
use skulk_testkit::wal_suite::{GoldenWal, WalContents, golden_wal_logs, skulk_wal_contents};
use skulk_wal::{SyncMode, Wal, WalConfig, WalEntry};

/// Bytes cut off the last segment of the version-2 `torn` case.
const TORN_CUT: u64 = 5;
/// Bytes cut off the last segment of the version-3 `torn` case: the end
/// mark and 5 bytes of the last record.
const V3_TORN_CUT: u64 = skulk_wal::END_MARK_LEN as u64 + TORN_CUT;
/// Bytes of the last record of the clean log (a Checkpoint: frame header
/// and an 8-byte LSN), cut off with the end mark in the `lost_end` case.
const CHECKPOINT_FRAME: u64 = skulk_wal::FRAME_HEADER_LEN as u64 + 8;

/// The records of the `clean` case, as `lsn:kind`.
const CLEAN_RECORDS: &str = "1:def 2:def 3:points 4:points 5:points 6:def 7:def 8:def 9:def \
    10:points 11:def 12:def 13:def 14:def 15:points 16:drop 17:checkpoint";

/// The records of the version-2 `clean` case, as `lsn:kind`.
const V2_RECORDS: &str = "1:def 2:def 3:points 4:points 5:points 6:def 7:points 8:def 9:points \
    10:drop 11:checkpoint";

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

/// Every append synced, so that each frame's synced-through mark is its
/// own offset.
fn config() -> WalConfig {
    WalConfig {
        sync_mode: SyncMode::Fsync,
        segment_size: 512,
        ..WalConfig::default()
    }
}

/// The golden case called `name` of format `version` (listed in
/// `skulk_testkit::wal_suite`).
fn case(name: &str, version: u8) -> GoldenWal {
    golden_wal_logs()
        .into_iter()
        .find(|g| g.case == name && g.version == version)
        .unwrap_or_else(|| panic!("no golden WAL case v{version}/{name}"))
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

/// Writes the version-3 cases once: never touches an existing file.
fn write_once(clean: &Path, torn: &Path, lost_end: &Path) {
    for dir in [clean, torn, lost_end] {
        if !files_in(dir).is_empty() {
            return;
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    write_log(tmp.path(), &(self::case("clean", 3).expected)());
    let names = files_in(tmp.path());
    for dir in [clean, torn, lost_end] {
        std::fs::create_dir_all(dir).unwrap();
        for name in &names {
            std::fs::copy(tmp.path().join(name), dir.join(name)).unwrap();
        }
    }
    let end_mark = skulk_wal::END_MARK_LEN as u64;
    for (dir, cut) in [(torn, V3_TORN_CUT), (lost_end, end_mark + CHECKPOINT_FRAME)] {
        let last = dir.join(names.last().unwrap());
        let len = std::fs::metadata(&last).unwrap().len();
        let file = std::fs::OpenOptions::new().write(true).open(&last).unwrap();
        file.set_len(len - cut).unwrap();
    }
    println!(
        "wrote {} golden WAL segments to {}, {} and {}",
        names.len(),
        clean.display(),
        torn.display(),
        lost_end.display()
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
/// creates the version-3 cases if they are missing (older versions are
/// not written any more: today's writer cannot produce them). The writing
/// happens once per test run, and every test gets the folder from here, so
/// the tests running in parallel wait until it is done before they read
/// any golden file.
fn golden_root() -> PathBuf {
    static ONCE: Once = Once::new();
    let [clean, torn, lost_end] = ["clean", "torn", "lost_end"].map(|name| case(name, 3).dir());
    write_missing_once(&ONCE, || write_once(&clean, &torn, &lost_end));
    clean.parent().unwrap().parent().unwrap().to_path_buf()
}

#[test]
fn every_golden_wal_file_is_listed() {
    let root = golden_root();
    for golden in golden_wal_logs() {
        check_listed(&golden.dir(), golden.files);
    }
    let mut cases: Vec<String> = Vec::new();
    for version in std::fs::read_dir(&root).unwrap() {
        let version = version.unwrap();
        if !version.path().is_dir() {
            continue;
        }
        for case in std::fs::read_dir(version.path()).unwrap() {
            let case = case.unwrap();
            if case.path().is_dir() {
                cases.push(format!(
                    "{}/{}",
                    version.file_name().into_string().unwrap(),
                    case.file_name().into_string().unwrap()
                ));
            }
        }
    }
    cases.sort();
    assert_eq!(
        cases,
        [
            "v1/clean",
            "v1/clean_lazy_defs",
            "v1/torn",
            "v2/clean",
            "v2/torn",
            "v3/clean",
            "v3/lost_end",
            "v3/torn"
        ],
        "a case has no test"
    );
}

/// `torn` is `clean` with the last segment cut `torn_cut` bytes short,
/// and reads back as `clean` without its last record.
fn check_torn(clean_case: &GoldenWal, torn_case: &GoldenWal, torn_cut: u64) {
    let clean = Wal::recover(clean_case.dir()).unwrap();
    for (i, name) in torn_case.files.iter().enumerate() {
        let clean = std::fs::read(clean_case.dir().join(name)).unwrap();
        let torn = std::fs::read(torn_case.dir().join(name)).unwrap();
        let cut = if i + 1 == torn_case.files.len() {
            torn_cut
        } else {
            0
        };
        assert_eq!(torn.len() as u64 + cut, clean.len() as u64, "{name}");
        assert!(clean.starts_with(&torn), "{name}");
    }
    let torn = Wal::recover(torn_case.dir()).unwrap();
    assert!(torn.torn_bytes() > 0);
    assert_eq!(torn.records().len() + 1, clean.records().len());
    check_contents(&torn_case.dir(), torn_case);
}

/// The version-1 segments: today's reader still decodes them.
#[test]
fn golden_v1_segments_still_read_back() {
    golden_root();
    let (clean_case, torn_case) = (case("clean", 1), case("torn", 1));
    let clean = Wal::recover(clean_case.dir()).unwrap();
    assert_eq!(clean.torn_bytes(), 0);
    assert_eq!(clean.segments().len(), clean_case.files.len());
    assert!(
        clean
            .segments()
            .iter()
            .all(|s| s.version == skulk_wal::WalVersion::V1)
    );
    assert_eq!(record_kinds(&clean), CLEAN_RECORDS);
    check_contents(&clean_case.dir(), &clean_case);
    check_torn(&clean_case, &torn_case, TORN_CUT);

    let lazy = case("clean_lazy_defs", 1);
    let recovery = Wal::recover(lazy.dir()).unwrap();
    assert_eq!(recovery.torn_bytes(), 0);
    assert_eq!(recovery.segments().len(), lazy.files.len());
    assert_eq!(record_kinds(&recovery), LAZY_RECORDS);
    check_contents(&lazy.dir(), &lazy);
}

/// A log of an older version opened by today's writer continues in a new
/// version-3 segment and keeps every record.
#[test]
fn older_logs_continue_in_a_v3_segment() {
    golden_root();
    for (old, version) in [
        (case("clean_lazy_defs", 1), skulk_wal::WalVersion::V1),
        (case("clean", 2), skulk_wal::WalVersion::V2),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        for name in old.files {
            std::fs::copy(old.dir().join(name), tmp.path().join(name)).unwrap();
        }
        let (wal, recovery) = Wal::open(tmp.path(), config()).unwrap();
        let before = recovery.records().len();
        let lsn = wal.append(&WalEntry::Checkpoint { safe_lsn: 1 }).unwrap();
        drop(wal);
        let after = Wal::recover(tmp.path()).unwrap();
        assert_eq!(after.records().len(), before + 1);
        assert_eq!(after.last_lsn(), Some(lsn));
        assert_eq!(after.lost_end(), None);
        let last = after.segments().last().unwrap();
        assert_eq!(last.version, skulk_wal::WalVersion::V3);
        assert_eq!(last.first_lsn, lsn);
        assert!(
            after.segments()[..old.files.len()]
                .iter()
                .all(|s| s.version == version)
        );
    }
}

/// The version-2 segments: today's reader still decodes them (a log of
/// that version has no end marks, so its end is never reported lost).
#[test]
fn golden_v2_segments_still_read_back() {
    golden_root();
    let clean_case = case("clean", 2);
    let golden = Wal::recover(clean_case.dir()).unwrap();
    assert_eq!(golden.torn_bytes(), 0);
    assert_eq!(golden.lost_end(), None);
    assert_eq!(golden.segments().len(), clean_case.files.len());
    assert_eq!(record_kinds(&golden), V2_RECORDS);
    check_contents(&clean_case.dir(), &clean_case);
    check_torn(&clean_case, &case("torn", 2), TORN_CUT);

    // Control: cut where its last record starts, a version-2 log reads as
    // a shorter log with nothing to report, the loss the end mark of
    // version 3 makes visible.
    let tmp = tempfile::tempdir().unwrap();
    for name in clean_case.files {
        std::fs::copy(clean_case.dir().join(name), tmp.path().join(name)).unwrap();
    }
    let last = tmp.path().join(clean_case.files.last().unwrap());
    let len = std::fs::metadata(&last).unwrap().len();
    let file = std::fs::OpenOptions::new().write(true).open(&last).unwrap();
    file.set_len(len - CHECKPOINT_FRAME).unwrap();
    let cut = Wal::recover(tmp.path()).unwrap();
    assert_eq!(cut.records().len() + 1, golden.records().len());
    assert_eq!((cut.torn_bytes(), cut.lost_end()), (0, None));
}

/// Today's segments read back, and a fresh write of the same log
/// reproduces every file byte for byte; the `lost_end` case reports its
/// cut.
#[test]
fn golden_v3_segments_are_reproduced_exactly() {
    golden_root();
    let clean_case = case("clean", 3);
    let case = clean_case.dir();
    let golden = Wal::recover(&case).unwrap();
    assert_eq!(golden.torn_bytes(), 0);
    assert_eq!(golden.lost_end(), None);
    assert_eq!(golden.segments().len(), clean_case.files.len());
    assert_eq!(record_kinds(&golden), V2_RECORDS);
    check_contents(&case, &clean_case);
    check_torn(&clean_case, &self::case("torn", 3), V3_TORN_CUT);

    let lost_case = self::case("lost_end", 3);
    check_contents(&lost_case.dir(), &lost_case);
    let lost = Wal::recover(lost_case.dir()).unwrap();
    let end = lost.lost_end().expect("the cut is reported");
    assert_eq!(end.last_lsn, 10);
    let last = lost_case.dir().join(lost_case.files.last().unwrap());
    assert_eq!(end.offset, std::fs::metadata(&last).unwrap().len());

    let tmp = tempfile::tempdir().unwrap();
    write_log(tmp.path(), &(clean_case.expected)());
    assert_eq!(
        files_in(tmp.path()),
        clean_case.files,
        "segment names of a fresh write"
    );
    for name in clean_case.files {
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
