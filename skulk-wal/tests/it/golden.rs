//! Golden WAL segments of format version 1 (`skulk-testkit/vectors/wal/v1`,
//! see the README there). Written once with `SKULK_WRITE_GOLDEN=1`, never
//! regenerated; this test reads them with today's code and checks that
//! today's writer still produces segments with the same header bytes that
//! hold the same records. (Where the writer puts series definitions and
//! where it rolls over is its choice, not part of the format: since each
//! segment defines its series itself, the bytes after the header differ
//! from these files.)

use std::path::{Path, PathBuf};
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

/// Bytes cut off the last segment of the `torn` case.
const TORN_CUT: u64 = 5;

/// The records of the `clean` case, as `lsn:kind`.
const CLEAN_RECORDS: &str = "1:def 2:def 3:points 4:points 5:points 6:def 7:def 8:def 9:def \
    10:points 11:def 12:def 13:def 14:def 15:points 16:drop 17:checkpoint";

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
fn write_once(case: &Path, torn: bool) {
    if !files_in(case).is_empty() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    write_log(tmp.path());
    std::fs::create_dir_all(case).unwrap();
    let names = files_in(tmp.path());
    for (i, name) in names.iter().enumerate() {
        let mut bytes = std::fs::read(tmp.path().join(name)).unwrap();
        if torn && i + 1 == names.len() {
            bytes.truncate(bytes.len() - TORN_CUT as usize);
        }
        std::fs::write(case.join(name), bytes).unwrap();
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

#[test]
fn golden_v1_segments_read_back_and_are_reproduced() {
    let root = PathBuf::from(GOLDEN);
    if std::env::var("SKULK_WRITE_GOLDEN").as_deref() == Ok("1") {
        write_once(&root.join("clean"), false);
        write_once(&root.join("torn"), true);
    }
    check_listed(&root.join("clean"), CLEAN);
    check_listed(&root.join("torn"), TORN);

    let clean = Wal::recover(root.join("clean")).unwrap();
    assert_eq!(clean.torn_bytes(), 0);
    assert_eq!(clean.segments().len(), CLEAN.len());
    let kinds: Vec<String> = clean
        .records()
        .iter()
        .map(|(l, e)| format!("{l}:{}", kind(e)))
        .collect();
    assert_eq!(kinds.join(" "), CLEAN_RECORDS);
    check_contents(&clean, false);

    let torn = Wal::recover(root.join("torn")).unwrap();
    assert!(torn.torn_bytes() > 0);
    assert_eq!(torn.records().len() + 1, clean.records().len());
    check_contents(&torn, true);

    // Today's writer produces the same segment header and the same records.
    let tmp = tempfile::tempdir().unwrap();
    write_log(tmp.path());
    let first = CLEAN[0];
    let golden = std::fs::read(root.join("clean").join(first)).unwrap();
    let today = std::fs::read(tmp.path().join(first)).unwrap();
    let header = skulk_wal::SEGMENT_HEADER_LEN;
    assert_eq!(today[..header], golden[..header], "{first}");
    check_contents(&Wal::recover(tmp.path()).unwrap(), false);
}
