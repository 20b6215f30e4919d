//! `skulk verify`: a data directory checked against its manifest (every
//! file, every checksum, the WAL), a folder of Skulk files, or one TSM
//! file, WAL segment, `MANIFEST` or `CHECKPOINT`.

mod directory;
mod single;
mod tally;

use std::io::Write;
use std::path::Path;

use skulk_format::storage::EntryKind;

use crate::datadir::DataDir;
use crate::disk;
use crate::error::{CliError, Result};
use tally::Tally;

/// Runs `verify` on `path`. Prints one line per file and a summary; an
/// error (exit status 3) when anything needs attention.
pub fn run(path: &Path, out: &mut dyn Write) -> Result<()> {
    let mut tally = Tally::default();
    let next = match disk::entry(path)? {
        None => {
            return Err(CliError::Usage(format!(
                "{}: no such file or directory",
                path.display()
            )));
        }
        Some(EntryKind::File) => {
            single::check_file(path, true, &mut tally, out)?;
            Vec::new()
        }
        Some(EntryKind::Dir) if DataDir::new(path).is_data_dir()? => {
            directory::check(path, &mut tally, out)?
        }
        Some(EntryKind::Dir) => {
            single::check_folder(path, &mut tally, out)?;
            Vec::new()
        }
    };
    tally.finish(out, &next)
}
