//! The manifest: the durable record of what a data directory holds
//! (`FORMAT.md`, "MANIFEST").
//!
//! One file, `MANIFEST`, replaced atomically (tmp, fsync, rename, fsync
//! dir) on every change: the settings that must never change, every live
//! TSM file with what is needed to notice its loss or truncation, the WAL
//! segments created and not yet removed, the safe LSN, the next file
//! generation and how far retention went. Whatever was durable last is the
//! directory's state; open checks the files against it.

mod codec;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use codec::{MANIFEST_MAGIC, MANIFEST_VERSION, decode_manifest};

use crate::Result;
use crate::layout::{FileGens, Layout};
use crate::tombstone::Tombstone;

/// The manifest's file name in a data directory.
pub const MANIFEST_FILE_NAME: &str = "MANIFEST";

/// A live TSM file as the manifest records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    /// Where the file is, relative to the data directory.
    pub path: PathBuf,
    /// The file generations it holds (see `FORMAT.md`, "Layout").
    pub first_gen: u64,
    /// See `first_gen`.
    pub last_gen: u64,
    /// The time span it covers: whole partitions, `[span_start, span_end)`.
    pub span_start: i64,
    /// See `span_start` (exclusive; `i64::MAX` for the last partition).
    pub span_end: i64,
    /// Its size in bytes.
    pub size: u64,
    /// The whole-file CRC its footer records.
    pub file_crc: u32,
    /// Points it holds.
    pub points: u64,
    /// Its smallest timestamp (`i64::MAX` when it holds no point).
    pub min_ts: i64,
    /// Its largest timestamp (`i64::MIN` when it holds no point).
    pub max_ts: i64,
}

/// What tells one TSM file from another without reading its blocks: the
/// whole-file CRC alone does not (a file whose records and header differ
/// but carry their own matching CRCs has the same whole-file CRC), so the
/// points and time range go with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fingerprint {
    file_crc: u32,
    points: u64,
    min_ts: i64,
    max_ts: i64,
}

impl Fingerprint {
    /// The fingerprint of the file `reader` reads.
    pub fn of<B: AsRef<[u8]>>(reader: &skulk_format::TsmReader<B>) -> Self {
        let stats = reader.stats();
        let (min_ts, max_ts) = match stats.total_point_count {
            0 => (i64::MAX, i64::MIN),
            _ => (stats.min_timestamp, stats.max_timestamp),
        };
        Self {
            file_crc: reader.footer().file_crc,
            points: stats.total_point_count,
            min_ts,
            max_ts,
        }
    }
}

impl FileRecord {
    /// The fingerprint of the file this record describes.
    pub(crate) fn fingerprint(&self) -> Fingerprint {
        Fingerprint {
            file_crc: self.file_crc,
            points: self.points,
            min_ts: self.min_ts,
            max_ts: self.max_ts,
        }
    }

    pub(crate) fn gens(&self) -> FileGens {
        FileGens {
            first: self.first_gen,
            last: self.last_gen,
        }
    }
}

/// Everything the manifest records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Bumped by every write: a reader that saw sequence `n` knows a
    /// manifest with a higher one is newer.
    pub sequence: u64,
    /// The partition duration the directory was created with; it never
    /// changes.
    pub partition_duration: Duration,
    /// WAL records with an LSN up to it are durable in the listed files.
    pub safe_lsn: u64,
    /// The generation the next TSM file gets: every file a flush or a
    /// compaction wrote with a lower one was recorded here (or replaced).
    pub next_gen: u64,
    /// The highest retention cutoff applied: partitions ending at or before
    /// it were dropped.
    pub retention_cutoff: Option<i64>,
    /// The live TSM files, by generation.
    pub files: Vec<FileRecord>,
    /// The first LSN of every WAL segment created and not yet removed, in
    /// order.
    pub wal_segments: Vec<u64>,
    /// Files a compaction or retention replaced or dropped whose removal
    /// may not be durable yet: open deletes them if they are still there.
    pub removed: Vec<PathBuf>,
    /// Deletes whose points some listed file still holds, oldest first.
    pub tombstones: Vec<Tombstone>,
}

impl Manifest {
    /// The manifest of a new, empty directory.
    pub fn new(partition_duration: Duration) -> Self {
        Self {
            sequence: 0,
            partition_duration,
            safe_lsn: 0,
            next_gen: 1,
            retention_cutoff: None,
            files: Vec::new(),
            wal_segments: Vec::new(),
            removed: Vec::new(),
            tombstones: Vec::new(),
        }
    }

    /// Reads the manifest of `layout`; `None` when there is none.
    pub(crate) fn load(layout: &Layout) -> Result<Option<Manifest>> {
        let path = Path::new(MANIFEST_FILE_NAME);
        match layout.storage().read(path) {
            Ok(bytes) => decode_manifest(&bytes, &layout.shown(path)).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(layout.io(path)(e)),
        }
    }

    /// Durably replaces the manifest of `layout` with this one, bumping
    /// its sequence first.
    pub(crate) fn store(&mut self, layout: &Layout) -> Result<()> {
        self.sequence += 1;
        layout.write_atomic(Path::new(MANIFEST_FILE_NAME), &codec::encode(self))
    }

    /// The bytes of this manifest as `FORMAT.md` ("MANIFEST") lays them out.
    pub fn to_bytes(&self) -> Vec<u8> {
        codec::encode(self)
    }

    /// Keeps the files in generation order (newest last).
    pub(crate) fn sort_files(&mut self) {
        self.files.sort_by_key(|f| (f.last_gen, f.first_gen));
    }
}

/// Records every WAL segment the log creates in the manifest, before any
/// record goes into it (see `skulk_wal::SegmentObserver`).
pub(crate) struct ManifestObserver {
    layout: Layout,
    manifest: std::sync::Arc<std::sync::Mutex<Manifest>>,
}

impl ManifestObserver {
    pub fn new(layout: Layout, manifest: std::sync::Arc<std::sync::Mutex<Manifest>>) -> Self {
        Self { layout, manifest }
    }
}

impl skulk_wal::SegmentObserver for ManifestObserver {
    fn segment_created(
        &self,
        first_lsn: u64,
    ) -> std::result::Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let mut current = crate::locks::guard(&self.manifest);
        let mut next = current.clone();
        if !next.wal_segments.contains(&first_lsn) {
            next.wal_segments.push(first_lsn);
            next.wal_segments.sort_unstable();
        }
        next.store(&self.layout)?;
        *current = next;
        Ok(())
    }
}
