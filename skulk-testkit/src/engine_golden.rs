//! Engine data-directory conformance: the golden directories of
//! `vectors/engine/v<N>/<case>/` with their expected contents.
//!
//! A golden directory is what Skulk's engine left on disk after a fixed
//! script ([`GoldenEngineDir::script`]) of writes, flushes, a compaction and
//! retention under a manual clock, ending with a crash (the engine dropped
//! without `close()`): a `CHECKPOINT`, TSM files in several partitions, and
//! WAL segments holding writes the checkpoint does not cover. A case may
//! then add what interrupted operations leave behind (a compaction input
//! not yet unlinked, a half-written `*.tmp`, a `.dropped` partition folder,
//! a torn last WAL record), built from files the engine wrote. The layout
//! is specified in `skulk-engine/FORMAT.md`; each case is described in the
//! README next to it.
//!
//! * [`check_engine_dir`] copies a case to a scratch directory, opens it
//!   (which runs recovery), and compares every point a full query returns
//!   with the expected points, bit for bit, and the recovery statistics with
//!   the expected ones. Any build of the engine can be run against it.
//! * [`check_engine_writer`] builds the case again in a scratch directory
//!   and compares the set of files and every file's bytes with the golden
//!   ones, which pins the engine's writers (TSM, WAL, `CHECKPOINT`).
//! * [`write_missing_files`] creates the files of a case that are missing,
//!   and never touches an existing one (golden files are append-only).
//!
//! Nothing the script writes depends on the wall clock or on randomness:
//! WAL segments are named by LSN, TSM files by generation, partitions by
//! their start, and the engine's clock is a [`ManualClock`].

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use skulk_codec::CodecChoice;
use skulk_engine::{Engine, EngineConfig, ManualClock, OpenOptions, RecoveryStats, SyncMode};
use skulk_format::{DataPoint, FormatVersion, SeriesMeta};

use crate::engine_suite::{Model, Op, Snapshot, read_engine};
use crate::format_suite::vectors_dir;

mod cases;

/// The lock files the engine and its WAL create on open: runtime state, not
/// part of a golden directory.
pub const LOCK_FILES: &[&str] = &["LOCK", "wal/LOCK"];

/// Changes a case makes to the directory the script left: gets the
/// directory, returns a message on failure.
pub type Damage = fn(&Path) -> Result<(), String>;

/// One golden data directory.
#[derive(Debug, Clone)]
pub struct GoldenEngineDir {
    /// The case: a directory under `vectors/engine/v<version>/`.
    pub case: &'static str,
    /// Version of the data directory layout (`CHECKPOINT`, TSM and WAL
    /// versions 1 for v1).
    pub version: u8,
    /// Every file of the case, relative to its directory, `/`-separated.
    pub files: &'static [&'static str],
    /// The engine's clock when the script starts.
    pub start_ns: i64,
    /// The operations that wrote the directory; the engine is dropped
    /// without `close()` after the last one.
    pub script: fn() -> Vec<Op>,
    /// What is done to the directory after the script, if anything: the
    /// leftovers of interrupted operations and a torn last WAL record,
    /// built from files the engine wrote.
    pub damage: Option<Damage>,
    /// Operations at the end of the script whose writes recovery must not
    /// see, because `damage` tore their WAL records.
    pub torn_ops: usize,
    /// What recovery must report when the directory is opened (with a zero
    /// `duration`).
    pub recovery: fn() -> RecoveryStats,
    /// Whether today's engine writes this case byte for byte
    /// ([`check_engine_writer`]); a case of an older layout is kept as a
    /// read-compatibility case (today's engine opens it, upgrading it).
    pub reproduced: bool,
}

impl GoldenEngineDir {
    /// The case's directory.
    pub fn dir(&self) -> PathBuf {
        vectors_dir()
            .join("engine")
            .join(format!("v{}", self.version))
            .join(self.case)
    }

    /// Runs the script in `dir` (see [`run_script`]), then the damage.
    pub fn build(&self, dir: &Path) -> Result<(), String> {
        run_script(dir, self.start_ns, &(self.script)())?;
        match self.damage {
            Some(damage) => damage(dir),
            None => Ok(()),
        }
    }

    /// Every point the directory holds: the script without its torn
    /// operations applied to the model (last write wins, retention drops
    /// whole partitions).
    pub fn expected(&self) -> Snapshot {
        let config = golden_engine_config();
        let retention = config.retention.unwrap_or(Duration::MAX);
        let ttl = i64::try_from(retention.as_nanos()).unwrap_or(i64::MAX);
        let mut model = Model::default();
        let mut now = self.start_ns;
        let mut script = (self.script)();
        script.truncate(script.len().saturating_sub(self.torn_ops));
        for op in script {
            match op {
                Op::Write(points) => model.write(&points),
                Op::Retention(advance) => {
                    now = now.saturating_add(i64::try_from(advance.as_nanos()).unwrap_or(0));
                    model.apply_retention(
                        config.partition_duration.unwrap_or_default(),
                        now.saturating_sub(ttl),
                    );
                }
                Op::Delete(series, range) => model.delete(&series, range),
                Op::Flush | Op::Compact | Op::Restart | Op::Crash => {}
            }
        }
        model.snapshot().clone()
    }
}

/// Every golden engine directory.
pub fn golden_engine_dirs() -> Vec<GoldenEngineDir> {
    vec![
        GoldenEngineDir {
            case: "crash_with_wal_tail",
            version: 1,
            files: cases::CRASH_WITH_WAL_TAIL_FILES,
            start_ns: cases::START_NS,
            script: cases::crash_with_wal_tail,
            damage: None,
            torn_ops: 0,
            recovery: cases::crash_with_wal_tail_recovery,
            reproduced: false,
        },
        GoldenEngineDir {
            case: "interrupted_cleanup",
            version: 1,
            files: cases::INTERRUPTED_CLEANUP_FILES,
            start_ns: cases::START_NS,
            script: cases::crash_with_wal_tail,
            damage: None,
            torn_ops: 1,
            recovery: cases::interrupted_cleanup_recovery,
            reproduced: false,
        },
        GoldenEngineDir {
            case: "crash_with_wal_tail",
            version: 2,
            files: cases::CRASH_WITH_WAL_TAIL_V2_FILES,
            start_ns: cases::START_NS,
            script: cases::crash_with_wal_tail,
            damage: None,
            torn_ops: 0,
            recovery: cases::crash_with_wal_tail_v2_recovery,
            reproduced: false,
        },
        GoldenEngineDir {
            case: "interrupted_cleanup",
            version: 2,
            files: cases::INTERRUPTED_CLEANUP_V2_FILES,
            start_ns: cases::START_NS,
            script: cases::crash_with_wal_tail,
            damage: Some(cases::interrupted_cleanup_v2),
            torn_ops: 1,
            recovery: cases::interrupted_cleanup_v2_recovery,
            reproduced: false,
        },
        GoldenEngineDir {
            case: "crash_with_wal_tail_wal3",
            version: 2,
            files: cases::CRASH_WITH_WAL_TAIL_WAL3_FILES,
            start_ns: cases::START_NS,
            script: cases::crash_with_wal_tail,
            damage: None,
            torn_ops: 0,
            recovery: cases::crash_with_wal_tail_wal3_recovery,
            reproduced: true,
        },
        GoldenEngineDir {
            case: "interrupted_cleanup_wal3",
            version: 2,
            files: cases::INTERRUPTED_CLEANUP_WAL3_FILES,
            start_ns: cases::START_NS,
            script: cases::crash_with_wal_tail,
            damage: Some(cases::interrupted_cleanup_wal3),
            torn_ops: 1,
            recovery: cases::interrupted_cleanup_wal3_recovery,
            reproduced: true,
        },
    ]
}

/// The configuration the golden directories were written with: one-hour
/// partitions, three hours of retention, 512-byte WAL segments, blocks of 4
/// points, and nothing automatic (no background thread, no flush or
/// compaction thresholds), so only the script decides what happens. Their
/// TSM files were written when the version-1 codecs were the adaptive
/// default and TSM files were of version 1; [`CodecChoice::AdaptiveV1`]
/// and `tsm_version` 1 are those choices, byte for byte.
pub fn golden_engine_config() -> EngineConfig {
    let mut config = EngineConfig {
        partition_duration: Some(Duration::from_secs(3600)),
        retention: Some(Duration::from_secs(3 * 3600)),
        flush_points: 0,
        flush_size_bytes: 0,
        flush_age: None,
        compaction_min_files: 0,
        max_active_partitions: 0,
        block_points: 4,
        query_threads: 1,
        background: false,
        codec: CodecChoice::AdaptiveV1,
        tsm_version: FormatVersion::V1,
        ..EngineConfig::default()
    };
    config.wal.sync_mode = SyncMode::None;
    config.wal.segment_size = 512;
    config
}

/// The configuration to open a golden directory with: [`golden_engine_config`]
/// without retention, since the system clock is far past the golden points.
pub fn recovery_config() -> EngineConfig {
    EngineConfig {
        retention: None,
        ..golden_engine_config()
    }
}

/// Runs `script` on a fresh engine in `dir` (clock at `start_ns`, config
/// [`golden_engine_config`]) and drops the engine without closing it.
pub fn run_script(dir: &Path, start_ns: i64, script: &[Op]) -> Result<(), String> {
    let clock = Arc::new(ManualClock::new(start_ns));
    let open = |clock: &Arc<ManualClock>| {
        OpenOptions::new(dir)
            .and_then(|o| Engine::open_with(o.config(golden_engine_config()).clock(clock.clone())))
            .map_err(|e| format!("open {}: {e}", dir.display()))
    };
    let mut engine = open(&clock)?;
    let mut now = start_ns;
    for (step, op) in script.iter().enumerate() {
        let at = |e: skulk_engine::EngineError| format!("step {step} ({}): {e}", op_kind(op));
        match op {
            Op::Write(points) => engine.write_batch(points).map_err(at)?,
            Op::Flush => engine.flush().map(drop).map_err(at)?,
            Op::Compact => engine.compact().map(drop).map_err(at)?,
            Op::Delete(series, range) => {
                let selector = skulk_engine::SeriesSelector::Exact(SeriesMeta::clone(series));
                engine.delete(&selector, *range).map(drop).map_err(at)?;
            }
            Op::Retention(advance) => {
                now = now.saturating_add(i64::try_from(advance.as_nanos()).unwrap_or(0));
                clock.set(now);
                engine.apply_retention().map(drop).map_err(at)?;
            }
            Op::Restart => {
                engine.close().map_err(at)?;
                engine = open(&clock)?;
            }
            Op::Crash => {
                drop(engine);
                engine = open(&clock)?;
            }
        }
    }
    drop(engine);
    Ok(())
}

fn op_kind(op: &Op) -> String {
    match op {
        Op::Write(points) => format!("write of {} points", points.len()),
        other => format!("{other:?}"),
    }
}

/// Every file under `dir`, relative, `/`-separated, sorted.
pub fn files_under(dir: &Path) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(rel) = pending.pop() {
        let here = dir.join(&rel);
        let entries = std::fs::read_dir(&here).map_err(|e| format!("{}: {e}", here.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("{}: {e}", here.display()))?;
            let name = rel.join(entry.file_name());
            if entry.path().is_dir() {
                pending.push(name);
            } else {
                out.push(name.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// What [`check_engine_dir`] checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineDirReport {
    /// Points the engine returned (all as expected).
    pub points: usize,
    /// Series among them.
    pub series: usize,
    /// What recovery reported (`duration` zeroed).
    pub recovery: RecoveryStats,
}

/// Copies `golden` to a scratch directory, opens it with `open` (e.g.
/// `|dir| Engine::open(dir, recovery_config())`), and checks that a full
/// query returns exactly the expected points, bit for bit, and that
/// recovery reports what the case expects. Closes the engine, reopens it and
/// checks the points again. Returns the first difference.
pub fn check_engine_dir<E: std::fmt::Display>(
    golden: &GoldenEngineDir,
    open: impl Fn(&Path) -> Result<Engine, E>,
) -> Result<EngineDirReport, String> {
    let src = golden.dir();
    check_listed(golden)?;
    let scratch = tempfile::tempdir().map_err(|e| format!("scratch dir: {e}"))?;
    copy_files(&src, scratch.path(), golden.files)?;
    let open =
        |what: &str| open(scratch.path()).map_err(|e| format!("{}: {what}: {e}", src.display()));
    let engine = open("open")?;
    let recovery = RecoveryStats {
        duration: Duration::ZERO,
        ..engine.recovery_stats().clone()
    };
    let want_recovery = (golden.recovery)();
    if recovery != want_recovery {
        return Err(format!(
            "{}: recovery differs\n got: {recovery:?}\nwant: {want_recovery:?}",
            src.display()
        ));
    }
    let want = golden.expected();
    compare(&src, "after recovery", &read_engine(&engine)?, &want)?;
    engine
        .close()
        .map_err(|e| format!("{}: close: {e}", src.display()))?;
    let engine = open("reopen")?;
    compare(
        &src,
        "after close and reopen",
        &read_engine(&engine)?,
        &want,
    )?;
    engine
        .close()
        .map_err(|e| format!("{}: close: {e}", src.display()))?;
    let series = want
        .keys()
        .map(|(s, _)| s)
        .collect::<std::collections::BTreeSet<_>>();
    Ok(EngineDirReport {
        points: want.len(),
        series: series.len(),
        recovery,
    })
}

fn compare(src: &Path, when: &str, got: &Snapshot, want: &Snapshot) -> Result<(), String> {
    if got == want {
        return Ok(());
    }
    let missing = want.iter().find(|(k, v)| got.get(*k) != Some(*v));
    let extra = got.iter().find(|(k, _)| !want.contains_key(*k));
    Err(format!(
        "{} {when}: engine holds {} points, expected {}; first missing or different: \
         {missing:?}; first extra: {extra:?}",
        src.display(),
        got.len(),
        want.len()
    ))
}

/// Checks that the case holds exactly its listed files.
pub fn check_listed(golden: &GoldenEngineDir) -> Result<(), String> {
    let dir = golden.dir();
    let present = files_under(&dir)?;
    let listed: Vec<String> = golden.files.iter().map(|f| f.to_string()).collect();
    if let Some(missing) = listed.iter().find(|f| !present.contains(f)) {
        return Err(format!(
            "golden file {}/{missing} is missing",
            dir.display()
        ));
    }
    if let Some(extra) = present.iter().find(|f| !listed.contains(f)) {
        return Err(format!("{}/{extra} is not listed: list it", dir.display()));
    }
    Ok(())
}

fn copy_files(src: &Path, dst: &Path, files: &[&str]) -> Result<(), String> {
    for file in files {
        let to = dst.join(file);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::copy(src.join(file), &to).map_err(|e| format!("copy {file}: {e}"))?;
    }
    Ok(())
}

/// Builds the case in a scratch directory ([`GoldenEngineDir::build`]) and
/// compares the files it leaves (the lock files aside) and every file's
/// bytes with the golden directory. Returns the number of files compared or
/// the first difference.
pub fn check_engine_writer(golden: &GoldenEngineDir) -> Result<usize, String> {
    let scratch = tempfile::tempdir().map_err(|e| format!("scratch dir: {e}"))?;
    golden.build(scratch.path())?;
    let mut fresh = files_under(scratch.path())?;
    fresh.retain(|f| !LOCK_FILES.contains(&f.as_str()));
    if fresh != golden.files {
        return Err(format!(
            "{}: a fresh run writes other files\nfresh: {fresh:?}\ngolden: {:?}",
            golden.case, golden.files
        ));
    }
    compare_files(&golden.dir(), scratch.path(), golden.files)?;
    Ok(golden.files.len())
}

/// Compares `files` (relative paths) in `golden` and in `fresh` byte for
/// byte; the first difference names the file and the byte offset.
pub fn compare_files(golden: &Path, fresh: &Path, files: &[&str]) -> Result<(), String> {
    let read = |p: PathBuf| std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()));
    for file in files {
        let want = read(golden.join(file))?;
        let got = read(fresh.join(file))?;
        if let Some(at) = (0..want.len().max(got.len())).find(|&i| want.get(i) != got.get(i)) {
            return Err(format!(
                "{}/{file}: differs at byte {at} from {} (golden {} bytes, fresh {})",
                golden.display(),
                fresh.display(),
                want.len(),
                got.len()
            ));
        }
    }
    Ok(())
}

/// Builds the case in a scratch directory and copies each file it wrote
/// that the golden directory lacks; never overwrites. Returns the files
/// created.
pub fn write_missing_files(golden: &GoldenEngineDir) -> Result<Vec<String>, String> {
    if !golden.reproduced {
        return Ok(Vec::new());
    }
    let scratch = tempfile::tempdir().map_err(|e| format!("scratch dir: {e}"))?;
    golden.build(scratch.path())?;
    let dir = golden.dir();
    let mut created = Vec::new();
    for file in files_under(scratch.path())? {
        if LOCK_FILES.contains(&file.as_str()) || dir.join(&file).exists() {
            continue;
        }
        copy_files(scratch.path(), &dir, &[file.as_str()])?;
        created.push(file);
    }
    Ok(created)
}

/// A point of `series`.
pub(crate) fn point(series: &Arc<SeriesMeta>, ts: i64, value: f64) -> DataPoint {
    DataPoint::for_series(Arc::clone(series), ts, value)
}
