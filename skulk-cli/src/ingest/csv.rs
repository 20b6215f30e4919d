//! CSV import, read with the `csv` crate.
//!
//! Without a mapping, rows are `timestamp_ns,value` of one series (named
//! by `--metric`) or `series,timestamp_ns,value` as written by
//! `skulk export --format csv`; a first row whose timestamp column is not
//! an integer is a header, and then every row must have as many columns.
//!
//! With a mapping ([`CsvMapping`]), the first row is a header naming the
//! columns: one holds the time (RFC 3339 or epoch seconds to
//! nanoseconds), some hold labels, and every value column gives one
//! series (a wide CSV becomes one series per value column). An empty value
//! cell gives no point.
//!
//! Fields may be quoted (`"..."`, `""` for a quote inside) and spaces
//! around fields are ignored. A record longer than the line limit stops
//! the file with an I/O error, so memory stays bounded.

use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use skulk_format::{DataPoint, SeriesMeta};

pub use super::csv_layout::{CsvMapping, TimeFormat};
use super::csv_layout::{Layout, series_name};
use super::{KnownSeries, LineError, LineErrorKind, Precision, parse_value};

/// Series kept in the label-values cache before it is cleared.
const CACHE_LIMIT: usize = 100_000;

/// What every CSV row of one input shares.
#[derive(Debug, Clone, Default)]
pub struct CsvOptions {
    /// Metric of `timestamp_ns,value` rows, and the prefix of mapped value
    /// columns (`<metric>_<column>`, or `<metric>` for a column named
    /// `value`); mapped columns are named alone without it.
    pub metric: Option<String>,
    /// Labels added to every series.
    pub labels: Vec<(String, String)>,
    /// Unit of integer timestamps.
    pub precision: Precision,
    /// Column mapping; `None` for the fixed layouts.
    pub mapping: Option<CsvMapping>,
}

/// Reads CSV records into points.
pub struct CsvReader<R> {
    reader: csv::Reader<Guarded<R>>,
    record: csv::ByteRecord,
    since_record: Arc<AtomicUsize>,
    options: CsvOptions,
    layout: Option<Layout>,
    default_series: Option<KnownSeries>,
    keyed: HashMap<Vec<u8>, KnownSeries>,
    by_labels: HashMap<Vec<String>, Vec<KnownSeries>>,
    /// Records read so far (blank ones too).
    records: u64,
}

impl<R> std::fmt::Debug for CsvReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvReader")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// Counts the bytes handed to the CSV parser since the last record and
/// fails once they pass the limit.
struct Guarded<R> {
    inner: R,
    since_record: Arc<AtomicUsize>,
    limit: usize,
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.since_record.load(Ordering::Relaxed) > self.limit {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a CSV record is longer than {} bytes", self.limit),
            ));
        }
        let n = self.inner.read(buf)?;
        self.since_record.fetch_add(n, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: Read> CsvReader<R> {
    /// A reader of `input`; records longer than `max_record` bytes stop it.
    pub fn new(input: R, options: CsvOptions, max_record: usize) -> Self {
        let since_record = Arc::new(AtomicUsize::new(0));
        let guarded = Guarded {
            inner: input,
            since_record: Arc::clone(&since_record),
            limit: max_record,
        };
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(guarded);
        Self {
            reader,
            record: csv::ByteRecord::new(),
            since_record,
            options,
            layout: None,
            default_series: None,
            keyed: HashMap::new(),
            by_labels: HashMap::new(),
            records: 0,
        }
    }

    /// Bytes of the input parsed so far.
    pub fn bytes_read(&self) -> u64 {
        self.reader.position().byte()
    }

    /// The next record's points appended to `out`: `Ok(None)` at the end,
    /// `Ok(Some(Err(_)))` for a refused record (nothing appended).
    pub fn next_record(
        &mut self,
        out: &mut Vec<DataPoint>,
    ) -> io::Result<Option<Result<(), LineError>>> {
        let more = self
            .reader
            .read_byte_record(&mut self.record)
            .map_err(|e| match e.into_kind() {
                csv::ErrorKind::Io(e) => e,
                other => io::Error::new(io::ErrorKind::InvalidData, format!("{other:?}")),
            })?;
        self.since_record.store(0, Ordering::Relaxed);
        if !more {
            return Ok(None);
        }
        self.records += 1;
        let line = self.record.position().map_or(0, |p| p.line());
        let start = out.len();
        let result = self.parse_record(out);
        if result.is_err() {
            out.truncate(start);
        }
        Ok(Some(result.map_err(|kind| LineError { line, kind })))
    }

    fn parse_record(&mut self, out: &mut Vec<DataPoint>) -> Result<(), LineErrorKind> {
        let record = std::mem::take(&mut self.record);
        let result = self.parse_fields(&record, out);
        self.record = record;
        result
    }

    fn parse_fields(
        &mut self,
        record: &csv::ByteRecord,
        out: &mut Vec<DataPoint>,
    ) -> Result<(), LineErrorKind> {
        if record.iter().all(<[u8]>::is_empty) {
            return Ok(());
        }
        let layout = match &self.layout {
            Some(layout) => layout,
            None => {
                let first = self.records == 1;
                let (layout, header) = Layout::detect(record, &self.options, first)?;
                self.layout = Some(layout);
                if header {
                    return Ok(());
                }
                self.layout.as_ref().ok_or(LineErrorKind::MissingMetric)?
            }
        };
        layout.check_length(record.len())?;
        let layout = layout.clone();
        match &layout {
            Layout::Plain { keyed, .. } => self.plain_row(record, *keyed, out),
            Layout::Mapped(m) => self.mapped_row(record, m, out),
        }
    }

    fn plain_row(
        &mut self,
        record: &csv::ByteRecord,
        keyed: bool,
        out: &mut Vec<DataPoint>,
    ) -> Result<(), LineErrorKind> {
        let at = |i| record.get(i).unwrap_or_default();
        let (key, ts, value) = if keyed {
            (Some(at(0)), at(1), at(2))
        } else {
            (None, at(0), at(1))
        };
        let ts = text(ts)?;
        let raw: i64 = ts
            .parse()
            .map_err(|_| LineErrorKind::BadTimestamp(ts.to_string()))?;
        let timestamp = self
            .options
            .precision
            .to_nanos(raw)
            .ok_or_else(|| LineErrorKind::TimestampOutOfRange(ts.to_string()))?;
        let value = parse_value(text(value)?)?;
        let series = match key {
            None => self.default_series()?,
            Some(key) => self.keyed_series(key)?,
        };
        out.push(series.point(timestamp, value));
        Ok(())
    }

    fn default_series(&mut self) -> Result<KnownSeries, LineErrorKind> {
        if let Some(series) = &self.default_series {
            return Ok(series.clone());
        }
        let metric = self
            .options
            .metric
            .clone()
            .ok_or(LineErrorKind::MissingMetric)?;
        let series = KnownSeries::new(SeriesMeta::new(metric, self.options.labels.clone()));
        self.default_series = Some(series.clone());
        Ok(series)
    }

    fn keyed_series(&mut self, key: &[u8]) -> Result<KnownSeries, LineErrorKind> {
        if let Some(series) = self.keyed.get(key) {
            return Ok(series.clone());
        }
        let text = text(key)?;
        let series = skulk_engine::parse_series_key(text)
            .map_err(|_| LineErrorKind::BadSeriesKey(text.to_string()))?;
        if series.metric().is_empty() {
            return Err(LineErrorKind::EmptyMeasurement);
        }
        let series = KnownSeries::new(series);
        if self.keyed.len() >= CACHE_LIMIT {
            self.keyed.clear();
        }
        self.keyed.insert(key.to_vec(), series.clone());
        Ok(series)
    }

    fn mapped_row(
        &mut self,
        record: &csv::ByteRecord,
        m: &super::csv_layout::Mapped,
        out: &mut Vec<DataPoint>,
    ) -> Result<(), LineErrorKind> {
        let cell = |i: usize| record.get(i).unwrap_or_default();
        let timestamp = m
            .time_format
            .parse(text(cell(m.time))?, self.options.precision)?;
        let label_values = m
            .labels
            .iter()
            .map(|(_, i)| text(cell(*i)).map(str::to_string))
            .collect::<Result<Vec<_>, _>>()?;
        let series = match self.by_labels.get(&label_values) {
            Some(series) => series.clone(),
            None => {
                let series = self.series_for(m, &label_values);
                if self.by_labels.len() >= CACHE_LIMIT {
                    self.by_labels.clear();
                }
                self.by_labels.insert(label_values, series.clone());
                series
            }
        };
        for ((_, column), series) in m.values.iter().zip(series) {
            let cell = text(cell(*column))?;
            if !cell.is_empty() {
                out.push(series.point(timestamp, parse_value(cell)?));
            }
        }
        Ok(())
    }

    fn series_for(
        &self,
        m: &super::csv_layout::Mapped,
        label_values: &[String],
    ) -> Vec<KnownSeries> {
        let mut labels = self.options.labels.clone();
        for ((name, _), value) in m.labels.iter().zip(label_values) {
            if !value.is_empty() {
                labels.push((name.clone(), value.clone()));
            }
        }
        m.values
            .iter()
            .map(|(column, _)| {
                let metric = series_name(self.options.metric.as_deref(), column);
                KnownSeries::new(SeriesMeta::new(metric, labels.clone()))
            })
            .collect()
    }
}

fn text(bytes: &[u8]) -> Result<&str, LineErrorKind> {
    std::str::from_utf8(bytes).map_err(|_| LineErrorKind::InvalidUtf8)
}

#[cfg(test)]
mod tests;
