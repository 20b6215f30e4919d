//! `skulk repair`: gets a damaged data directory opening again, reversibly,
//! and accepts losses only when asked.
//!
//! Under the data directory's `LOCK` (so never beside an open engine):
//! checks the `MANIFEST` (or a layout-1 `CHECKPOINT`; never rewritten),
//! repairs the WAL, keeping every record that checks out (the originals
//! are kept as `<segment>.repair-<secs>`; records no file holds are lost,
//! so the log is changed only with `--accept-loss`), checks the whole
//! directory
//! (`skulk_engine::check_directory`) and moves every damaged TSM file to
//! `quarantine/`. Files and WAL segments the manifest lists that are then
//! lost (missing, or quarantined) are printed with what they held; with
//! `--accept-loss` they are taken out of the manifest
//! (`skulk_engine::accept_losses`, which records them in `LOSSES`), else
//! the run ends with the needs-attention status. Last, the engine is
//! opened to prove that the directory opens. Strays are reported, never
//! touched. A dry run does all of this on an overlay that keeps every
//! change in memory.

mod dry_run;
mod header;
mod losses;
mod quarantine;
mod wal;

use std::io::{ErrorKind, Write};
use std::path::Path;
use std::sync::Arc;

use skulk_engine::{DirectoryReport, Engine, EngineError, FileStatus, RecoveryStats};
use skulk_format::storage::{Storage, StorageLock};

use super::Context;
use crate::cli::RepairArgs;
use crate::datadir::{DataDir, LOCK_FILE};
use crate::disk;
use crate::error::{CliError, Result};
use crate::output::{human_bytes, thousands};

/// What the steps of a repair found.
#[derive(Debug, Default)]
struct Found {
    /// True when anything was (or would be) changed.
    changed: bool,
    /// Losses of listed files and WAL segments (`accept_losses` takes them).
    file_losses: Vec<losses::Lost>,
    /// WAL records lost to damage (recorded by the WAL step once accepted).
    wal_losses: Vec<losses::Lost>,
    /// Problems no repair fixes.
    unrepaired: Vec<String>,
}

/// Runs `repair`. Exit status 0 when the directory opens afterwards (or,
/// in a dry run, would open); 3 when something needs manual attention or
/// a loss is not accepted.
pub fn run(ctx: &Context, args: &RepairArgs, out: &mut dyn Write) -> Result<()> {
    let dir = &ctx.data_dir;
    if !disk::is_dir(dir)? {
        return Err(CliError::Usage(format!(
            "data directory {} does not exist (pass --data-dir)",
            dir.display()
        )));
    }
    let data = DataDir::new(dir);
    let lock = lock(&data, args.dry_run)?;
    if args.dry_run {
        say(out, "dry run: nothing is changed on disk")?;
    }
    let found = examine(&data, args, out)?;
    if !found.changed && found.file_losses.is_empty() && found.unrepaired.is_empty() {
        say(out, "nothing to repair")?;
    }
    refuse_unrepaired(&found.unrepaired, out)?;
    let all: Vec<losses::Lost> = found
        .wal_losses
        .iter()
        .chain(&found.file_losses)
        .cloned()
        .collect();
    losses::print(&all, out)?;
    if !args.accept_loss {
        refuse_losses(&data, &all, out)?;
    }
    if args.dry_run {
        if !all.is_empty() {
            let line = format!("dry run: --accept-loss would record {} loss(es)", all.len());
            say(out, &line)?;
        }
        return say(out, "dry run: run without --dry-run to make these changes");
    }
    drop(lock);
    if !found.file_losses.is_empty() {
        losses::accept(&data, out)?;
    }
    open_engine(ctx, out)
}

/// The steps that look at (and, unless a dry run, change) the directory:
/// the manifest, the WAL, the whole directory, quarantine.
fn examine(data: &DataDir, args: &RepairArgs, out: &mut dyn Write) -> Result<Found> {
    let dry = args.dry_run;
    let storage: Arc<dyn Storage> = if dry {
        let root = data.shown(Path::new(""));
        Arc::new(dry_run::DryRunDir::open(&root).map_err(CliError::io(&root))?)
    } else {
        data.storage()
    };
    let mut found = Found::default();
    let header = header::check(data, &mut found.unrepaired, out)?;
    if !found.unrepaired.is_empty() {
        say(
            out,
            "WAL: not repaired while the file above needs attention",
        )?;
        return Ok(found);
    }
    let options = wal::WalOptions {
        covered: header.safe_lsn,
        dry,
        accept_loss: args.accept_loss,
    };
    let wal = wal::repair(data, &storage, options, &mut found.unrepaired, out)?;
    let report = skulk_engine::check_directory(Arc::clone(&storage))?;
    let moved = quarantine::run(data, &report, dry)?;
    print_tsm(data, &report, &moved, dry, out)?;
    if let Some(manifest) = &header.manifest {
        found.file_losses = losses::find(data, manifest, &report, &moved);
    }
    found.changed = wal.changed || !moved.is_empty();
    found.wal_losses = wal.lost;
    Ok(found)
}

/// Ends the run (exit status 3) when something needs manual attention.
fn refuse_unrepaired(unrepaired: &[String], out: &mut dyn Write) -> Result<()> {
    let Some(first) = unrepaired.first() else {
        return Ok(());
    };
    let line = format!("{} problem(s) need manual attention", unrepaired.len());
    say(out, &line)?;
    Err(CliError::Corruption {
        count: unrepaired.len(),
        first: first.clone(),
    })
}

/// Ends the run (exit status 3) when there are losses, not accepted.
fn refuse_losses(data: &DataDir, lost: &[losses::Lost], out: &mut dyn Write) -> Result<()> {
    let Some(first) = lost.first() else {
        return Ok(());
    };
    let line = format!(
        "{} loss(es) not accepted: restore the files from a backup, or run again with \
         --accept-loss to record them in {} and open without them",
        lost.len(),
        data.shown(Path::new(skulk_engine::LOSSES_FILE_NAME))
            .display()
    );
    say(out, &line)?;
    Err(CliError::Corruption {
        count: lost.len(),
        first: format!("loss not accepted (--accept-loss): {}", first.line()),
    })
}

/// Takes `<dir>/LOCK`, the lock an open engine holds. A dry run creates
/// nothing: it takes the lock only when the file is there.
fn lock(data: &DataDir, dry: bool) -> Result<Option<StorageLock>> {
    let path = Path::new(LOCK_FILE);
    if dry && data.entry(path)?.is_none() {
        return Ok(None);
    }
    let held = data.storage().lock(path).map_err(|e| match e.kind() {
        ErrorKind::WouldBlock => CliError::Engine(EngineError::DirectoryInUse {
            path: data.shown(Path::new("")),
        }),
        _ => CliError::io(data.shown(path))(e),
    })?;
    Ok(Some(held))
}

/// Prints a line of the report.
pub(super) fn say(out: &mut dyn Write, line: &str) -> Result<()> {
    writeln!(out, "{line}").map_err(CliError::output)
}

/// Prints the TSM step: counts, moves, strays left alone.
fn print_tsm(
    data: &DataDir,
    report: &DirectoryReport,
    moved: &[quarantine::Moved],
    dry: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let data_files = || {
        report
            .files
            .iter()
            .filter(|f| quarantine::is_data_file(&f.path))
    };
    let ok = data_files().filter(|f| f.status == FileStatus::Ok).count();
    let missing = data_files()
        .filter(|f| f.status == FileStatus::Missing)
        .count();
    say(
        out,
        &format!(
            "TSM: {ok} file(s) ok, {} damaged, {missing} missing",
            moved.len()
        ),
    )?;
    let verb = if dry { "would move" } else { "moved" };
    for m in moved {
        say(
            out,
            &format!(
                "TSM: {verb} {} to {}: {}",
                data.shown(&m.from).display(),
                data.shown(&m.to).display(),
                m.why
            ),
        )?;
    }
    for stray in data_files().filter(|f| f.status == FileStatus::Stray) {
        say(
            out,
            &format!(
                "TSM: stray {} left alone: {}",
                data.shown(&stray.path).display(),
                stray.detail
            ),
        )?;
    }
    Ok(())
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
            | EngineError::SettingMismatch { .. }
            | EngineError::OutOfRange { .. }
            | EngineError::Config(_)
            | EngineError::Failed(_)),
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
    let mut line = format!(
        "opened: {} TSM file(s) ({}), safe LSN {}, {} WAL record(s) replayed ({} points), \
         {} torn byte(s) cut, in {:.2} s",
        r.files_opened,
        human_bytes(r.file_bytes),
        r.safe_lsn,
        thousands(r.wal_records_replayed),
        thousands(r.wal_points_replayed),
        r.torn_bytes,
        r.duration.as_secs_f64(),
    );
    if !r.stray_files.is_empty() {
        line.push_str(&format!(
            ", {} stray file(s) left alone",
            r.stray_files.len()
        ));
    }
    if let Some(end) = &r.wal_lost_end {
        line.push_str(&format!(
            ", the WAL's end was cut after LSN {} (later records lost)",
            end.last_lsn
        ));
    }
    line
}
