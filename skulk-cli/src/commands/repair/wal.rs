//! The WAL step of `repair`: the log is cut at its first corruption (a
//! torn tail as opening would cut it), every segment cut or removed first
//! copied to `wal/<segment>.repair-<unix seconds>`.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use skulk_format::storage::Storage;
use skulk_wal::RepairReport;

use super::say;
use crate::datadir::{DataDir, WAL_DIR};
use crate::error::{CliError, Result};
use crate::output::{human_bytes, thousands};

/// Cuts the WAL of the directory `storage` is rooted at (in a dry run, an
/// overlay that keeps changes in memory) and prints what was cut, dropped
/// and kept; true when it changed anything.
pub fn repair(
    data: &DataDir,
    storage: &Arc<dyn Storage>,
    dry: bool,
    unrepaired: &mut Vec<String>,
    out: &mut dyn Write,
) -> Result<bool> {
    if data.entry(Path::new(WAL_DIR))?.is_none() {
        say(out, "WAL: no wal/ directory, nothing to do")?;
        return Ok(false);
    }
    match skulk_wal::repair_in(Arc::clone(storage), WAL_DIR) {
        Ok(report) => {
            print_report(&report, &data.shown(Path::new(WAL_DIR)), dry, out)?;
            Ok(report.cut.is_some() || report.torn_bytes > 0)
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

fn print_report(r: &RepairReport, wal: &Path, dry: bool, out: &mut dyn Write) -> Result<()> {
    let (cut, kept) = if dry {
        ("would cut", "would keep")
    } else {
        ("cut", "kept")
    };
    if r.cut.is_none() && r.torn_bytes == 0 {
        return say(out, "WAL: no corruption, nothing to cut");
    }
    if let Some(c) = &r.cut {
        say(
            out,
            &format!(
                "WAL: corrupt record in {} at byte {} ({}): {cut} the log there",
                c.segment.display(),
                c.offset,
                c.what
            ),
        )?;
        say(
            out,
            &format!(
                "WAL: dropped {} from there on ({} readable record(s) in removed segments; \
                 records after the cut in its own segment cannot be counted)",
                human_bytes(r.dropped_bytes),
                thousands(r.dropped_records as u64),
            ),
        )?;
    }
    if r.torn_bytes > 0 {
        say(
            out,
            &format!(
                "WAL: torn tail of {} byte(s) at the end of the log: {cut} (as opening would)",
                r.torn_bytes
            ),
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
