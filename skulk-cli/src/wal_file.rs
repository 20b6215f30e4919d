//! Reading one WAL segment on its own.
//!
//! The log reads whole directories; a segment is self-contained (each one
//! starts by defining every series it uses), so one segment is read by
//! recovering a private directory holding only a copy of it.

use std::path::Path;

use skulk_wal::{Recovery, Wal};

use crate::error::{CliError, Result};

/// Every record of the segment at `path`. Corruption is an error naming
/// the original path and the offset.
pub fn recover_segment(path: &Path) -> Result<Recovery> {
    let name = path
        .file_name()
        .ok_or_else(|| CliError::Usage(format!("{}: not a file", path.display())))?;
    let dir = tempfile::tempdir().map_err(CliError::io(std::env::temp_dir()))?;
    std::fs::copy(path, dir.path().join(name)).map_err(CliError::io(path))?;
    let recovery = Wal::recover(dir.path())
        .map_err(|e| match e {
            skulk_wal::WalError::Corrupt { offset, what, .. } => skulk_wal::WalError::Corrupt {
                segment: path.to_path_buf(),
                offset,
                what,
            },
            other => other,
        })
        .map_err(CliError::from)?;
    if recovery.segments().is_empty() {
        return Err(CliError::Usage(format!(
            "{}: a WAL segment must keep its name, <first LSN as 16 hex digits>.wal",
            path.display()
        )));
    }
    Ok(recovery)
}
