//! Flushing a memtable to a TSM file.

use std::path::Path;
use std::sync::Arc;

use skulk_format::storage::{FsStorage, Storage};
use skulk_format::{TimePartition, TsmHandle, TsmWriter, TsmWriterOptions};

use crate::{MemTableSnapshot, Result, TimeSeriesMemTable};

/// A flushed memtable: the published file and what went into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlushOutcome {
    /// The published file (path, footer, statistics).
    pub handle: TsmHandle,
    /// The partition flushed.
    pub partition: TimePartition,
    /// Series written.
    pub series_written: u64,
    /// Points written.
    pub points_written: u64,
    /// The highest log sequence number the file covers: log records up to
    /// it may be dropped once the file is recorded.
    pub max_lsn: Option<u64>,
}

impl MemTableSnapshot {
    /// Writes every series to a TSM file published atomically at `path`
    /// on the real file system (temporary file, fsync, rename, fsync of the
    /// directory; see [`TsmWriter`]). One series is decoded at a time.
    pub fn write_tsm(&self, path: &Path, options: TsmWriterOptions) -> Result<FlushOutcome> {
        self.write_tsm_in(Arc::new(FsStorage::new("")), path, options)
    }

    /// [`MemTableSnapshot::write_tsm`] with `path` inside `storage` and
    /// every file-system operation done through it.
    pub fn write_tsm_in(
        &self,
        storage: Arc<dyn Storage>,
        path: &Path,
        options: TsmWriterOptions,
    ) -> Result<FlushOutcome> {
        let mut writer = TsmWriter::create_in(storage, path, options)?;
        let (series_written, points_written) = self.write_series_to(&mut writer)?;
        let handle = writer.finish()?;
        Ok(FlushOutcome {
            handle,
            partition: self.partition(),
            series_written,
            points_written,
            max_lsn: self.stats().max_lsn,
        })
    }

    /// Writes every series into `writer` (which the caller finishes), one
    /// decoded at a time; returns the series and points written. Nothing
    /// here touches a file: `writer` does, through its storage.
    pub fn write_series_to(&self, writer: &mut TsmWriter) -> Result<(u64, u64)> {
        let (mut series_written, mut points_written) = (0u64, 0u64);
        for columns in self.columns() {
            let columns = columns?;
            writer.write_series(&columns.meta, &columns.timestamps, &columns.values)?;
            series_written += 1;
            points_written += columns.timestamps.len() as u64;
        }
        Ok((series_written, points_written))
    }
}

impl TimeSeriesMemTable {
    /// Writes the memtable to a TSM file at `path` with default writer
    /// options (see [`MemTableSnapshot::write_tsm`]). The memtable is left
    /// as it is: drop it once the file is recorded.
    ///
    /// ```
    /// use std::time::Duration;
    /// use skulk_format::{DataPoint, TimePartition, TimeRange, TsmReader};
    /// use skulk_memtable::TimeSeriesMemTable;
    ///
    /// let mut table = TimeSeriesMemTable::new(TimePartition::new(0, Duration::from_secs(60))?);
    /// let points: Vec<_> = (0..10).map(|t| DataPoint::new("cpu", vec![], t, t as f64)).collect();
    /// table.insert_batch(&points)?;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let outcome = table.flush(dir.path().join("0.tsm"))?;
    /// assert_eq!((outcome.series_written, outcome.points_written), (1, 10));
    /// let reader = TsmReader::open(std::fs::read(&outcome.handle.path)?)?;
    /// let (ts, _) = reader.read_series(points[0].series_id, TimeRange::ALL)?;
    /// assert_eq!(ts, (0..10).collect::<Vec<i64>>());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn flush(&self, path: impl AsRef<Path>) -> Result<FlushOutcome> {
        self.flush_with(path, TsmWriterOptions::default())
    }

    /// [`flush`](Self::flush) with explicit writer options.
    pub fn flush_with(
        &self,
        path: impl AsRef<Path>,
        options: TsmWriterOptions,
    ) -> Result<FlushOutcome> {
        self.snapshot().write_tsm(path.as_ref(), options)
    }
}
