//! Where a command's text goes: standard output or `--output FILE`,
//! gzip-compressed with `--compress` or a `.gz` file name.

use std::fs::File;
use std::io::{BufWriter, Write};

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::cli::OutputArgs;
use crate::error::{CliError, Result};

/// Runs `write` on the output `args` name (`out` when none), compressing
/// when asked; a file is flushed and synced before this returns.
pub fn with_output(
    out: &mut dyn Write,
    args: &OutputArgs,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    let Some(path) = &args.output else {
        if !args.compress {
            return write(out);
        }
        let mut gz = GzEncoder::new(out, Compression::default());
        write(&mut gz)?;
        return gz
            .finish()
            .and_then(|o| o.flush())
            .map_err(CliError::output);
    };
    let gzip = args.compress
        || path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    let file = File::create(path).map_err(CliError::io(path))?;
    let mut buffered = BufWriter::with_capacity(1 << 16, file);
    if gzip {
        let mut gz = GzEncoder::new(&mut buffered, Compression::default());
        write(&mut gz)?;
        gz.finish().map_err(CliError::io(path))?;
    } else {
        write(&mut buffered)?;
    }
    let file = buffered
        .into_inner()
        .map_err(|e| CliError::io(path)(e.into_error()))?;
    file.sync_all().map_err(CliError::io(path))
}
