//! The scripts, file lists and expected recovery of the golden engine
//! directories (see `vectors/engine/v1/README.md`).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use skulk_engine::{Engine, ManualClock, OpenOptions, RecoveryStats};
use skulk_format::SeriesMeta;

use super::{golden_engine_config, point, run_script};
use crate::engine_suite::Op;
use crate::generators::START_2024_NS;

const MINUTE: i64 = 60_000_000_000;
const HOUR: i64 = 60 * MINUTE;

/// 2024-01-01T00:00:00Z, the start of partition P0.
const T0: i64 = START_2024_NS;

/// The clock when the scripts start: 02:00, so with three hours of
/// retention every partition from 23:00 the day before is live.
pub(super) const START_NS: i64 = T0 + 2 * HOUR;

/// Every file of `crash_with_wal_tail`.
pub(super) const CRASH_WITH_WAL_TAIL_FILES: &[&str] = &[
    "CHECKPOINT",
    "partitions/1704067200000000000/0000000000000002-0000000000000005.tsm",
    "partitions/1704070800000000000/0000000000000003-0000000000000006.tsm",
    "partitions/1704070800000000000/0000000000000007-0000000000000007.tsm",
    "wal/0000000000000004.wal",
    "wal/000000000000000c.wal",
];

/// Every file of `interrupted_cleanup`.
pub(super) const INTERRUPTED_CLEANUP_FILES: &[&str] = &[
    "CHECKPOINT",
    "partitions/1704063600000000000.dropped/0000000000000001-0000000000000001.tsm",
    "partitions/1704067200000000000/0000000000000002-0000000000000002.tsm",
    "partitions/1704067200000000000/0000000000000002-0000000000000005.tsm",
    "partitions/1704070800000000000/0000000000000003-0000000000000006.tsm",
    "partitions/1704070800000000000/0000000000000007-0000000000000007.tsm",
    "partitions/1704070800000000000/0000000000000008-0000000000000008.tsm.tmp",
    "wal/0000000000000004.wal",
    "wal/000000000000000c.wal",
];

/// Bytes cut off the last WAL segment by `interrupted_cleanup`.
const TORN_CUT: usize = 5;

fn series(metric: &str, labels: &[(&str, &str)]) -> Arc<SeriesMeta> {
    let labels = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Arc::new(SeriesMeta::new(metric, labels))
}

/// `crash_with_wal_tail`: three partitions flushed, overwritten, flushed
/// again, compacted; more flushed writes; then, past the last checkpoint,
/// a write to the oldest partition, retention dropping it, and writes to an
/// older flushed point and to a new partition; then a crash.
pub(super) fn crash_with_wal_tail() -> Vec<Op> {
    let a = series("cpu", &[("host", "a")]);
    let b = series("cpu", &[("host", "b")]);
    let mem = series("mem", &[]);
    let disk = series("disk", &[("dev", "sda")]);
    let (pm1, p0, p1, p2) = (T0 - HOUR, T0, T0 + HOUR, T0 + 2 * HOUR);
    // Host b's first values by partition; those at 15 min past P0 and
    // 5 min past P1 are overwritten later, Pm1's are dropped by retention.
    let b_first = [
        1e300,
        f64::MIN,
        0.1,
        -0.0,
        12.0,
        f64::from_bits(0x7ff0_0000_0000_0001),
        111.0,
        -123.456,
        f64::NEG_INFINITY,
    ];
    let mut first = Vec::new();
    for (i, part) in [pm1, p0, p1].into_iter().enumerate() {
        for k in 0..3_i64 {
            let value = 1.5 * k as f64 + 10.0 * i as f64;
            first.push(point(&a, part + k * 10 * MINUTE, value));
            let value = b_first[i * 3 + k as usize];
            first.push(point(&b, part + 5 * MINUTE + k * 10 * MINUTE, value));
        }
    }
    vec![
        Op::Write(first),
        Op::Flush,
        Op::Write(vec![
            point(&a, p0, f64::from_bits(0x7ff8_dead_beef_0001)),
            point(&b, p0 + 15 * MINUTE, 42.0),
            point(&mem, p0 + MINUTE, f64::MAX),
            point(&mem, p0 + 2 * MINUTE, 5e-324),
        ]),
        Op::Flush,
        Op::Write(vec![
            point(&a, p0 + 30 * MINUTE, 0.25),
            point(&a, p0 + 40 * MINUTE, -0.5),
            point(&b, p1 + 5 * MINUTE, 7.0),
        ]),
        Op::Flush,
        Op::Compact,
        Op::Write(vec![point(&a, p1 + 50 * MINUTE, 3.75)]),
        Op::Flush,
        // Past the checkpoint from here on: only in the WAL.
        Op::Write(vec![point(&a, pm1 + 55 * MINUTE, 99.0)]),
        Op::Retention(Duration::from_secs(3600)),
        Op::Write(vec![
            point(&a, p1, -1.0),
            point(&a, p2, 2.0),
            point(&b, p2 + 5 * MINUTE, f64::from_bits(0xfff4_0000_0000_0bad)),
            point(&disk, p2 + 10 * MINUTE, 1e-3),
        ]),
        Op::Write(vec![
            point(&disk, p2 + 10 * MINUTE, 2e-3),
            point(&mem, p2 + MINUTE, -f64::MAX),
        ]),
    ]
}

/// What opening `crash_with_wal_tail` must report.
///
/// * The three TSM files, 604 + 380 + 227 bytes.
/// * `CHECKPOINT` says 9: the last flush covered records up to 9 (the
///   write of 3.75). Segment 1 (records 1 to 3) was removed by a flush;
///   segment 4 holds records 4 to 11, segment 0xc records 12 to 17.
/// * Replayed: records 10 to 17, i.e. the write to Pm1 (1 point), the
///   drop of Pm1, four series definitions and two writes (4 and 2 points).
/// * The replayed drop removes the Pm1 memtable the first replayed record
///   built: one partition dropped.
pub(super) fn crash_with_wal_tail_recovery() -> RecoveryStats {
    RecoveryStats {
        files_opened: 3,
        file_bytes: 604 + 380 + 227,
        obsolete_files_removed: 0,
        leftovers_removed: 0,
        safe_lsn: 9,
        wal_records_replayed: 8,
        wal_points_replayed: 7,
        partitions_dropped: 1,
        torn_bytes: 0,
        duration: Duration::ZERO,
    }
}

/// `interrupted_cleanup`: `crash_with_wal_tail` plus what interrupted
/// operations leave behind, each built from a file the engine wrote:
///
/// * an input of the compaction into `2-5` not unlinked yet:
///   `2-2.tsm` in P0 (the first flush's file of P0);
/// * a partition dropped by retention but only renamed:
///   `<Pm1>.dropped/` holding the first flush's file of Pm1;
/// * a flush interrupted while writing: the first half of the file a
///   flush of P1 would write next, as `8-8.tsm.tmp`;
/// * a torn write: the last 5 bytes of the last WAL segment cut, so the
///   script's last write (record 17) is lost.
pub(super) fn interrupted_cleanup(dir: &Path) -> Result<(), String> {
    let script = crash_with_wal_tail();
    let first_flush = scratch()?;
    let prefix = script
        .get(..2)
        .ok_or("the script starts with a write and a flush")?;
    run_script(first_flush.path(), START_NS, prefix)?;
    let (pm1, p0, p1) = (T0 - HOUR, T0, T0 + HOUR);
    let flushed = |g: u64| format!("{g:016x}-{g:016x}.tsm");
    let from = |part: i64, g: u64| {
        first_flush
            .path()
            .join(format!("partitions/{part}/{}", flushed(g)))
    };
    let p0_input = format!("partitions/{p0}/{}", flushed(2));
    copy(&from(p0, 2), &dir.join(p0_input))?;
    let pm1_dropped = format!("partitions/{pm1}.dropped/{}", flushed(1));
    copy(&from(pm1, 1), &dir.join(pm1_dropped))?;

    let next_flush = scratch()?;
    run_script(next_flush.path(), START_NS, &script)?;
    let clock = Arc::new(ManualClock::new(START_NS + HOUR));
    let engine = OpenOptions::new(next_flush.path())
        .and_then(|o| Engine::open_with(o.config(golden_engine_config()).clock(clock)))
        .map_err(|e| format!("reopen: {e}"))?;
    engine.close().map_err(|e| format!("close: {e}"))?;
    let name = format!("partitions/{p1}/{}", flushed(8));
    let whole = read(&next_flush.path().join(&name))?;
    let half = whole.get(..whole.len() / 2).unwrap_or_default();
    write(&dir.join(format!("{name}.tmp")), half)?;

    let last = dir.join("wal/000000000000000c.wal");
    let bytes = read(&last)?;
    let kept = bytes
        .get(..bytes.len().saturating_sub(TORN_CUT))
        .unwrap_or_default();
    write(&last, kept)
}

/// What opening `interrupted_cleanup` must report: as for
/// `crash_with_wal_tail`, but with the obsolete `2-2` file and two
/// leftovers (the `.tmp` file and the `.dropped` folder) removed, the torn
/// record 17 cut (a frame header and a payload of a count and two points,
/// less the 5 bytes cut: 64 bytes) and so one record and two points fewer
/// replayed.
pub(super) fn interrupted_cleanup_recovery() -> RecoveryStats {
    RecoveryStats {
        obsolete_files_removed: 1,
        leftovers_removed: 2,
        wal_records_replayed: 7,
        wal_points_replayed: 5,
        torn_bytes: (skulk_wal::FRAME_HEADER_LEN + 4 + 2 * 24 - TORN_CUT) as u64,
        ..crash_with_wal_tail_recovery()
    }
}

fn scratch() -> Result<tempfile::TempDir, String> {
    tempfile::tempdir().map_err(|e| format!("scratch dir: {e}"))
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    write(to, &read(from)?)
}
