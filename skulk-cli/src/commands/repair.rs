//! `skulk repair`: gets a damaged data directory opening again, reversibly.
//!
//! Under the data directory's `LOCK` (so never beside an open engine):
//! checks the `CHECKPOINT` (never rewritten), cuts the WAL at its first
//! corruption (the originals are kept as `<segment>.repair-<secs>`), moves
//! every TSM file that fails to open or verify to `quarantine/`, then opens
//! the engine to prove that it opens.

mod dry_run;
mod quarantine;

use std::io::{ErrorKind, Write};
use std::path::Path;
use std::sync::Arc;

use skulk_engine::{Engine, EngineError, RecoveryStats};
use skulk_format::storage::{FsStorage, Storage, StorageLock};
use skulk_wal::LOCK_FILE;
use skulk_wal::RepairReport;

use super::Context;
use crate::cli::RepairArgs;
use crate::error::{CliError, Result};
use crate::output::{human_bytes, thousands};

/// Runs `repair`. Exit status 0 when the directory opens afterwards (or,
/// in a dry run, when nothing needs manual attention); 3 otherwise.
pub fn run(ctx: &Context, args: &RepairArgs, out: &mut dyn Write) -> Result<()> {
    let dir = &ctx.data_dir;
    if !dir.is_dir() {
        return Err(CliError::Usage(format!(
            "data directory {} does not exist (pass --data-dir)",
            dir.display()
        )));
    }
    let lock = lock(dir)?;
    let dry = args.dry_run;
    if dry {
        say(out, "dry run: nothing is changed on disk")?;
    }
    let mut unrepaired = Vec::new();
    check_checkpoint(dir, &mut unrepaired, out)?;
    let wal_cut = repair_wal(&dir.join("wal"), dry, &mut unrepaired, out)?;
    let quarantined = repair_tsm(dir, dry, out)?;
    drop(lock);
    if !wal_cut && quarantined == 0 && unrepaired.is_empty() {
        say(out, "nothing to repair")?;
    }
    if let Some(first) = unrepaired.first() {
        say(
            out,
            &format!("{} problem(s) need manual attention", unrepaired.len()),
        )?;
        return Err(CliError::Corruption {
            count: unrepaired.len(),
            first: first.clone(),
        });
    }
    if dry {
        return say(out, "dry run: run without --dry-run to make these changes");
    }
    open_engine(ctx, out)
}

/// Takes `<dir>/LOCK`, the lock an open engine holds.
fn lock(dir: &Path) -> Result<StorageLock> {
    let path = dir.join(LOCK_FILE);
    FsStorage::new(dir)
        .lock(Path::new(LOCK_FILE))
        .map_err(|e| match e.kind() {
            ErrorKind::WouldBlock => CliError::Engine(EngineError::DirectoryInUse {
                path: dir.to_path_buf(),
            }),
            _ => CliError::Io { path, source: e },
        })
}

fn say(out: &mut dyn Write, line: &str) -> Result<()> {
    writeln!(out, "{line}").map_err(CliError::output)
}

/// Decodes the `CHECKPOINT`; a bad one is reported, never rewritten: a
/// wrong safe LSN could replay stale WAL records over newer TSM files.
fn check_checkpoint(dir: &Path, unrepaired: &mut Vec<String>, out: &mut dyn Write) -> Result<()> {
    let path = dir.join(skulk_engine::CHECKPOINT_FILE_NAME);
    if !path.exists() {
        return say(out, "CHECKPOINT: none (the whole WAL is replayed)");
    }
    match skulk_engine::read_checkpoint(&path) {
        Ok(lsn) => say(out, &format!("CHECKPOINT: ok, safe LSN {lsn}")),
        Err(e) => {
            let why = format!(
                "{} (not rewritten: it needs manual attention, since a wrong safe LSN \
                 would replay old WAL records over newer TSM files)",
                CliError::from(e).one_line()
            );
            say(out, &format!("CHECKPOINT: {why}"))?;
            unrepaired.push(why);
            Ok(())
        }
    }
}

/// Cuts the WAL at its first corruption (in a dry run, on an in-memory
/// copy of the changes) and prints what was cut, dropped and kept.
fn repair_wal(
    wal: &Path,
    dry: bool,
    unrepaired: &mut Vec<String>,
    out: &mut dyn Write,
) -> Result<bool> {
    if !wal.is_dir() {
        say(out, "WAL: no wal/ directory, nothing to do")?;
        return Ok(false);
    }
    let io = |source| CliError::Io {
        path: wal.to_path_buf(),
        source,
    };
    let storage: Arc<dyn Storage> = if dry {
        Arc::new(dry_run::DryRunDir::open(wal).map_err(io)?)
    } else {
        Arc::new(FsStorage::new(wal))
    };
    let result = skulk_wal::repair_in(storage, "");
    match result {
        Ok(report) => {
            print_wal_report(&report, wal, dry, out)?;
            Ok(!report.is_clean())
        }
        Err(e @ skulk_wal::WalError::Io { .. }) => Err(e.into()),
        Err(e) => {
            let why = format!("WAL not repaired: {}", CliError::from(e).one_line());
            say(out, &why)?;
            unrepaired.push(why);
            Ok(false)
        }
    }
}

fn print_wal_report(r: &RepairReport, wal: &Path, dry: bool, out: &mut dyn Write) -> Result<()> {
    let (cut, kept) = if dry {
        ("would cut", "would keep")
    } else {
        ("cut", "kept")
    };
    if r.is_clean() {
        return say(out, "WAL: no corruption, nothing to repair");
    }
    for d in &r.damage {
        let lost = match d.lost {
            skulk_wal::LostLsns::Nothing => "no record lost".to_owned(),
            skulk_wal::LostLsns::Range { first, last } if d.covered => {
                format!("records {first}..={last}, all already in TSM files")
            }
            skulk_wal::LostLsns::Range { first, last } => {
                format!("records {first}..={last} LOST")
            }
        };
        say(
            out,
            &format!(
                "WAL: {} damaged bytes in {} at byte {} ({}): {lost}",
                d.len,
                d.segment.display(),
                d.offset,
                d.what
            ),
        )?;
    }
    for d in &r.dropped_points {
        say(
            out,
            &format!(
                "WAL: record {}: {} point(s) of series {:016x} LOST (its definition was damaged)",
                d.lsn,
                thousands(d.points),
                d.series.0
            ),
        )?;
    }
    if r.torn_bytes > 0 {
        say(
            out,
            &format!(
                "WAL: torn tail of {} at the end of the log: {cut} (as opening would)",
                human_bytes(r.torn_bytes)
            ),
        )?;
    }
    if !r.rewritten_segments.is_empty() {
        let verb = if dry { "would rewrite" } else { "rewrote" };
        say(
            out,
            &format!("WAL: {verb} segment(s) {}", r.rewritten_segments.join(", ")),
        )?;
    }
    if !r.removed_segments.is_empty() {
        let verb = if dry { "would remove" } else { "removed" };
        say(
            out,
            &format!("WAL: {verb} segment(s) {}", r.removed_segments.join(", ")),
        )?;
    }
    for backup in &r.backups {
        say(
            out,
            &format!("WAL: {kept} the original as {}", wal.join(backup).display()),
        )?;
    }
    say(out, &format!("WAL: continues at LSN {}", r.next_lsn))
}

/// Moves every TSM file that fails to open or verify to quarantine;
/// returns how many.
fn repair_tsm(dir: &Path, dry: bool, out: &mut dyn Write) -> Result<usize> {
    let outcome = quarantine::run(dir, dry)?;
    say(
        out,
        &format!(
            "TSM: {} file(s) ok, {} corrupt",
            outcome.ok,
            outcome.bad.len()
        ),
    )?;
    let verb = if dry { "would move" } else { "moved" };
    for bad in &outcome.bad {
        say(
            out,
            &format!(
                "TSM: {verb} {} to {}: {}",
                bad.from.display(),
                bad.to.display(),
                bad.why
            ),
        )?;
    }
    if outcome.bad.is_empty() {
        return Ok(0);
    }
    say(
        out,
        &format!(
            "TSM: points of these files are no longer queryable; the originals are in {}/ \
             (WAL records up to the checkpoint's safe LSN are never replayed, and may be \
             gone)",
            quarantine::QUARANTINE_DIR
        ),
    )?;
    Ok(outcome.bad.len())
}

/// Opens the engine with the command line's settings and prints what its
/// recovery did; a directory that still does not open is exit status 3.
fn open_engine(ctx: &Context, out: &mut dyn Write) -> Result<()> {
    let engine = match Engine::open(&ctx.data_dir, ctx.config.clone()) {
        Ok(engine) => engine,
        Err(
            e @ (EngineError::Io { .. }
            | EngineError::DirectoryInUse { .. }
            | EngineError::InvalidArgument(_)
            | EngineError::Config(_)),
        ) => return Err(e.into()),
        Err(e) => {
            return Err(CliError::Corruption {
                count: 1,
                first: format!(
                    "the data directory still does not open: {}",
                    CliError::from(e).one_line()
                ),
            });
        }
    };
    let stats = engine.recovery_stats().clone();
    drop(engine);
    say(out, &opened_line(&stats))
}

fn opened_line(r: &RecoveryStats) -> String {
    format!(
        "opened: {} TSM file(s) ({}), safe LSN {}, {} WAL record(s) replayed ({} points), \
         {} torn byte(s) cut, in {:.2} s",
        r.files_opened,
        human_bytes(r.file_bytes),
        r.safe_lsn,
        thousands(r.wal_records_replayed),
        thousands(r.wal_points_replayed),
        r.torn_bytes,
        r.duration.as_secs_f64(),
    )
}
