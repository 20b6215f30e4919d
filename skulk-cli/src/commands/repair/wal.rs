//! The WAL step of `repair` (`skulk-wal/FORMAT.md`, "Repair"): every
//! record that checks out is kept, the runs of records damage swallowed
//! become Lost records, a torn tail is cut as opening would, and every
//! segment changed or removed is first copied to
//! `wal/<segment>.repair-<unix seconds>`. Records above the safe LSN that
//! no file holds are losses: the log is changed only once they are
//! accepted (`--accept-loss`); until then the repair runs in memory only,
//! to name them.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use skulk_format::storage::Storage;
use skulk_format::{SeriesId, TsmReader};
use skulk_wal::{LostLsns, Lsn, RepairReport, RepairedDamage};

use super::dry_run::DryRunDir;
use super::losses::Lost;
use super::say;
use crate::datadir::{DataDir, WAL_DIR};
use crate::error::{CliError, Result};
use crate::output::thousands;

/// What the WAL step found and did.
#[derive(Debug, Default)]
pub struct WalStep {
    /// True when the log needed (or, in a dry run, would need) changes.
    pub changed: bool,
    /// Records and points above the safe LSN that the damage destroyed.
    pub lost: Vec<Lost>,
}

/// How the WAL step runs.
#[derive(Debug, Clone, Copy)]
pub struct WalOptions {
    /// Records up to this LSN are in the files (the safe LSN).
    pub covered: Lsn,
    /// Only show what would be done.
    pub dry: bool,
    /// Losses may be made (`--accept-loss`).
    pub accept_loss: bool,
}

/// Repairs the WAL of the directory `storage` is rooted at (in a dry run,
/// an overlay that keeps changes in memory) and prints what it did.
pub fn repair(
    data: &DataDir,
    storage: &Arc<dyn Storage>,
    options: WalOptions,
    unrepaired: &mut Vec<String>,
    out: &mut dyn Write,
) -> Result<WalStep> {
    if data.entry(Path::new(WAL_DIR))?.is_none() {
        say(out, "WAL: no wal/ directory, nothing to do")?;
        return Ok(WalStep::default());
    }
    let known = known_series(data);
    let run = |storage: Arc<dyn Storage>| {
        skulk_wal::Repair::new(storage, WAL_DIR)
            .covered(options.covered)
            .known_series(known.iter().copied())
            .run()
    };
    let result = if options.dry {
        run(Arc::clone(storage))
    } else {
        let root = data.shown(Path::new(""));
        let preview = DryRunDir::open(&root).map_err(CliError::io(&root))?;
        match run(Arc::new(preview)) {
            Ok(preview) if preview.lost_data() && !options.accept_loss => {
                print_report(&preview, data, true, out)?;
                say(out, "WAL: left as it is: its repair would lose records")?;
                return Ok(step(&preview));
            }
            Ok(preview) => {
                let lost = step(&preview).lost;
                if !lost.is_empty() {
                    super::losses::record_wal(data, &lost, out)?;
                }
                run(Arc::clone(storage))
            }
            Err(e) => Err(e),
        }
    };
    match result {
        Ok(report) => {
            print_report(&report, data, options.dry, out)?;
            Ok(step(&report))
        }
        Err(e @ skulk_wal::WalError::Io { .. }) => Err(e.into()),
        Err(e) => {
            let why = format!("WAL not repaired: {}", CliError::from(e).one_line());
            say(out, &why)?;
            unrepaired.push(why);
            Ok(WalStep::default())
        }
    }
}

/// The series the directory's readable TSM files hold: points of these
/// are kept even when their definition in the log was damaged.
fn known_series(data: &DataDir) -> Vec<SeriesId> {
    let storage = data.storage();
    let paths: Vec<_> = match data.manifest() {
        Ok(Some(manifest)) => manifest.files.into_iter().map(|f| f.path).collect(),
        _ => Vec::new(),
    };
    let readers = paths
        .iter()
        .filter_map(|p| TsmReader::open_in(storage.as_ref(), p).ok());
    let mut ids: Vec<SeriesId> = readers
        .flat_map(|r| r.series().map(|e| e.id).collect::<Vec<_>>())
        .collect();
    if paths.is_empty() {
        // Layout 1: its partition folders, when every file opens.
        for reader in data.live_files().unwrap_or_default() {
            ids.extend(reader.series().map(|e| e.id));
        }
    }
    ids
}

fn step(report: &RepairReport) -> WalStep {
    let mut lost: Vec<Lost> = report
        .damage
        .iter()
        .filter(|d| !d.covered && d.lost != LostLsns::Nothing)
        .map(|d| Lost {
            path: d.segment.clone(),
            what: damage_line(d),
        })
        .collect();
    lost.extend(report.dropped_points.iter().map(|d| Lost {
        path: Path::new(WAL_DIR).to_path_buf(),
        what: format!(
            "record {}: {} point(s) of series {:016x} (its definition was damaged; no file knows \
             the series)",
            d.lsn,
            thousands(d.points),
            d.series.0
        ),
    }));
    lost.extend(report.lost_end.iter().map(|end| Lost {
        path: end.segment.clone(),
        what: format!(
            "the log's end, cut at byte {} after record {}: any records after it (nothing says \
             how many)",
            end.offset, end.last_lsn
        ),
    }));
    WalStep {
        changed: !report.is_clean() || !report.dropped_points.is_empty(),
        lost,
    }
}

/// One damaged region: where, what, and which records it held.
fn damage_line(d: &RepairedDamage) -> String {
    let held = match d.lost {
        LostLsns::Nothing => "no record".to_owned(),
        LostLsns::Range { first, last } if d.covered => {
            format!("records {first}..={last}, all already in TSM files")
        }
        LostLsns::Range { first, last } => {
            format!("records {first}..={last}, in no TSM file")
        }
    };
    format!(
        "{} damaged byte(s) at byte {} ({}): {held}",
        d.len, d.offset, d.what
    )
}

fn print_report(r: &RepairReport, data: &DataDir, dry: bool, out: &mut dyn Write) -> Result<()> {
    if r.is_clean() && r.dropped_points.is_empty() {
        return say(out, "WAL: no damage, nothing to repair");
    }
    let verb = |now: &'static str, past: &'static str| if dry { now } else { past };
    for d in &r.damage {
        let line = format!("WAL: {}: {}", d.segment.display(), damage_line(d));
        say(out, &line)?;
    }
    if r.torn_bytes > 0 {
        let line = format!(
            "WAL: torn tail of {} byte(s) at the end of the log: {} (as opening would)",
            r.torn_bytes,
            verb("would cut", "cut")
        );
        say(out, &line)?;
    }
    if let Some(end) = &r.lost_end {
        let line = format!(
            "WAL: {}: ends at byte {} after LSN {} without its end mark: the log was cut \
             there and any later records are lost; {} the end mark",
            end.segment.display(),
            end.offset,
            end.last_lsn,
            verb("would put back", "put back")
        );
        say(out, &line)?;
    }
    for (done, names) in [
        (verb("would rewrite", "rewrote"), &r.rewritten_segments),
        (verb("would remove", "removed"), &r.removed_segments),
    ] {
        if !names.is_empty() {
            let line = format!("WAL: {done} segment(s) {}", names.join(", "));
            say(out, &line)?;
        }
    }
    let wal = data.shown(Path::new(WAL_DIR));
    for backup in &r.backups {
        let line = format!(
            "WAL: {} the original as {}",
            verb("would keep", "kept"),
            wal.join(backup).display()
        );
        say(out, &line)?;
    }
    say(out, &format!("WAL: continues at LSN {}", r.next_lsn))
}
