//! Parquet export in a Hive-style layout (see SCHEMA.md).

use std::collections::{BTreeSet, HashMap};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use arrow_array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;
use skulk_engine::{Engine, SeriesMeta, SeriesResult, SeriesSelector, TimeRange};

use crate::batch::{BatchBuilder, DEFAULT_BATCH_ROWS};
use crate::error::io;
use crate::hive::{DAY_NANOS, date_of_day, day_of, escape};
use crate::layout::{TIME_COLUMN, TableLayout, VALUE_COLUMN};
use crate::parts::{self, part_after};
use crate::publish::{Batch, Written, tmp_name};
use crate::{Error, Result};

/// The schema version written in every file's key-value metadata.
pub const SCHEMA_VERSION: &str = "1";

/// The default [`ParquetOptions::compress_min_rows`].
pub const COMPRESS_MIN_ROWS: u64 = 256;

/// How to write the export.
#[derive(Debug, Clone)]
pub struct ParquetOptions {
    /// Rows per row group (at least 1).
    pub row_group_rows: usize,
    /// Rows per file before the next `part-N` starts (at least 1).
    pub file_rows: u64,
    /// zstd level (1-22).
    pub zstd_level: i32,
    /// Files with fewer rows are written uncompressed: their pages hold a
    /// few hundred bytes, which zstd barely shrinks, while setting up its
    /// contexts for each column of each file costs more than writing the
    /// file (0: compress every file).
    pub compress_min_rows: u64,
    /// Rows per batch handed to the writer.
    pub batch_rows: usize,
    /// Points the engine decodes at a time.
    pub chunk_points: usize,
    /// Days written side by side (at least 1); each holds one open file,
    /// so up to this many row groups are in memory at once. Default: the
    /// machine's cores, at most 4.
    pub threads: usize,
    /// Add to an earlier export in the folder instead of requiring it new
    /// or empty: a day's new files take the part numbers after those its
    /// folder holds, and no file is ever replaced. A day whose files
    /// already hold a time of the export's range is refused (by time, not
    /// by series), so no point is written twice.
    pub append: bool,
}

impl Default for ParquetOptions {
    fn default() -> Self {
        ParquetOptions {
            row_group_rows: 1 << 20,
            file_rows: 1 << 24,
            zstd_level: 3,
            compress_min_rows: COMPRESS_MIN_ROWS,
            batch_rows: DEFAULT_BATCH_ROWS,
            chunk_points: skulk_engine::DEFAULT_CHUNK_POINTS,
            threads: std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(4),
            append: false,
        }
    }
}

/// One file the export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedFile {
    /// Its path, relative to the export's folder.
    pub path: PathBuf,
    /// The metric it holds.
    pub metric: String,
    /// The UTC date of its points, `YYYY-MM-DD`.
    pub date: String,
    /// Its rows (points).
    pub rows: u64,
    /// Its size in bytes.
    pub bytes: u64,
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportSummary {
    /// Every file, in the order written.
    pub files: Vec<ExportedFile>,
    /// Points written.
    pub points: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// Writes the points `selector` picks in `range` as Parquet files under
/// `out` (created if missing; unless [`ParquetOptions::append`], refused
/// when it already holds anything):
/// `metric=<name>/date=YYYY-MM-DD/part-N.parquet`, one folder per metric
/// and UTC day, zstd-compressed, columns `time`, `value` and one per label
/// name of the metric (see SCHEMA.md). Files are written under hidden
/// temporary names and published in batches (up to 1,024 files or 256 MiB):
/// synced, renamed into place (never over an existing file), their folders
/// synced. A crash leaves no partial `.parquet` file, and a failed export
/// removes the files it had not published.
///
/// The export writes days side by side on [`ParquetOptions::threads`]
/// threads, each day through its own [`skulk_engine::PointScan`] and one
/// open file at a time; its memory is bounded by a scan's chunk and one
/// row group per thread.
pub fn export_parquet(
    engine: &Engine,
    selector: &SeriesSelector,
    range: TimeRange,
    out: &Path,
    options: &ParquetOptions,
) -> Result<ExportSummary> {
    fs::create_dir_all(out).map_err(io(out))?;
    if !options.append && fs::read_dir(out).map_err(io(out))?.next().is_some() {
        return Err(Error::InvalidArgument(format!(
            "{} is not empty: an export goes into a new or empty folder \
             (or adds to an earlier export with `append`)",
            out.display()
        )));
    }
    // Checked here, not when the first compressed file opens: an export
    // of small files only would not see a bad level at all.
    ZstdLevel::try_new(options.zstd_level)
        .map_err(|e| Error::InvalidArgument(format!("zstd level {}: {e}", options.zstd_level)))?;
    let threads = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads.max(1))
        .thread_name(|i| format!("skulk-export-{i}"))
        .build()
        .map_err(|e| Error::Threads(e.to_string()))?;
    let mut export = Export {
        out,
        options,
        layouts: Mutex::new(HashMap::new()),
        batch: Batch::new(out),
        summary: ExportSummary::default(),
    };
    match threads.install(|| export.run(engine, selector, range)) {
        Ok(()) => Ok(export.summary),
        Err(e) => {
            export.batch.abandon();
            Err(e)
        }
    }
}

/// Days written side by side before their files join the batch.
const DAYS_AT_ONCE: usize = 64;

/// An export under way: the metrics' layouts, the files written but not
/// yet published, and those published.
struct Export<'a> {
    out: &'a Path,
    options: &'a ParquetOptions,
    layouts: Mutex<HashMap<String, Arc<TableLayout>>>,
    batch: Batch<ExportedFile>,
    summary: ExportSummary,
}

impl Export<'_> {
    /// Writes the days in groups, each group's days in parallel (each
    /// through its own scan and one open file at a time), and adds their
    /// files to the batch in day order.
    fn run(&mut self, engine: &Engine, selector: &SeriesSelector, range: TimeRange) -> Result<()> {
        let days: Vec<i64> = days(engine, range)?.into_iter().collect();
        for group in days.chunks(DAYS_AT_ONCE) {
            let this = &*self;
            let outcomes: Vec<Result<Vec<Written<ExportedFile>>>> = group
                .par_iter()
                .map(|&day| this.day(engine, selector, range, day))
                .collect();
            let mut written = Vec::new();
            let mut failure = None;
            for outcome in outcomes {
                match outcome {
                    Ok(files) => written.extend(files),
                    Err(e) => {
                        failure.get_or_insert(e);
                    }
                }
            }
            if let Some(e) = failure {
                remove_all(&written);
                return Err(e);
            }
            let mut written = written.into_iter();
            while let Some(file) = written.next() {
                if self.batch.add(file)
                    && let Err(e) = self.publish()
                {
                    remove_all(&written.collect::<Vec<_>>());
                    return Err(e);
                }
            }
        }
        self.publish()
    }

    /// Writes the files of one UTC day; on an error, removes them.
    fn day(
        &self,
        engine: &Engine,
        selector: &SeriesSelector,
        range: TimeRange,
        day: i64,
    ) -> Result<Vec<Written<ExportedFile>>> {
        let start = day.saturating_mul(DAY_NANOS).max(range.start());
        let end = day
            .saturating_add(1)
            .saturating_mul(DAY_NANOS)
            .min(range.end());
        let Ok(day_range) = TimeRange::new(start, end) else {
            return Ok(Vec::new());
        };
        let mut files = DayFiles {
            day,
            range: day_range,
            file: None,
            written: Vec::new(),
        };
        let outcome = (|| {
            for chunk in engine
                .scan(selector, day_range)?
                .with_chunk_points(self.options.chunk_points)
            {
                for series in chunk? {
                    files.push(self, engine, series)?;
                }
            }
            files.close_file(self.out)
        })();
        match outcome {
            Ok(()) => Ok(files.written),
            Err(e) => {
                if let Some(file) = files.file.take() {
                    let _ = fs::remove_file(&file.tmp);
                }
                remove_all(&files.written);
                Err(e)
            }
        }
    }

    /// The layout of `series`' metric: a column per label name any series
    /// of the metric has, so every file of a metric in one export has the
    /// same columns.
    fn layout(&self, engine: &Engine, series: &SeriesMeta) -> Result<Arc<TableLayout>> {
        let cached = |layouts: &HashMap<String, Arc<TableLayout>>| {
            layouts.get(series.metric()).map(Arc::clone)
        };
        if let Some(layout) = cached(&lock(&self.layouts)) {
            return Ok(layout);
        }
        let metric = SeriesSelector::metric(series.metric());
        let layout = Arc::new(TableLayout::metric_file(engine.label_names(&metric)?));
        let mut layouts = lock(&self.layouts);
        Ok(Arc::clone(
            layouts.entry(series.metric().to_string()).or_insert(layout),
        ))
    }

    /// The part number of a day's first file of `metric`: 0, or when
    /// appending, the one after the highest its folder already holds, once
    /// no file there holds a time of `range` (the day's part of this
    /// export's range): exporting those times again would write their
    /// points twice.
    fn first_part(&self, metric: &str, day: i64, range: TimeRange) -> Result<u32> {
        if !self.options.append {
            return Ok(0);
        }
        parts::first_free_part(&self.out.join(day_folder(metric, day)), range)
    }

    fn publish(&mut self) -> Result<()> {
        for file in self.batch.publish()? {
            self.summary.add(file);
        }
        Ok(())
    }
}

/// The files of one day: the one being written and those done.
struct DayFiles {
    day: i64,
    /// The part of the export's range in this day.
    range: TimeRange,
    file: Option<PartFile>,
    written: Vec<Written<ExportedFile>>,
}

impl DayFiles {
    /// Adds one series' points to the open file, first opening the next
    /// file when the metric changes or the file is full.
    fn push(&mut self, export: &Export<'_>, engine: &Engine, series: SeriesResult) -> Result<()> {
        let options = export.options;
        let next = match &self.file {
            Some(f) if f.metric == series.series.metric() => {
                if f.rows >= options.file_rows.max(1) {
                    Some((Arc::clone(&f.layout), next_part(export.out, f)?))
                } else {
                    None
                }
            }
            _ => Some((
                export.layout(engine, &series.series)?,
                export.first_part(series.series.metric(), self.day, self.range)?,
            )),
        };
        if let Some((layout, part)) = next {
            self.close_file(export.out)?;
            self.file = Some(PartFile::create(
                export.out,
                layout,
                &series.series,
                self.day,
                part,
                options,
            )?);
        }
        match self.file.as_mut() {
            Some(file) => file.push(series),
            None => Ok(()),
        }
    }

    /// Finishes the open file, if any.
    fn close_file(&mut self, out: &Path) -> Result<()> {
        if let Some(file) = self.file.take() {
            let tmp = file.tmp.clone();
            let written = file.finish(out).inspect_err(|_| {
                let _ = fs::remove_file(&tmp);
            })?;
            self.written.push(written);
        }
        Ok(())
    }
}

/// Removes written, unpublished files (best effort: the export failed).
fn remove_all(files: &[Written<ExportedFile>]) {
    for file in files {
        let _ = fs::remove_file(&file.tmp);
    }
}

/// The layouts' lock; a panic elsewhere cannot leave the map half-updated.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl ExportSummary {
    fn add(&mut self, file: ExportedFile) {
        self.points += file.rows;
        self.bytes += file.bytes;
        self.files.push(file);
    }
}

/// The UTC days, ascending, of the partitions that hold data in `range`.
fn days(engine: &Engine, range: TimeRange) -> Result<BTreeSet<i64>> {
    let mut days = BTreeSet::new();
    for part in engine.partitions()? {
        let lo = part.start().max(range.start());
        let hi = part.end_ts().min(range.end());
        if lo < hi {
            days.extend(day_of(lo)..=day_of(hi - 1));
        }
    }
    Ok(days)
}

/// The folder of `metric`'s files of `day`, relative to the export's.
fn day_folder(metric: &str, day: i64) -> PathBuf {
    PathBuf::from(format!("metric={}", escape(metric))).join(format!("date={}", date_of_day(day)))
}

/// The part number after `file`'s.
fn next_part(out: &Path, file: &PartFile) -> Result<u32> {
    let folder = out.join(file.relative.parent().unwrap_or(Path::new("")));
    part_after(&folder, file.part)
}

/// A Parquet file being written under its temporary name.
struct PartFile {
    metric: String,
    date: String,
    part: u32,
    layout: Arc<TableLayout>,
    relative: PathBuf,
    tmp: PathBuf,
    /// Opened by the first full batch (compressed) or when the file is
    /// finished (compressed if it has [`ParquetOptions::compress_min_rows`]
    /// rows); until then its rows wait in `builder` (fewer than a batch).
    writer: Option<ArrowWriter<File>>,
    builder: BatchBuilder,
    rows: u64,
    options: ParquetOptions,
}

impl PartFile {
    fn create(
        out: &Path,
        layout: Arc<TableLayout>,
        series: &SeriesMeta,
        day: i64,
        part: u32,
        options: &ParquetOptions,
    ) -> Result<PartFile> {
        let date = date_of_day(day);
        let folder = day_folder(series.metric(), day);
        fs::create_dir_all(out.join(&folder)).map_err(io(out.join(&folder)))?;
        let relative = folder.join(format!("part-{part}.parquet"));
        let tmp = tmp_name(&out.join(&relative));
        let builder = BatchBuilder::new(&layout, None, options.batch_rows)?;
        Ok(PartFile {
            metric: series.metric().to_string(),
            date,
            part,
            layout,
            relative,
            tmp,
            writer: None,
            builder,
            rows: 0,
            options: options.clone(),
        })
    }

    fn push(&mut self, series: SeriesResult) -> Result<()> {
        self.rows += series.len() as u64;
        let mut batches = Vec::new();
        self.builder.push(series, &mut batches)?;
        self.write(&batches)
    }

    /// Creates the file under its temporary name and its writer.
    fn open_writer(&self, compressed: bool) -> Result<ArrowWriter<File>> {
        let tmp = &self.tmp;
        let parquet = |source| Error::Parquet {
            path: tmp.clone(),
            source,
        };
        let props = properties(&self.metric, compressed, &self.options).map_err(parquet)?;
        // A name of its own (see `tmp_name`), so never another's file.
        let handle = File::options()
            .write(true)
            .create_new(true)
            .open(tmp)
            .map_err(io(tmp))?;
        ArrowWriter::try_new(handle, Arc::clone(self.layout.schema()), Some(props)).map_err(
            |source| {
                let _ = fs::remove_file(tmp);
                parquet(source)
            },
        )
    }

    fn write(&mut self, batches: &[RecordBatch]) -> Result<()> {
        if batches.is_empty() {
            return Ok(());
        }
        // A full batch opens the file compressed even when the threshold
        // is above a batch: rows never wait beyond one.
        let mut writer = match self.writer.take() {
            Some(writer) => writer,
            None => self.open_writer(true)?,
        };
        write_batches(&mut writer, &self.tmp, batches)?;
        self.writer = Some(writer);
        Ok(())
    }

    /// Writes the footer and closes the file under its temporary name;
    /// the batch it joins publishes it.
    fn finish(mut self, out: &Path) -> Result<Written<ExportedFile>> {
        let mut last = Vec::new();
        self.builder.finish(&mut last)?;
        let mut writer = match self.writer.take() {
            Some(writer) => writer,
            None => self.open_writer(self.rows >= self.options.compress_min_rows)?,
        };
        write_batches(&mut writer, &self.tmp, &last)?;
        let tmp = self.tmp.clone();
        let file = writer.into_inner().map_err(|source| Error::Parquet {
            path: tmp.clone(),
            source,
        })?;
        let bytes = file.metadata().map_err(io(&tmp))?.len();
        drop(file);
        Ok(Written {
            tmp,
            path: out.join(&self.relative),
            bytes,
            report: ExportedFile {
                path: self.relative,
                metric: self.metric,
                date: self.date,
                rows: self.rows,
                bytes,
            },
        })
    }
}

fn write_batches(
    writer: &mut ArrowWriter<File>,
    tmp: &Path,
    batches: &[RecordBatch],
) -> Result<()> {
    for batch in batches {
        writer.write(batch).map_err(|source| Error::Parquet {
            path: tmp.to_path_buf(),
            source,
        })?;
    }
    Ok(())
}

/// zstd (when `compressed`), timestamps delta-encoded, values
/// byte-stream-split, labels as dictionaries; the schema version and metric
/// in the metadata.
fn properties(
    metric: &str,
    compressed: bool,
    options: &ParquetOptions,
) -> std::result::Result<WriterProperties, parquet::errors::ParquetError> {
    let time = ColumnPath::from(TIME_COLUMN);
    let value = ColumnPath::from(VALUE_COLUMN);
    let compression = if compressed {
        Compression::ZSTD(ZstdLevel::try_new(options.zstd_level)?)
    } else {
        Compression::UNCOMPRESSED
    };
    Ok(WriterProperties::builder()
        .set_compression(compression)
        .set_max_row_group_row_count(Some(options.row_group_rows.max(1)))
        .set_column_encoding(time.clone(), Encoding::DELTA_BINARY_PACKED)
        .set_column_dictionary_enabled(time, false)
        .set_column_encoding(value.clone(), Encoding::BYTE_STREAM_SPLIT)
        .set_column_dictionary_enabled(value, false)
        .set_key_value_metadata(Some(vec![
            KeyValue::new(
                "skulk.schema_version".to_string(),
                SCHEMA_VERSION.to_string(),
            ),
            KeyValue::new("skulk.metric".to_string(), metric.to_string()),
        ]))
        .build())
}
