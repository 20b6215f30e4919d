//! `skulk verify`: every checksum of every TSM file, WAL segment and engine
//! checkpoint.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use skulk_format::TsmReader;
use skulk_wal::Wal;

use crate::error::{CliError, Result};
use crate::files::{self, FileKind};

/// What was checked and what failed.
#[derive(Debug, Default)]
struct Outcome {
    ok: usize,
    problems: Vec<(PathBuf, String)>,
}

/// Runs `verify` on a TSM file, a WAL segment, a `CHECKPOINT` file or a
/// directory. Prints one line per file (per WAL directory); an error when
/// anything is corrupt.
pub fn run(path: &Path, out: &mut dyn Write) -> Result<()> {
    if !path.exists() {
        return Err(CliError::Usage(format!(
            "{}: no such file or directory",
            path.display()
        )));
    }
    let mut outcome = Outcome::default();
    if path.is_dir() {
        let found = files::scan(path)?;
        for tsm in &found.tsm {
            check_tsm(tsm, &mut outcome, out)?;
        }
        for dir in &found.wal_dirs {
            check_wal_dir(dir, &mut outcome, out)?;
        }
        for checkpoint in &found.checkpoints {
            check_checkpoint(checkpoint, &mut outcome, out)?;
        }
    } else if files::is_checkpoint(path)? {
        check_checkpoint(path, &mut outcome, out)?;
    } else {
        match files::kind_of(path)? {
            FileKind::Tsm => check_tsm(path, &mut outcome, out)?,
            FileKind::WalSegment => check_segment(path, &mut outcome, out)?,
            FileKind::Other => {
                let why = "not a TSM file, WAL segment or checkpoint (bad magic)".to_string();
                report(&mut outcome, out, path, Err(why))?;
            }
        }
    }
    writeln!(out, "{} ok, {} corrupt", outcome.ok, outcome.problems.len())
        .map_err(CliError::output)?;
    match outcome.problems.first() {
        None => Ok(()),
        Some((path, why)) => Err(CliError::Corruption {
            count: outcome.problems.len(),
            first: if why.contains(&path.display().to_string()) {
                why.clone()
            } else {
                format!("{}: {why}", path.display())
            },
        }),
    }
}

fn report(
    outcome: &mut Outcome,
    out: &mut dyn Write,
    path: &Path,
    result: std::result::Result<String, String>,
) -> Result<()> {
    let line = match result {
        Ok(detail) => {
            outcome.ok += 1;
            format!("OK       {} ({detail})", path.display())
        }
        Err(why) => {
            let line = format!("CORRUPT  {}: {why}", path.display());
            outcome.problems.push((path.to_path_buf(), why));
            line
        }
    };
    writeln!(out, "{line}").map_err(CliError::output)
}

fn check_tsm(path: &Path, outcome: &mut Outcome, out: &mut dyn Write) -> Result<()> {
    let bytes = files::read(path)?;
    let result = TsmReader::open_named(bytes, path)
        .and_then(|reader| reader.verify())
        .map(|r| {
            format!(
                "{} series, {} blocks, {} points",
                r.series, r.blocks, r.points
            )
        })
        .map_err(|e| CliError::from(e).one_line());
    report(outcome, out, path, result)
}

/// The engine's `CHECKPOINT`: length, magic, version, reserved bytes, CRC.
/// One byte past the fixed length is enough to tell a file that is too long.
fn check_checkpoint(path: &Path, outcome: &mut Outcome, out: &mut dyn Write) -> Result<()> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| {
            f.take(skulk_engine::CHECKPOINT_LEN as u64 + 1)
                .read_to_end(&mut bytes)
        })
        .map_err(CliError::io(path))?;
    let result = skulk_engine::decode_checkpoint(&bytes, path)
        .map(|lsn| format!("checkpoint: safe LSN {lsn}"))
        .map_err(|e| CliError::from(e).one_line());
    report(outcome, out, path, result)
}

fn check_wal_dir(dir: &Path, outcome: &mut Outcome, out: &mut dyn Write) -> Result<()> {
    let result = Wal::recover(dir)
        .map(|r| wal_detail(r.records().len(), r.segments().len(), r.torn_bytes()))
        .map_err(|e| CliError::from(e).one_line());
    report(outcome, out, dir, result)
}

fn check_segment(path: &Path, outcome: &mut Outcome, out: &mut dyn Write) -> Result<()> {
    let result = match crate::wal_file::recover_segment(path) {
        Ok(r) => Ok(wal_detail(r.records().len(), 1, r.torn_bytes())),
        Err(e @ CliError::Wal(_)) => Err(e.one_line()),
        Err(e) => return Err(e),
    };
    report(outcome, out, path, result)
}

fn wal_detail(records: usize, segments: usize, torn: u64) -> String {
    let mut detail = format!("WAL: {segments} segment(s), {records} records");
    if torn > 0 {
        detail.push_str(&format!(
            ", torn tail of {torn} bytes (an interrupted write; cut on the next open)"
        ));
    }
    detail
}
