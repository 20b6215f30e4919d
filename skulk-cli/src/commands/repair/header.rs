//! The first step of `repair`: the file that says what the directory holds
//! (the `MANIFEST`, or a layout-1 `CHECKPOINT`) is decoded, never
//! rewritten: nothing can rebuild a manifest's record of which files and
//! WAL segments should exist, and a wrong safe LSN could replay old WAL
//! records over newer TSM files.

use std::io::Write;
use std::path::Path;

use skulk_engine::{CHECKPOINT_FILE_NAME, MANIFEST_FILE_NAME, Manifest};

use skulk_wal::Lsn;

use super::say;
use crate::datadir::DataDir;
use crate::error::{CliError, Result};

/// What the directory says it holds.
#[derive(Debug, Default)]
pub struct Header {
    /// The manifest, when there is a readable one.
    pub manifest: Option<Manifest>,
    /// The safe LSN: WAL records up to it are in the files (0 when unknown).
    pub safe_lsn: Lsn,
}

/// Checks the `MANIFEST` (or, without one, the `CHECKPOINT`); a bad one is
/// added to `unrepaired`.
pub fn check(data: &DataDir, unrepaired: &mut Vec<String>, out: &mut dyn Write) -> Result<Header> {
    if data.entry(Path::new(MANIFEST_FILE_NAME))?.is_none() {
        let safe_lsn = check_checkpoint(data, unrepaired, out)?;
        return Ok(Header {
            manifest: None,
            safe_lsn,
        });
    }
    let manifest = check_manifest(data, unrepaired, out)?;
    Ok(Header {
        safe_lsn: manifest.as_ref().map_or(0, |m| m.safe_lsn),
        manifest,
    })
}

/// A layout-2 directory's `MANIFEST`.
fn check_manifest(
    data: &DataDir,
    unrepaired: &mut Vec<String>,
    out: &mut dyn Write,
) -> Result<Option<Manifest>> {
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

/// A layout-1 directory's `CHECKPOINT`: its safe LSN (0 without a
/// readable one).
fn check_checkpoint(
    data: &DataDir,
    unrepaired: &mut Vec<String>,
    out: &mut dyn Write,
) -> Result<Lsn> {
    let path = Path::new(CHECKPOINT_FILE_NAME);
    if data.entry(path)?.is_none() {
        say(out, "CHECKPOINT: none (the whole WAL is replayed)")?;
        return Ok(0);
    }
    let shown = data.shown(path);
    let bytes = crate::disk::read(&shown)?;
    match skulk_engine::decode_checkpoint(&bytes, &shown) {
        Ok(lsn) => {
            say(out, &format!("CHECKPOINT: ok, safe LSN {lsn}"))?;
            Ok(lsn)
        }
        Err(e) => {
            let why = format!(
                "{} (not rewritten: it needs manual attention, since a wrong safe LSN \
                 would replay old WAL records over newer TSM files)",
                CliError::from(e).one_line()
            );
            say(out, &format!("CHECKPOINT: {why}"))?;
            unrepaired.push(why);
            Ok(0)
        }
    }
}
