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
use std::time::Duration;

use skulk_format::{DataPoint, TimePartition};
use skulk_wal::{SyncMode, Wal, WalConfig, WalEntry};

use crate::common::{self, entry_bit_eq};

const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../skulk-testkit/vectors/wal/v1"
);

/// Every golden file, by case.
const CLEAN: &[&str] = &[
    "0000000000000001.wal",
    "0000000000000007.wal",
    "000000000000000b.wal",
];
const TORN: &[&str] = &[
    "0000000000000001.wal",
    "0000000000000007.wal",
    "000000000000000b.wal",
];

/// The `clean_lazy_defs` case: the same log as `clean`, by today's writer.
const LAZY: &[&str] = &[
    "0000000000000001.wal",
    "0000000000000006.wal",
    "000000000000000b.wal",
];

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

/// The points of the golden log: two series, special values, extreme
/// timestamps.
fn golden_batches() -> Vec<Vec<DataPoint>> {
    let cpu = |host: &str, ts: i64, v: f64| {
        DataPoint::new(
            "cpu.usage",
            common::labels(&[("host", host), ("dc", "eu-1")]),
            ts,
            v,
        )
    };
    vec![
        vec![
            cpu("a", 1_700_000_000_000_000_000, 0.5),
            cpu("b", 1_700_000_000_000_000_000, -0.0),
        ],
        vec![
            cpu("a", i64::MIN, f64::NAN),
            cpu("a", i64::MAX, f64::INFINITY),
        ],
        vec![
            cpu("b", -1, f64::from_bits(0xfff4_0000_dead_beef)),
            cpu("b", 0, 5e-324),
        ],
        (0..12)
            .map(|i| cpu("c", i * 10_000_000_000, i as f64 * 1.25))
            .collect(),
        vec![DataPoint::new("mem", vec![], 42, f64::MAX)],
    ]
}

/// The non-point entries appended after the batches.
fn golden_entries() -> Vec<WalEntry> {
    let hour = Duration::from_secs(3600);
    vec![
        WalEntry::DropPartition(TimePartition::containing(0, hour).unwrap()),
        WalEntry::Checkpoint { safe_lsn: 3 },
    ]
}

fn write_log(dir: &Path) {
    let (wal, _) = Wal::open(dir, config()).unwrap();
    for batch in golden_batches() {
        wal.append_points(&batch).unwrap();
    }
    for entry in golden_entries() {
        wal.append(&entry).unwrap();
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
    write_log(tmp.path());
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

/// The recovered log holds exactly the golden batches and entries, in order.
fn check_contents(recovery: &skulk_wal::Recovery, torn: bool) {
    let points = recovery.data_points().unwrap();
    let batches = golden_batches();
    assert_eq!(points.len(), batches.len());
    for ((_, got), want) in points.iter().zip(&batches) {
        assert!(got.len() == want.len() && got.iter().zip(want).all(|(a, b)| a.bit_eq(b)));
    }
    let others: Vec<&WalEntry> = recovery
        .records()
        .iter()
        .map(|(_, e)| e)
        .filter(|e| matches!(e, WalEntry::DropPartition(_) | WalEntry::Checkpoint { .. }))
        .collect();
    let want = golden_entries();
    let want = if torn {
        &want[..want.len() - 1]
    } else {
        &want[..]
    };
    assert_eq!(others.len(), want.len());
    assert!(others.iter().zip(want).all(|(a, b)| entry_bit_eq(a, b)));
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
    let root = PathBuf::from(GOLDEN);
    if std::env::var("SKULK_WRITE_GOLDEN").as_deref() == Ok("1") {
        ONCE.call_once(|| write_once(&root.join("clean_lazy_defs")));
    }
    root
}

#[test]
fn every_golden_wal_file_is_listed() {
    let root = golden_root();
    check_listed(&root.join("clean"), CLEAN);
    check_listed(&root.join("torn"), TORN);
    check_listed(&root.join("clean_lazy_defs"), LAZY);
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
    let root = golden_root();
    let clean = Wal::recover(root.join("clean")).unwrap();
    assert_eq!(clean.torn_bytes(), 0);
    assert_eq!(clean.segments().len(), CLEAN.len());
    assert_eq!(record_kinds(&clean), CLEAN_RECORDS);
    check_contents(&clean, false);

    // `torn` is `clean` with the last segment cut short.
    for (i, name) in TORN.iter().enumerate() {
        let clean = std::fs::read(root.join("clean").join(name)).unwrap();
        let torn = std::fs::read(root.join("torn").join(name)).unwrap();
        let cut = if i + 1 == TORN.len() { TORN_CUT } else { 0 };
        assert_eq!(torn.len() as u64 + cut, clean.len() as u64, "{name}");
        assert!(clean.starts_with(&torn), "{name}");
    }
    let torn = Wal::recover(root.join("torn")).unwrap();
    assert!(torn.torn_bytes() > 0);
    assert_eq!(torn.records().len() + 1, clean.records().len());
    check_contents(&torn, true);

    // Segment headers did not change.
    let tmp = tempfile::tempdir().unwrap();
    write_log(tmp.path());
    let first = CLEAN[0];
    let golden = std::fs::read(root.join("clean").join(first)).unwrap();
    let today = std::fs::read(tmp.path().join(first)).unwrap();
    let header = skulk_wal::SEGMENT_HEADER_LEN;
    assert_eq!(today[..header], golden[..header], "{first}");
}

/// Today's writer's segments read back, and a fresh write of the same log
/// reproduces every file byte for byte.
#[test]
fn golden_v1_segments_of_todays_writer_are_reproduced_exactly() {
    let root = golden_root();
    let case = root.join("clean_lazy_defs");
    let golden = Wal::recover(&case).unwrap();
    assert_eq!(golden.torn_bytes(), 0);
    assert_eq!(golden.segments().len(), LAZY.len());
    assert_eq!(record_kinds(&golden), LAZY_RECORDS);
    check_contents(&golden, false);

    let tmp = tempfile::tempdir().unwrap();
    write_log(tmp.path());
    assert_eq!(files_in(tmp.path()), LAZY, "segment names of a fresh write");
    for name in LAZY {
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
