//! What kind of Skulk file a path holds: by the names the engine gives its
//! own files, then by magic, then by the names of TSM files and WAL
//! segments (so that a file whose first bytes are damaged is still checked
//! as what it is).

use std::path::Path;

use skulk_engine::{CHECKPOINT_FILE_NAME, CHECKPOINT_MAGIC, MANIFEST_FILE_NAME, MANIFEST_MAGIC};

/// What kind of Skulk file a path holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A TSM file (magic `ATSM`, or a name holding `.tsm`).
    Tsm,
    /// A WAL segment (magic `SKWL`, or a segment's name).
    WalSegment,
    /// The engine's manifest (named `MANIFEST`, or magic `SKMF`).
    Manifest,
    /// A layout-1 checkpoint (named `CHECKPOINT`, or magic `SKCK`).
    Checkpoint,
    /// Anything else.
    Other,
}

/// Magic of a WAL segment (`skulk-wal/FORMAT.md`).
const WAL_MAGIC: &[u8; 4] = b"SKWL";

/// Folder where `skulk repair` moves damaged TSM files. Scans skip it below
/// the scanned folder (files there are known to be damaged); scanning the
/// folder itself checks them.
pub const QUARANTINE_DIR: &str = "quarantine";

/// The kind of the file at `path` whose content is `bytes`.
pub fn classify(path: &Path, bytes: &[u8]) -> FileKind {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if name == MANIFEST_FILE_NAME {
        return FileKind::Manifest;
    }
    if name == CHECKPOINT_FILE_NAME {
        return FileKind::Checkpoint;
    }
    match bytes.get(..4) {
        Some(magic) if magic == skulk_format::HEADER_MAGIC => FileKind::Tsm,
        Some(magic) if magic == WAL_MAGIC => FileKind::WalSegment,
        Some(magic) if magic == MANIFEST_MAGIC => FileKind::Manifest,
        Some(magic) if magic == CHECKPOINT_MAGIC => FileKind::Checkpoint,
        _ if is_segment_name(name) => FileKind::WalSegment,
        _ if name.ends_with(".tsm") || name.contains(".tsm.") => FileKind::Tsm,
        _ => FileKind::Other,
    }
}

/// True for the name the log gives a segment: its first LSN as 16
/// lowercase hex digits, then `.wal`.
pub fn is_segment_name(name: &str) -> bool {
    name.strip_suffix(".wal").is_some_and(|hex| {
        hex.len() == 16 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// True for a copy `skulk repair` keeps of a WAL segment it cut
/// (`<segment>.repair-<unix seconds>`).
pub fn is_repair_backup(name: &str) -> bool {
    name.split_once(".repair-")
        .is_some_and(|(segment, _)| is_segment_name(segment))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_engine_files_win_then_magic_then_other_names() {
        let kind = |name: &str, bytes: &[u8]| classify(Path::new(name), bytes);
        assert_eq!(kind("MANIFEST", b"ATSM...."), FileKind::Manifest);
        assert_eq!(kind("CHECKPOINT", b""), FileKind::Checkpoint);
        assert_eq!(kind("copy", b"SKCK...."), FileKind::Checkpoint);
        assert_eq!(kind("saved", b"SKMF...."), FileKind::Manifest);
        assert_eq!(kind("x", b"ATSM"), FileKind::Tsm);
        assert_eq!(kind("x", b"SKWL"), FileKind::WalSegment);
        assert_eq!(
            kind("0000000000000001-0000000000000001.tsm", b"\0\0\0\0"),
            FileKind::Tsm
        );
        assert_eq!(
            kind("0000000000000001-0000000000000001.tsm.1", b""),
            FileKind::Tsm
        );
        assert_eq!(kind("000000000000000a.wal", b"\0"), FileKind::WalSegment);
        assert_eq!(kind("000000000000000A.wal", b"\0"), FileKind::Other);
        assert_eq!(kind("short", b"AT"), FileKind::Other);
        assert!(is_repair_backup("0000000000000001.wal.repair-17"));
        assert!(!is_repair_backup("x.wal.repair-17"));
    }
}
