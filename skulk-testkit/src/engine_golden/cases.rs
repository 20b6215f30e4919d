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

/// Every file of `crash_with_wal_tail`, layout 2.
pub(super) const CRASH_WITH_WAL_TAIL_V2_FILES: &[&str] = &[
    "MANIFEST",
    "tsm/0000000000000007-0000000000000007.tsm",
    "tsm/0000000000000008-0000000000000008.tsm",
    "tsm/0000000000000009-0000000000000009.tsm",
    "wal/000000000000000d.wal",
    "wal/0000000000000013.wal",
];

/// Every file of `crash_with_wal_tail`, layout 2 with a version-3 WAL:
/// the same names (each WAL segment 16 bytes longer).
pub(super) const CRASH_WITH_WAL_TAIL_WAL3_FILES: &[&str] = CRASH_WITH_WAL_TAIL_V2_FILES;

/// Every file of `interrupted_cleanup`, layout 2 with a version-3 WAL:
/// the same names.
pub(super) const INTERRUPTED_CLEANUP_WAL3_FILES: &[&str] = INTERRUPTED_CLEANUP_V2_FILES;

/// What opening `crash_with_wal_tail_wal3` must report: as for layout 2.
pub(super) fn crash_with_wal_tail_wal3_recovery() -> RecoveryStats {
    crash_with_wal_tail_v2_recovery()
}

/// What opening `interrupted_cleanup_wal3` must report: as for layout 2.
pub(super) fn interrupted_cleanup_wal3_recovery() -> RecoveryStats {
    interrupted_cleanup_v2_recovery()
}

/// Every file of `interrupted_cleanup`, layout 2.
pub(super) const INTERRUPTED_CLEANUP_V2_FILES: &[&str] = &[
    "MANIFEST",
    "tsm/0000000000000002-0000000000000002.tsm",
    "tsm/0000000000000007-0000000000000007.tsm",
    "tsm/0000000000000008-0000000000000008.tsm",
    "tsm/0000000000000009-0000000000000009.tsm",
    "tsm/000000000000000a-000000000000000a.tsm",
    "tsm/000000000000000b-000000000000000b.tsm.tmp",
    "wal/000000000000000d.wal",
    "wal/0000000000000013.wal",
];

/// What opening `crash_with_wal_tail` of layout 2 must report.
///
/// * The three TSM files the manifest lists: the compactions of P0 (gen 7,
///   604 bytes) and P1 (gen 8, 380 bytes), the flush of step 9 (gen 9,
///   227 bytes): the bytes of layout 1's files, under new generations.
/// * Safe LSN 12: each flush rolled the WAL over to an empty segment once
///   every record was in files, so the last flush left segment 13 (`0xd`)
///   alone, and every earlier segment was removed. The writes after it
///   filled that segment, so the last two records went to segment 19
///   (`0x13`).
/// * Replayed: records 13 to 21, the eight records (seven points, the drop
///   of Pm1) of layout 1 and the definition of mem again in segment 0x13.
pub(super) fn crash_with_wal_tail_v2_recovery() -> RecoveryStats {
    RecoveryStats {
        safe_lsn: 12,
        // Segment 0x13 defines mem again before its point.
        wal_records_replayed: 9,
        upgraded: false,
        ..crash_with_wal_tail_recovery()
    }
}

/// What opening `interrupted_cleanup` of layout 2 must report: as for
/// `crash_with_wal_tail`, but with two leftovers removed (the file of
/// generation 10, which the manifest had not reached, and the `.tmp`), the
/// stray `2-2` reported and left alone, and the torn last record cut (72 bytes: the
/// version-2 frame header is 8 bytes longer), one
/// record and two points fewer replayed.
pub(super) fn interrupted_cleanup_v2_recovery() -> RecoveryStats {
    RecoveryStats {
        leftovers_removed: 2,
        wal_records_replayed: 8,
        wal_points_replayed: 5,
        torn_bytes: (skulk_wal::FRAME_HEADER_LEN + 4 + 2 * 24 - TORN_CUT) as u64,
        stray_files: vec!["tsm/0000000000000002-0000000000000002.tsm".into()],
        ..crash_with_wal_tail_v2_recovery()
    }
}

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
        wal_lost_end: None,
        duration: Duration::ZERO,
        upgraded: true,
        stray_files: Vec::new(),
        wal_damage_skipped: Vec::new(),
    }
}

/// `interrupted_cleanup` of layout 2: `crash_with_wal_tail` plus what
/// interrupted operations leave behind, each built from a file the engine
/// wrote:
///
/// * a flush that published its file but crashed before the manifest
///   recorded it: the file a further flush writes, placed under the
///   generation the manifest says comes next;
/// * a flush interrupted while writing: the first half of that file as a
///   `.tmp`;
/// * a stray: a copy of the first flush's file of P0, under its own (old)
///   generation 2, which the manifest neither lists nor notes as removed
///   (its compaction was recorded, and a later flush's manifest no longer
///   mentions it);
/// * a torn write: the last 5 bytes of the last WAL segment cut, so the
///   script's last write (its last record) is lost.
pub(super) fn interrupted_cleanup_v2(dir: &Path) -> Result<(), String> {
    interrupted_cleanup_cut(dir, TORN_CUT)
}

/// `interrupted_cleanup` of layout 2 with a version-3 WAL: as
/// [`interrupted_cleanup_v2`], the cut reaching through the end mark into
/// the last record.
pub(super) fn interrupted_cleanup_wal3(dir: &Path) -> Result<(), String> {
    interrupted_cleanup_cut(dir, skulk_wal::END_MARK_LEN + TORN_CUT)
}

/// The damage of the `interrupted_cleanup` cases of layout 2, the last WAL
/// segment cut `torn_cut` bytes short.
fn interrupted_cleanup_cut(dir: &Path, torn_cut: usize) -> Result<(), String> {
    let manifest = read(&dir.join("MANIFEST"))?;
    let manifest = skulk_engine::decode_manifest(&manifest, Path::new("MANIFEST"))
        .map_err(|e| e.to_string())?;
    let next = scratch()?;
    run_script(next.path(), START_NS, &crash_with_wal_tail())?;
    let clock = Arc::new(ManualClock::new(START_NS + HOUR));
    let engine = OpenOptions::new(next.path())
        .and_then(|o| Engine::open_with(o.config(golden_engine_config()).clock(clock)))
        .map_err(|e| format!("reopen: {e}"))?;
    engine.flush().map_err(|e| format!("flush: {e}"))?;
    let written = engine.stats().files;
    drop(engine);
    let name = |g: u64| format!("tsm/{g:016x}-{g:016x}.tsm");
    let newest = (0..=manifest.next_gen + written as u64)
        .rev()
        .map(name)
        .find(|n| next.path().join(n).exists())
        .ok_or("the further flush wrote no file")?;
    let whole = read(&next.path().join(newest))?;
    write(&dir.join(name(manifest.next_gen)), &whole)?;
    let half = whole.get(..whole.len() / 2).unwrap_or_default();
    write(
        &dir.join(format!("{}.tmp", name(manifest.next_gen + 1))),
        half,
    )?;
    let first = scratch()?;
    let prefix = crash_with_wal_tail();
    run_script(
        first.path(),
        START_NS,
        prefix.get(..2).ok_or("a short script")?,
    )?;
    copy(&first.path().join(name(2)), &dir.join(name(2)))?;
    let mut segments: Vec<_> = std::fs::read_dir(dir.join("wal"))
        .map_err(|e| format!("wal: {e}"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wal"))
        .collect();
    segments.sort();
    let last = segments.pop().ok_or("no WAL segment")?;
    let bytes = read(&last)?;
    let kept = bytes
        .get(..bytes.len().saturating_sub(torn_cut))
        .unwrap_or_default();
    write(&last, kept)
}

/// What opening `interrupted_cleanup` (layout 1) must report: as for
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
        torn_bytes: (skulk_wal::FRAME_HEADER_LEN_V1 + 4 + 2 * 24 - TORN_CUT) as u64,
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
