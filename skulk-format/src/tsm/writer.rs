//! `TsmWriter`: streams series into a new TSM file and publishes it
//! atomically (`FORMAT.md`, "TSM file").

use std::collections::HashSet;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use skulk_codec::CompressedBlock;

use super::block::{BlockRef, encode_record};
use super::bloom::BloomFilter;
use super::footer::TsmFooter;
use super::header::{FLAG_HAS_POINTS, HEADER_LEN, TsmHeader};
use super::index::{WrittenSeries, encode_index};
use super::options::TsmWriterOptions;
use super::stats::{TsmHandle, TsmStats};
use super::version::FormatVersion;
use crate::storage::{FsStorage, Storage, WritableFile, parent_of, tmp_path};
use crate::{FormatError, Result, SeriesId, SeriesMeta, Timestamp};

/// Writes one TSM file in a single pass.
///
/// - Series may be written in any order; the index is sorted at
///   [`TsmWriter::finish`]. Each series is written once: a second series with
///   the same id (the same metadata, or a hash collision) is refused.
/// - Within a series, timestamps must be strictly increasing (no
///   duplicates); a point out of order is refused with
///   [`FormatError::InvalidArgument`] and leaves the writer usable.
/// - Memory: at most one block of points is buffered (for
///   [`TsmWriter::append`]), plus the index entries (metadata and one
///   32-byte entry per block) until `finish`.
/// - The file is written as `<path>.tmp` in the same directory and renamed
///   to `path` by `finish` after an fsync; dropping an unfinished writer
///   removes the temporary file. An I/O error poisons the writer.
/// - Every file-system operation goes through a [`Storage`]
///   ([`TsmWriter::create_in`]); [`TsmWriter::create`] uses the real file
///   system.
///
/// ```
/// use skulk_format::{SeriesMeta, TsmWriter, TsmWriterOptions};
///
/// let dir = tempfile::tempdir()?;
/// let cpu = SeriesMeta::new("cpu", vec![("host".into(), "a".into())]);
/// let mut writer = TsmWriter::create(dir.path().join("1.tsm"), TsmWriterOptions::default())?;
/// writer.write_series(&cpu, &[10, 20, 30], &[0.5, 0.25, 1.0])?;
/// // A point out of order is refused, and the writer stays usable.
/// writer.begin_series(&SeriesMeta::new("mem", vec![]))?;
/// writer.append(5, 1.0)?;
/// assert!(writer.append(5, 2.0).is_err());
/// writer.end_series()?;
/// let handle = writer.finish()?;
/// assert_eq!((handle.stats.series_count, handle.stats.total_point_count), (2, 4));
/// assert!(handle.path.exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct TsmWriter {
    path: PathBuf,
    tmp_path: PathBuf,
    storage: Arc<dyn Storage>,
    out: Option<BufWriter<Sink>>,
    offset: u64,
    crc: crc32fast::Hasher,
    options: TsmWriterOptions,
    entries: Vec<WrittenSeries>,
    ids: HashSet<SeriesId>,
    open: Option<OpenSeries>,
    scratch: Vec<u8>,
    poisoned: bool,
}

/// A series begun with [`TsmWriter::begin_series`] and its buffered points.
#[derive(Debug)]
struct OpenSeries {
    meta: SeriesMeta,
    entry: WrittenSeries,
    timestamps: Vec<i64>,
    values: Vec<f64>,
    last: Option<Timestamp>,
}

fn invalid(message: String) -> FormatError {
    FormatError::InvalidArgument(message)
}

/// A [`WritableFile`] as an [`io::Write`] for the buffer in front of it.
#[derive(Debug)]
struct Sink(Box<dyn WritableFile>);

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.append(bytes)?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl TsmWriter {
    /// Starts writing the file that [`TsmWriter::finish`] publishes at
    /// `path` (replacing any file there) on the real file system.
    pub fn create(path: impl AsRef<Path>, options: TsmWriterOptions) -> Result<Self> {
        Self::create_in(Arc::new(FsStorage::new("")), path, options)
    }

    /// As [`TsmWriter::create`], with `path` inside `storage` and every
    /// file-system operation done through it.
    ///
    /// ```
    /// use std::path::Path;
    /// use std::sync::Arc;
    /// use skulk_format::{FsStorage, SeriesMeta, TimeRange, TsmReader, TsmWriter};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let storage = Arc::new(FsStorage::new(dir.path()));
    /// let meta = SeriesMeta::new("cpu", vec![]);
    /// let mut writer = TsmWriter::create_in(storage.clone(), "1.tsm", Default::default())?;
    /// writer.write_series(&meta, &[1, 2], &[1.5, 2.5])?;
    /// writer.finish()?;
    /// let reader = TsmReader::open_in(storage.as_ref(), Path::new("1.tsm"))?;
    /// assert_eq!(reader.read_series(meta.id(), TimeRange::ALL)?.1, [1.5, 2.5]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_in(
        storage: Arc<dyn Storage>,
        path: impl AsRef<Path>,
        options: TsmWriterOptions,
    ) -> Result<Self> {
        options.validate()?;
        let path = path.as_ref().to_path_buf();
        let tmp_path = tmp_path(&path);
        let io = |source| FormatError::Io {
            path: storage.display(&tmp_path),
            source,
        };
        let file = storage.create(&tmp_path).map_err(io)?;
        let mut out = BufWriter::with_capacity(1 << 20, Sink(file));
        // Placeholder; the real header is written by `finish`.
        out.write_all(&[0u8; HEADER_LEN]).map_err(io)?;
        Ok(Self {
            path,
            tmp_path,
            storage,
            out: Some(out),
            offset: HEADER_LEN as u64,
            crc: crc32fast::Hasher::new(),
            options,
            entries: Vec::new(),
            ids: HashSet::new(),
            open: None,
            scratch: Vec::new(),
            poisoned: false,
        })
    }

    /// The path the file will be published at (inside the storage).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes a whole series: `timestamps` strictly increasing, `values` of
    /// the same length (may be empty: the series is then listed without
    /// blocks). No series may be open.
    pub fn write_series(
        &mut self,
        meta: &SeriesMeta,
        timestamps: &[i64],
        values: &[f64],
    ) -> Result<()> {
        self.check_usable()?;
        if timestamps.len() != values.len() {
            return Err(invalid(format!(
                "series {meta}: {} timestamps but {} values",
                timestamps.len(),
                values.len()
            )));
        }
        if let Some(i) = timestamps.windows(2).position(|w| w.first() >= w.get(1)) {
            return Err(out_of_order(meta, i + 1));
        }
        let mut entry = self.new_entry(meta)?;
        let size = self.options.max_points_per_block;
        for (ts, vs) in timestamps.chunks(size).zip(values.chunks(size)) {
            self.write_block(&mut entry, ts, vs)?;
        }
        self.ids.insert(entry.id);
        self.entries.push(entry);
        Ok(())
    }

    /// Opens a series whose points follow with [`TsmWriter::append`] and end
    /// with [`TsmWriter::end_series`].
    pub fn begin_series(&mut self, meta: &SeriesMeta) -> Result<()> {
        self.check_usable()?;
        let entry = self.new_entry(meta)?;
        let capacity = self.options.max_points_per_block.min(1024);
        self.open = Some(OpenSeries {
            meta: meta.clone(),
            entry,
            timestamps: Vec::with_capacity(capacity),
            values: Vec::with_capacity(capacity),
            last: None,
        });
        Ok(())
    }

    /// Appends a point to the open series; `timestamp` must be greater than
    /// the previous one.
    pub fn append(&mut self, timestamp: Timestamp, value: f64) -> Result<()> {
        self.check_usable()?;
        let size = self.options.max_points_per_block;
        let open = self
            .open
            .as_mut()
            .ok_or_else(|| invalid("append without an open series".into()))?;
        if open.last.is_some_and(|last| last >= timestamp) {
            let written = open.entry.blocks.iter().map(|b| b.point_count as usize);
            let index = written.sum::<usize>() + open.timestamps.len();
            return Err(out_of_order(&open.meta, index));
        }
        open.last = Some(timestamp);
        open.timestamps.push(timestamp);
        open.values.push(value);
        if open.timestamps.len() >= size {
            self.flush_open()?;
        }
        Ok(())
    }

    /// Ends the open series, writing its buffered points.
    pub fn end_series(&mut self) -> Result<()> {
        self.check_usable()?;
        if self.open.is_none() {
            return Err(invalid("end_series without an open series".into()));
        }
        self.flush_open()?;
        if let Some(open) = self.open.take() {
            self.ids.insert(open.entry.id);
            self.entries.push(open.entry);
        }
        Ok(())
    }

    fn check_usable(&self) -> Result<()> {
        if self.poisoned || self.out.is_none() {
            return Err(FormatError::Poisoned {
                path: self.path.clone(),
            });
        }
        Ok(())
    }

    fn new_entry(&self, meta: &SeriesMeta) -> Result<WrittenSeries> {
        if let Some(open) = &self.open {
            return Err(invalid(format!("series {} is still open", open.meta)));
        }
        let id = meta.id();
        if self.ids.contains(&id) {
            return Err(invalid(format!(
                "series {meta} (id {id}) was already written"
            )));
        }
        Ok(WrittenSeries::new(id, meta))
    }

    fn flush_open(&mut self) -> Result<()> {
        let Some(mut open) = self.open.take() else {
            return Ok(());
        };
        let result = match open.timestamps.is_empty() {
            true => Ok(()),
            false => self
                .write_block(&mut open.entry, &open.timestamps, &open.values)
                .map(|()| {
                    open.timestamps.clear();
                    open.values.clear();
                }),
        };
        self.open = Some(open);
        result
    }

    /// Writes one block of `entry`'s points: a record, or, from version 2
    /// on, a single point inline in the index.
    fn write_block(&mut self, entry: &mut WrittenSeries, ts: &[i64], values: &[f64]) -> Result<()> {
        let inline = self.options.version >= FormatVersion::V2;
        if let ([t], [v], true) = (ts, values, inline) {
            entry.blocks.push(BlockRef {
                series: entry.id,
                offset: 0,
                len: 0,
                min_ts: *t,
                max_ts: *t,
                point_count: 1,
            });
            entry.inline.push(v.to_bits());
            return Ok(());
        }
        let series = entry.id;
        let block =
            CompressedBlock::encode_with(ts, values, self.options.codec).map_err(|source| {
                FormatError::Codec {
                    file: Some(self.path.clone()),
                    offset: self.offset,
                    source,
                }
            })?;
        let header = *block.header();
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let offset = self.offset;
        let len = encode_record(series, &block, offset, &mut scratch)?;
        let written = self.write_bytes(&scratch);
        self.scratch = scratch;
        written?;
        entry.blocks.push(BlockRef {
            series,
            offset,
            len,
            min_ts: header.min_timestamp,
            max_ts: header.max_timestamp,
            point_count: header.point_count,
        });
        Ok(())
    }

    fn write_bytes(&mut self, bytes: &[u8]) -> Result<()> {
        let out = self.out.as_mut().ok_or(FormatError::Poisoned {
            path: self.path.clone(),
        })?;
        if let Err(source) = out.write_all(bytes) {
            self.poisoned = true;
            return Err(FormatError::Io {
                path: self.storage.display(&self.tmp_path),
                source,
            });
        }
        self.crc.update(bytes);
        self.offset += bytes.len() as u64;
        Ok(())
    }

    /// Writes the index, bloom filter, header and footer, fsyncs the file,
    /// renames it to its final path and fsyncs the directory. No series
    /// may be open.
    pub fn finish(self) -> Result<TsmHandle> {
        self.seal()?.publish()
    }

    /// Writes the index, bloom filter, header and footer and fsyncs the
    /// file under its temporary name, without publishing it: the caller
    /// publishes it ([`SealedTsm::publish`]), or many at once with one
    /// directory sync per folder ([`publish_all`]). No series may be open.
    pub fn seal(mut self) -> Result<SealedTsm> {
        self.check_usable()?;
        if let Some(open) = &self.open {
            return Err(invalid(format!(
                "finish with series {} still open",
                open.meta
            )));
        }
        self.entries.sort_unstable_by_key(|entry| entry.id);
        let (index_offset, index_len, index_crc) = self.write_index()?;
        let (bloom_offset, bloom_len, bloom_crc) = self.write_bloom()?;
        let file_size = self.offset + super::footer::FOOTER_LEN as u64;
        let blocks = self.entries.iter().flat_map(|entry| entry.blocks.iter());
        let stats = TsmStats::of(self.entries.len(), blocks, file_size);
        let header = header_of(&stats, self.options.version)?.encode();
        let mut file_crc = crc32fast::Hasher::new();
        file_crc.update(&header);
        file_crc.combine(&self.crc);
        let footer = TsmFooter {
            index_offset,
            index_len,
            bloom_offset,
            bloom_len,
            index_crc,
            bloom_crc,
            file_crc: file_crc.finalize(),
        };
        self.write_bytes(&footer.encode())?;
        self.write_header_and_sync(&header)?;
        Ok(SealedTsm {
            storage: Arc::clone(&self.storage),
            tmp_path: self.tmp_path.clone(),
            handle: TsmHandle {
                path: self.path.clone(),
                footer,
                stats,
            },
            published: false,
        })
    }

    fn write_index(&mut self) -> Result<(u64, u64, u32)> {
        let mut bytes = Vec::new();
        let blocks = self.entries.iter().flat_map(|entry| entry.blocks.iter());
        let min_ts = TsmStats::of(0, blocks, 0).min_timestamp;
        encode_index(&self.entries, self.options.version, min_ts, &mut bytes)?;
        let offset = self.offset;
        self.write_bytes(&bytes)?;
        Ok((offset, bytes.len() as u64, crc32fast::hash(&bytes)))
    }

    fn write_bloom(&mut self) -> Result<(u64, u32, u32)> {
        let mut bloom =
            BloomFilter::with_rate(self.entries.len(), self.options.bloom_false_positive_rate);
        self.entries.iter().for_each(|entry| bloom.insert(entry.id));
        let mut bytes = Vec::with_capacity(bloom.encoded_len());
        bloom.encode(&mut bytes);
        let len = u32::try_from(bytes.len()).map_err(|_| {
            invalid("bloom filter exceeds 4 GiB; raise its false-positive rate".into())
        })?;
        let offset = self.offset;
        self.write_bytes(&bytes)?;
        Ok((offset, len, crc32fast::hash(&bytes)))
    }

    /// Header in place, then fsync. The temporary file is left for the
    /// [`SealedTsm`] (which removes it unless published).
    fn write_header_and_sync(&mut self, header: &[u8]) -> Result<()> {
        self.poisoned = true; // until every step succeeded
        let storage = Arc::clone(&self.storage);
        let on = |path: &Path| {
            let path = storage.display(path);
            move |source| FormatError::Io { path, source }
        };
        let out = self.out.take().ok_or(FormatError::Poisoned {
            path: self.path.clone(),
        })?;
        let Sink(mut file) = out
            .into_inner()
            .map_err(|e| on(&self.tmp_path)(e.into_error()))?;
        file.write_at(0, header).map_err(on(&self.tmp_path))?;
        file.sync(false).map_err(on(&self.tmp_path))?;
        self.poisoned = false;
        Ok(())
    }
}

/// A TSM file written and fsynced under its temporary name
/// (`<path>.tmp`), not yet published. Dropping it unpublished removes the
/// temporary file.
#[derive(Debug)]
pub struct SealedTsm {
    storage: Arc<dyn Storage>,
    tmp_path: PathBuf,
    handle: TsmHandle,
    published: bool,
}

impl SealedTsm {
    /// What the file holds and where it will be published.
    pub fn handle(&self) -> &TsmHandle {
        &self.handle
    }

    /// Renames the file into place and fsyncs its folder.
    pub fn publish(self) -> Result<TsmHandle> {
        let mut handles = publish_all(vec![self])?;
        handles.pop().ok_or(FormatError::InvalidArgument(
            "publishing one file returned none".into(),
        ))
    }
}

impl Drop for SealedTsm {
    fn drop(&mut self) {
        if !self.published {
            let _ = self.storage.remove_file(&self.tmp_path);
        }
    }
}

/// Publishes sealed files together: renames each into place, then fsyncs
/// each folder involved once. On an error, the files not yet renamed are
/// removed (those renamed stay, like any file whose folder sync failed:
/// the caller must treat the whole batch as not durable).
pub fn publish_all(files: Vec<SealedTsm>) -> Result<Vec<TsmHandle>> {
    let mut folders: Vec<(Arc<dyn Storage>, PathBuf)> = Vec::new();
    let mut handles = Vec::with_capacity(files.len());
    for mut file in files {
        let storage = Arc::clone(&file.storage);
        storage
            .rename(&file.tmp_path, &file.handle.path)
            .map_err(|source| FormatError::Io {
                path: storage.display(&file.tmp_path),
                source,
            })?;
        file.published = true;
        let dir = parent_of(&file.handle.path).to_path_buf();
        let seen = folders
            .iter()
            .any(|(s, d)| Arc::ptr_eq(s, &storage) && *d == dir);
        if !seen {
            folders.push((storage, dir));
        }
        handles.push(file.handle.clone());
    }
    for (storage, dir) in folders {
        storage.sync_dir(&dir).map_err(|source| FormatError::Io {
            path: storage.display(&dir),
            source,
        })?;
    }
    Ok(handles)
}

fn header_of(stats: &TsmStats, version: FormatVersion) -> Result<TsmHeader> {
    let series_count = u32::try_from(stats.series_count)
        .map_err(|_| invalid("more than u32::MAX series in one file".into()))?;
    Ok(TsmHeader {
        version,
        flags: if stats.total_point_count > 0 {
            FLAG_HAS_POINTS
        } else {
            0
        },
        series_count,
        min_timestamp: stats.min_timestamp,
        max_timestamp: stats.max_timestamp,
    })
}

fn out_of_order(meta: &SeriesMeta, index: usize) -> FormatError {
    invalid(format!(
        "series {meta}: point {index} does not have a timestamp greater than the previous point's"
    ))
}

impl Drop for TsmWriter {
    fn drop(&mut self) {
        // Unfinished (or failed before the rename): remove the temporary file.
        if self.out.is_some() || self.poisoned {
            drop(self.out.take());
            let _ = self.storage.remove_file(&self.tmp_path);
        }
    }
}
