//! A published TSM file as the engine holds it: mapped, with its place in
//! the data directory and the time span it covers.

use std::path::{Path, PathBuf};

use skulk_format::storage::{FileBytes, Storage};
use skulk_format::{BlockRef, SeriesId, TimeRange, TsmReader};

use crate::Result;
use crate::layout::FileGens;
use crate::levels::Span;
use crate::manifest::FileRecord;
use crate::query::merge::Columns;

/// One open, immutable TSM file.
#[derive(Debug)]
pub(crate) struct TsmFile {
    pub gens: FileGens,
    /// Where the file is, relative to the data directory.
    pub path: PathBuf,
    /// The partitions it covers.
    pub span: Span,
    pub reader: TsmReader<FileBytes>,
}

impl TsmFile {
    /// Maps and opens the file at `path` of `storage` (checks header,
    /// footer, index).
    pub fn open(storage: &dyn Storage, path: &Path, gens: FileGens, span: Span) -> Result<Self> {
        let reader = TsmReader::open_in(storage, path)?;
        Ok(Self {
            gens,
            path: path.to_path_buf(),
            span,
            reader,
        })
    }

    pub fn size(&self) -> u64 {
        self.reader.stats().file_size
    }

    pub fn points(&self) -> u64 {
        self.reader.stats().total_point_count
    }

    /// What the manifest records of this file.
    pub fn record(&self) -> FileRecord {
        let stats = self.reader.stats();
        let (min_ts, max_ts) = if stats.total_point_count > 0 {
            (stats.min_timestamp, stats.max_timestamp)
        } else {
            (i64::MAX, i64::MIN)
        };
        FileRecord {
            path: self.path.clone(),
            first_gen: self.gens.first,
            last_gen: self.gens.last,
            span_start: self.span.start,
            span_end: self.span.end,
            size: stats.file_size,
            file_crc: self.reader.footer().file_crc,
            points: stats.total_point_count,
            min_ts,
            max_ts,
        }
    }

    /// True when the file may hold points in `range`.
    pub fn overlaps(&self, range: TimeRange) -> bool {
        let s = self.reader.stats();
        s.total_point_count > 0 && range.overlaps(s.min_timestamp, s.max_timestamp)
    }

    /// Decodes one block, keeping only points in `range`.
    pub fn read_block(&self, block: &BlockRef, range: TimeRange) -> Result<Columns> {
        let n = block.point_count as usize;
        let mut cols = Columns {
            ts: Vec::with_capacity(n),
            vals: Vec::with_capacity(n),
        };
        self.reader
            .read_block(block, &mut cols.ts, &mut cols.vals)?;
        if !(range.contains(block.min_ts) && range.contains(block.max_ts)) {
            cols.retain_range(range);
        }
        Ok(cols)
    }

    /// Every point of `series` in the file.
    pub fn read_series(&self, series: SeriesId) -> Result<Columns> {
        let (ts, vals) = self.reader.read_series(series, TimeRange::ALL)?;
        Ok(Columns { ts, vals })
    }
}
