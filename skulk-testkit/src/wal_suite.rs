//! WAL format conformance: the golden logs of `vectors/wal/v<N>/` with
//! their expected contents, and a check any WAL reader can be run against.
//!
//! Each golden case is a directory of segment files (see the README next to
//! them). A reader is a function from a directory to [`WalContents`];
//! [`skulk_wal_contents`] is the one built on `skulk_wal::Wal::recover`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use skulk_format::{DataPoint, TimePartition};
use skulk_wal::{Wal, WalEntry, WalError};

use crate::format_suite::vectors_dir;

/// What a log holds, as a reader reports it.
#[derive(Debug, Clone, Default)]
pub struct WalContents {
    /// Every batch of points, in log order, with complete series metadata.
    pub batches: Vec<Vec<DataPoint>>,
    /// Every partition dropped by retention, in log order.
    pub drops: Vec<TimePartition>,
    /// Every checkpoint's safe LSN, in log order.
    pub checkpoints: Vec<u64>,
    /// Bytes of a torn tail the reader cut (or would cut).
    pub torn_bytes: u64,
    /// The log ends right after a record without its end mark (format 3):
    /// its end was cut, records after it may be lost.
    pub lost_end: bool,
}

impl PartialEq for WalContents {
    /// Points compare bit for bit (NaN payloads, `-0.0`).
    fn eq(&self, other: &Self) -> bool {
        let batch_eq = |a: &Vec<DataPoint>, b: &Vec<DataPoint>| {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.bit_eq(y))
        };
        self.batches.len() == other.batches.len()
            && self
                .batches
                .iter()
                .zip(&other.batches)
                .all(|(a, b)| batch_eq(a, b))
            && self.drops == other.drops
            && self.checkpoints == other.checkpoints
            && self.torn_bytes == other.torn_bytes
            && self.lost_end == other.lost_end
    }
}

/// Reads the log in `dir` with `skulk_wal` (read-only recovery).
pub fn skulk_wal_contents(dir: &Path) -> Result<WalContents, WalError> {
    let recovery = Wal::recover(dir)?;
    let mut contents = WalContents {
        torn_bytes: recovery.torn_bytes(),
        lost_end: recovery.lost_end().is_some(),
        ..WalContents::default()
    };
    contents.batches = recovery
        .data_points()?
        .into_iter()
        .map(|(_, points)| points)
        .collect();
    for (_, entry) in recovery.records() {
        match entry {
            WalEntry::DropPartition(partition) => contents.drops.push(*partition),
            WalEntry::Checkpoint { safe_lsn } => contents.checkpoints.push(*safe_lsn),
            _ => {}
        }
    }
    Ok(contents)
}

/// One golden log.
#[derive(Debug, Clone)]
pub struct GoldenWal {
    /// The case: a directory under `vectors/wal/v<version>/`.
    pub case: &'static str,
    /// Format version.
    pub version: u8,
    /// The segment files the case holds.
    pub files: &'static [&'static str],
    /// What a reader must report.
    pub expected: fn() -> WalContents,
}

impl GoldenWal {
    /// The case's directory.
    pub fn dir(&self) -> PathBuf {
        vectors_dir()
            .join("wal")
            .join(format!("v{}", self.version))
            .join(self.case)
    }
}

/// The segments of the v1 cases written by the first writer, which began
/// every segment with a definition of every known series.
const V1_FILES: &[&str] = &[
    "0000000000000001.wal",
    "0000000000000007.wal",
    "000000000000000b.wal",
];

/// The segments of the v1 case written by today's writer, which defines in
/// each segment only the series it uses (same records otherwise).
const V1_LAZY_DEFS_FILES: &[&str] = &[
    "0000000000000001.wal",
    "0000000000000006.wal",
    "000000000000000b.wal",
];

/// The segments of the v2 cases (today's writer: 8 more bytes per frame
/// for the synced-through mark, so the last segment starts earlier).
const V2_FILES: &[&str] = &[
    "0000000000000001.wal",
    "0000000000000006.wal",
    "000000000000000a.wal",
];

/// The segments of the v3 cases.
const V3_FILES: &[&str] = &[
    "0000000000000001.wal",
    "0000000000000006.wal",
    "0000000000000008.wal",
];

/// Every golden WAL log.
pub fn golden_wal_logs() -> Vec<GoldenWal> {
    vec![
        GoldenWal {
            case: "clean",
            version: 1,
            files: V1_FILES,
            expected: clean_log,
        },
        GoldenWal {
            case: "torn",
            version: 1,
            files: V1_FILES,
            expected: v1_torn,
        },
        GoldenWal {
            case: "clean_lazy_defs",
            version: 1,
            files: V1_LAZY_DEFS_FILES,
            expected: clean_log,
        },
        GoldenWal {
            case: "clean",
            version: 2,
            files: V2_FILES,
            expected: clean_log,
        },
        GoldenWal {
            case: "torn",
            version: 2,
            files: V2_FILES,
            expected: v2_torn,
        },
        GoldenWal {
            case: "clean",
            version: 3,
            files: V3_FILES,
            expected: clean_log,
        },
        GoldenWal {
            case: "torn",
            version: 3,
            files: V3_FILES,
            expected: v2_torn,
        },
        GoldenWal {
            case: "lost_end",
            version: 3,
            files: V3_FILES,
            expected: v3_lost_end,
        },
    ]
}

fn cpu(host: &str, ts: i64, value: f64) -> DataPoint {
    let labels = [("host", host), ("dc", "eu-1")];
    DataPoint::new(
        "cpu.usage",
        labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ts,
        value,
    )
}

/// Every clean case (any version): five batches, a drop of the
/// hour at 0, a checkpoint.
fn clean_log() -> WalContents {
    WalContents {
        batches: vec![
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
        ],
        drops: TimePartition::containing(0, Duration::from_secs(3600))
            .into_iter()
            .collect(),
        checkpoints: vec![3],
        torn_bytes: 0,
        lost_end: false,
    }
}

/// The v1 `torn` case: the last 5 bytes cut, so the checkpoint is a torn
/// tail.
fn v1_torn() -> WalContents {
    torn(skulk_wal::FRAME_HEADER_LEN_V1)
}

/// The v2 `torn` case: the last 5 bytes cut, so the checkpoint is a torn
/// tail (in v3, the end mark and the last 5 bytes of the checkpoint).
fn v2_torn() -> WalContents {
    torn(skulk_wal::FRAME_HEADER_LEN)
}

/// The v3 `lost_end` case: the checkpoint and the end mark cut, so the
/// last segment ends where record 10 ends.
fn v3_lost_end() -> WalContents {
    WalContents {
        checkpoints: Vec::new(),
        lost_end: true,
        ..clean_log()
    }
}

/// The clean log with its checkpoint record (a frame header plus its
/// 8-byte payload) cut 5 bytes short.
fn torn(frame_header_len: usize) -> WalContents {
    WalContents {
        checkpoints: Vec::new(),
        torn_bytes: frame_header_len as u64 + 8 - 5,
        ..clean_log()
    }
}

/// Reads every golden log with `read` and compares it with its expected
/// contents. Returns the number of logs checked or the first difference.
///
/// ```
/// use skulk_testkit::wal_suite::{check_wal_reader, golden_wal_logs, skulk_wal_contents};
///
/// let checked = check_wal_reader(skulk_wal_contents)?;
/// assert_eq!(checked, golden_wal_logs().len());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_wal_reader<E: fmt::Debug>(
    read: impl Fn(&Path) -> Result<WalContents, E>,
) -> Result<usize, String> {
    let mut checked = 0;
    for golden in golden_wal_logs() {
        let dir = golden.dir();
        for file in golden.files {
            if !dir.join(file).is_file() {
                return Err(format!(
                    "golden file {} is missing",
                    dir.join(file).display()
                ));
            }
        }
        let got = read(&dir).map_err(|e| format!("{}: {e:?}", dir.display()))?;
        let want = (golden.expected)();
        if got != want {
            return Err(format!(
                "{}: contents differ\n got: {got:?}\nwant: {want:?}",
                dir.display()
            ));
        }
        checked += 1;
    }
    Ok(checked)
}
