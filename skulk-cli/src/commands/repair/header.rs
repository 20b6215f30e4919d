//! The first step of `repair`: the file that says what the directory holds
//! (the `MANIFEST`, or a layout-1 `CHECKPOINT`) is decoded, never
//! rewritten: nothing can rebuild a manifest's record of which files and
//! WAL segments should exist, and a wrong safe LSN could replay old WAL
//! records over newer TSM files.

use std::io::Write;
use std::path::Path;

use skulk_engine::{CHECKPOINT_FILE_NAME, MANIFEST_FILE_NAME, Manifest};

use super::say;
use crate::datadir::DataDir;
use crate::error::{CliError, Result};

/// Checks the `MANIFEST` (or, without one, the `CHECKPOINT`); a bad one is
/// added to `unrepaired`. Returns the manifest when there is a readable one.
pub fn check(
    data: &DataDir,
    unrepaired: &mut Vec<String>,
    out: &mut dyn Write,
) -> Result<Option<Manifest>> {
    if data.entry(Path::new(MANIFEST_FILE_NAME))?.is_none() {
        check_checkpoint(data, unrepaired, out)?;
        return Ok(None);
    }
    match data.manifest() {
        Ok(manifest) => {
            if let Some(m) = &manifest {
                let line = format!(
                    "MANIFEST: ok, sequence {}, {} file(s), {} WAL segment(s), safe LSN {}",
                    m.sequence,
                    m.files.len(),
                    m.wal_segments.len(),
                    m.safe_lsn
                );
                say(out, &line)?;
            }
            Ok(manifest)
        }
        Err(e @ CliError::Io { .. }) => Err(e),
        Err(e) => {
            let why = format!(
                "{} (not rewritten: nothing rebuilds the record of which files should exist; \
                 restore it from a backup)",
                e.one_line()
            );
            say(out, &format!("MANIFEST: {why}"))?;
            unrepaired.push(why);
            Ok(None)
        }
    }
}

/// A layout-1 directory's `CHECKPOINT`.
fn check_checkpoint(
    data: &DataDir,
    unrepaired: &mut Vec<String>,
    out: &mut dyn Write,
) -> Result<()> {
    let path = Path::new(CHECKPOINT_FILE_NAME);
    if data.entry(path)?.is_none() {
        return say(out, "CHECKPOINT: none (the whole WAL is replayed)");
    }
    let shown = data.shown(path);
    let bytes = crate::disk::read(&shown)?;
    match skulk_engine::decode_checkpoint(&bytes, &shown) {
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
