//! `TsmReader`: a zero-copy reader over the bytes of a TSM file.

use std::path::{Path, PathBuf};

use super::block::{BlockRef, decode_record, decode_record_values, parse_record};
use super::bloom::BloomFilter;
use super::cursor::{check_crc, crc32};
use super::footer::{FOOTER_LEN, TsmFooter};
use super::header::{HEADER_LEN, OFF_MIN_TS, OFF_SERIES_COUNT, TsmHeader};
use super::index::{Index, IndexPlace, SeriesEntry};
use super::label_table::LabelTable;
use super::postings::Postings;
use super::stats::TsmStats;
use crate::storage::{FileBytes, Storage};
use crate::{FormatError, Result, SeriesId, SeriesMeta, TimeRange, Timestamp};

/// Reads a TSM file from its bytes: a `Vec<u8>`, a `memmap2::Mmap` or any
/// other `AsRef<[u8]>`.
///
/// [`TsmReader::open`] checks the header, footer, index and bloom filter
/// (their CRCs and structure); the index is decoded into memory, about 24
/// bytes per series and 40 per block, the metadata read in place. Each
/// block's CRC is checked whenever the block is read, and the decoded block
/// must match its index entry, so damaged bytes are reported as an error
/// and never returned as data. [`TsmReader::verify`] checks everything.
/// The reader is `Send + Sync` when `B` is; reads take `&self`.
///
/// ```
/// use skulk_format::{SeriesMeta, TimeRange, TsmReader, TsmWriter};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("1.tsm");
/// let cpu = SeriesMeta::new("cpu", vec![("host".into(), "a".into())]);
/// let mut writer = TsmWriter::create(&path, Default::default())?;
/// writer.write_series(&cpu, &[10, 20, 30, 40], &[1.0, 2.0, 3.0, 4.0])?;
/// writer.finish()?;
///
/// let reader = TsmReader::open(std::fs::read(&path)?)?;
/// assert_eq!(reader.stats().total_point_count, 4);
/// assert_eq!(reader.meta(cpu.id()), Some(cpu.clone()));
/// let (ts, values) = reader.read_series(cpu.id(), TimeRange::new(15, 35)?)?;
/// assert_eq!((ts, values), (vec![20, 30], vec![2.0, 3.0]));
/// assert_eq!(reader.verify()?.points, 4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct TsmReader<B> {
    bytes: B,
    name: Option<PathBuf>,
    header: TsmHeader,
    footer: TsmFooter,
    index: Index,
    bloom: BloomFilter,
    stats: TsmStats,
}

impl TsmReader<FileBytes> {
    /// Maps file `path` of `storage` ([`Storage::map`]: a memory map on the
    /// real file system) and opens it; errors name the file.
    pub fn open_in(storage: &dyn Storage, path: &Path) -> Result<Self> {
        let shown = storage.display(path);
        let bytes = storage.map(path).map_err(|source| FormatError::Io {
            path: shown.clone(),
            source,
        })?;
        Self::open_named(bytes, shown)
    }
}

impl<B: AsRef<[u8]>> TsmReader<B> {
    /// Opens the file held in `bytes`; errors name no file.
    pub fn open(bytes: B) -> Result<Self> {
        Self::open_inner(bytes, None)
    }

    /// Opens the file held in `bytes`; errors name `name` (e.g. its path).
    pub fn open_named(bytes: B, name: impl Into<PathBuf>) -> Result<Self> {
        let name = name.into();
        Self::open_inner(bytes, Some(name))
    }

    fn open_inner(bytes: B, name: Option<PathBuf>) -> Result<Self> {
        let parts = parse(bytes.as_ref()).map_err(|e| e.with_file(name.as_deref()))?;
        let (header, footer, index, bloom) = parts;
        let stats = TsmStats::of(
            index.len(),
            index.blocks().iter(),
            bytes.as_ref().len() as u64,
        );
        Ok(Self {
            bytes,
            name,
            header,
            footer,
            index,
            bloom,
            stats,
        })
    }

    /// The name given to [`TsmReader::open_named`].
    pub fn name(&self) -> Option<&Path> {
        self.name.as_deref()
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        self.bytes.as_ref()
    }

    /// Gives the bytes back.
    pub fn into_inner(self) -> B {
        self.bytes
    }

    /// The header.
    pub fn header(&self) -> &TsmHeader {
        &self.header
    }

    /// The footer.
    pub fn footer(&self) -> &TsmFooter {
        &self.footer
    }

    /// Series, block and point counts, time range and size.
    pub fn stats(&self) -> &TsmStats {
        &self.stats
    }

    /// Every series id, ascending.
    pub fn series_ids(&self) -> impl ExactSizeIterator<Item = SeriesId> + '_ {
        self.index.ids()
    }

    /// Every series (id, metadata, blocks), by ascending id.
    pub fn series(&self) -> impl Iterator<Item = SeriesEntry<'_>> + '_ {
        let bytes = self.bytes.as_ref();
        // Every position below the length has an entry: its metadata and
        // blocks were checked to lie within these bytes on open.
        (0..self.index.len()).filter_map(move |i| self.index.entry(i, bytes))
    }

    /// Number of series.
    pub fn series_count(&self) -> usize {
        self.index.len()
    }

    /// The series `id`, if the file holds it (bloom filter, then binary
    /// search).
    pub fn entry(&self, id: SeriesId) -> Option<SeriesEntry<'_>> {
        if !self.bloom.may_contain(id) {
            return None;
        }
        let i = self.index.position(id)?;
        self.index.entry(i, self.bytes.as_ref())
    }

    /// The metadata of series `id`, copied out of the file.
    pub fn meta(&self, id: SeriesId) -> Option<SeriesMeta> {
        self.entry(id).map(|entry| entry.meta.to_meta())
    }

    /// The string and label-pair tables of a version-2 or -3 file (`None`
    /// for version 1), which [`crate::MetaView::numbers`] refers to.
    pub fn label_table(&self) -> Option<&LabelTable> {
        self.index.table()
    }

    /// The postings of a version-3 file (`None` before): per pair of
    /// [`Self::label_table`], the positions in [`Self::series`] of the
    /// series carrying it, ascending, read in place. A reader that keeps
    /// its own inverted index extends it from these instead of inverting
    /// every series' labels.
    ///
    /// ```
    /// use skulk_format::{SeriesMeta, TsmReader, TsmWriter};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("1.tsm");
    /// let mut writer = TsmWriter::create(&path, Default::default())?;
    /// for host in ["a", "b", "c"] {
    ///     let meta = SeriesMeta::new("cpu", vec![("host".into(), host.into())]);
    ///     writer.write_series(&meta, &[1], &[1.0])?;
    /// }
    /// writer.finish()?;
    ///
    /// let reader = TsmReader::open(std::fs::read(&path)?)?;
    /// let table = reader.label_table().expect("a version-3 file");
    /// let series: Vec<_> = reader.series().collect();
    /// for (pair, positions) in reader.postings().expect("a version-3 file") {
    ///     let (name, value) = table.pair(pair).expect("a pair of the table");
    ///     for position in positions {
    ///         assert_eq!(series[position as usize].meta.label(name), Some(value));
    ///     }
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn postings(&self) -> Option<Postings<'_>> {
        self.index.postings(self.bytes())
    }

    /// Heap bytes held by the decoded index and bloom filter (the file's
    /// bytes themselves not counted).
    pub fn heap_bytes(&self) -> usize {
        self.index.heap_bytes() + self.bloom.heap_bytes()
    }

    /// True when the file holds series `id`.
    pub fn contains_series(&self, id: SeriesId) -> bool {
        self.entry(id).is_some()
    }

    /// False when the bloom filter says `id` is certainly absent (no index
    /// search).
    ///
    /// ```
    /// use skulk_format::{SeriesMeta, TsmReader, TsmWriter};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("1.tsm");
    /// let present = SeriesMeta::new("cpu", vec![]);
    /// let mut writer = TsmWriter::create(&path, Default::default())?;
    /// writer.write_series(&present, &[1], &[1.0])?;
    /// writer.finish()?;
    ///
    /// let reader = TsmReader::open(std::fs::read(&path)?)?;
    /// // No false negatives; an absent series is usually ruled out at once.
    /// assert!(reader.may_contain_series(present.id()));
    /// let absent = (0..100).map(|i| SeriesMeta::new(format!("m{i}"), vec![]).id());
    /// assert!(absent.filter(|&id| reader.may_contain_series(id)).count() < 10);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn may_contain_series(&self, id: SeriesId) -> bool {
        self.bloom.may_contain(id)
    }

    /// Size of the bloom filter's bit array and its number of hash functions.
    pub fn bloom_shape(&self) -> (u64, u32) {
        (self.bloom.bits(), self.bloom.hashes())
    }

    /// The blocks of series `id` that may hold points in `range`, in time
    /// order; empty when the series is absent.
    pub fn blocks(&self, id: SeriesId, range: TimeRange) -> impl Iterator<Item = BlockRef> + '_ {
        let blocks = self.entry(id).map(|entry| entry.blocks).unwrap_or_default();
        blocks
            .iter()
            .copied()
            .filter(move |b| range.overlaps(b.min_ts, b.max_ts))
    }

    /// Decodes `block`, appending its points. Checks the record's CRC, its
    /// position and that it matches `block`. On error the vectors are
    /// unchanged.
    pub fn read_block(
        &self,
        block: &BlockRef,
        timestamps: &mut Vec<i64>,
        values: &mut Vec<f64>,
    ) -> Result<()> {
        let with_name = |e: FormatError| e.with_file(self.name());
        if block.is_inline() {
            let value = self.inline_value(block).map_err(with_name)?;
            timestamps.push(block.min_ts);
            values.push(value);
            return Ok(());
        }
        let view = parse_record(self.bytes(), block).map_err(with_name)?;
        decode_record(&view, block.offset, timestamps, values).map_err(with_name)
    }

    /// The value of an inline block, which must be one of this file's own
    /// (its bytes were covered by the index CRC on open; a block made up
    /// elsewhere could point anywhere).
    fn inline_value(&self, block: &BlockRef) -> Result<f64> {
        let ours = self
            .index
            .position(block.series)
            .and_then(|i| self.index.entry(i, self.bytes.as_ref()))
            .is_some_and(|entry| entry.blocks.contains(block));
        let at = usize::try_from(block.offset).ok();
        let bytes = at.and_then(|at| self.bytes().get(at..at.checked_add(8)?));
        match (ours, bytes.and_then(|b| <[u8; 8]>::try_from(b).ok())) {
            (true, Some(bits)) => Ok(f64::from_bits(u64::from_le_bytes(bits))),
            _ => Err(FormatError::corrupt(
                "an inline block of this file",
                block.offset,
            )),
        }
    }

    /// Decodes only the values of `block`, appending them: for readers that
    /// need no timestamps (a sum, a count), about half the decoding work.
    /// Checks the record's CRC, its position and that it matches `block`,
    /// not the order of its timestamps. On error `values` is unchanged.
    pub fn read_block_values(&self, block: &BlockRef, values: &mut Vec<f64>) -> Result<()> {
        let with_name = |e: FormatError| e.with_file(self.name());
        if block.is_inline() {
            values.push(self.inline_value(block).map_err(with_name)?);
            return Ok(());
        }
        let view = parse_record(self.bytes(), block).map_err(with_name)?;
        decode_record_values(&view, block.offset, values).map_err(with_name)
    }

    /// The points of series `id` in `range`, in time order; empty when the
    /// file does not hold the series.
    pub fn read_series(&self, id: SeriesId, range: TimeRange) -> Result<(Vec<i64>, Vec<f64>)> {
        let (mut timestamps, mut values) = (Vec::new(), Vec::new());
        for block in self.blocks(id, range) {
            let start = timestamps.len();
            self.read_block(&block, &mut timestamps, &mut values)?;
            if range.contains(block.min_ts) && range.contains(block.max_ts) {
                continue;
            }
            retain_in_range(&mut timestamps, &mut values, start, range);
        }
        Ok((timestamps, values))
    }

    /// Checks every block (CRC, position, decoding, match with the index),
    /// that the blocks tile the data section, and the whole-file CRC.
    pub fn verify(&self) -> Result<super::verify::VerifyReport> {
        super::verify::verify(
            self.bytes(),
            &self.footer,
            self.index.len(),
            self.index.blocks(),
        )
        .map_err(|e| e.with_file(self.name()))
    }
}

/// Keeps only the points from `start` on that lie in `range`.
fn retain_in_range(
    timestamps: &mut Vec<Timestamp>,
    values: &mut Vec<f64>,
    start: usize,
    range: TimeRange,
) {
    let mut kept = start;
    for i in start..timestamps.len() {
        let (Some(&ts), Some(&value)) = (timestamps.get(i), values.get(i)) else {
            break;
        };
        if range.contains(ts) {
            if let (Some(t), Some(v)) = (timestamps.get_mut(kept), values.get_mut(kept)) {
                (*t, *v) = (ts, value);
            }
            kept += 1;
        }
    }
    timestamps.truncate(kept);
    values.truncate(kept);
}

type Parts = (TsmHeader, TsmFooter, Index, BloomFilter);

/// Checks and decodes everything but the blocks (`FORMAT.md`, "Validation
/// on open").
fn parse(bytes: &[u8]) -> Result<Parts> {
    let file_len = bytes.len() as u64;
    let min_len = HEADER_LEN + FOOTER_LEN;
    if bytes.len() < min_len {
        let what = "header and footer";
        let (needed, available) = (min_len as u64, file_len);
        return Err(FormatError::Truncated {
            file: None,
            what,
            offset: 0,
            needed,
            available,
        });
    }
    let header = TsmHeader::decode(bytes)?;
    let footer_bytes = bytes.get(bytes.len() - FOOTER_LEN..).unwrap_or_default();
    let footer = TsmFooter::decode(footer_bytes, file_len)?;
    let index = section(bytes, footer.index_offset, footer.index_len)?;
    check_crc(
        "series index",
        footer.index_offset,
        footer.index_crc,
        crc32(index),
    )?;
    let bloom = section(bytes, footer.bloom_offset, u64::from(footer.bloom_len))?;
    check_crc(
        "bloom filter",
        footer.bloom_offset,
        footer.bloom_crc,
        crc32(bloom),
    )?;
    let place = IndexPlace {
        base: footer.index_offset,
        data_end: footer.data_end(),
        min_ts: header.min_timestamp,
    };
    let index = Index::decode(index, header.version, place)?;
    let bloom = BloomFilter::decode(bloom, footer.bloom_offset)?;
    check_header(&header, &index, file_len)?;
    Ok((header, footer, index, bloom))
}

fn section(bytes: &[u8], offset: u64, len: u64) -> Result<&[u8]> {
    let range = usize::try_from(offset).ok().zip(usize::try_from(len).ok());
    let slice = range.and_then(|(start, len)| bytes.get(start..start.checked_add(len)?));
    slice.ok_or(FormatError::corrupt("section within the file", offset))
}

fn check_header(header: &TsmHeader, index: &Index, file_len: u64) -> Result<()> {
    let stats = TsmStats::of(index.len(), index.blocks().iter(), file_len);
    if u64::from(header.series_count) != stats.series_count {
        return Err(FormatError::corrupt(
            "header series count matching the index",
            OFF_SERIES_COUNT as u64,
        ));
    }
    let same_range =
        header.min_timestamp == stats.min_timestamp && header.max_timestamp == stats.max_timestamp;
    if header.has_points() != (stats.total_point_count > 0) || !same_range {
        return Err(FormatError::corrupt(
            "header time range matching the index",
            OFF_MIN_TS as u64,
        ));
    }
    Ok(())
}
