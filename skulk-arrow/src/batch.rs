//! Series' points into record batches of a [`TableLayout`].

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use arrow_array::builder::make_view;
use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, DictionaryArray, Float64Array, Int32Array, RecordBatch, RecordBatchOptions,
    StringArray, StringViewArray, TimestampNanosecondArray,
};
use arrow_buffer::{Buffer, NullBufferBuilder};
use arrow_schema::SchemaRef;
use skulk_engine::{SeriesMeta, SeriesResult};

use crate::layout::{ColumnKind, LabelEncoding, TIME_ZONE, TableLayout};

/// The longest string a view holds inline.
const MAX_INLINE_VIEW_LEN: usize = 12;

/// The most bytes a view column's buffer holds (offsets are 32-bit).
const VIEW_BUFFER_LIMIT: usize = i32::MAX as usize;
use crate::{Error, Result};

/// Rows a batch holds by default.
pub const DEFAULT_BATCH_ROWS: usize = 65_536;

/// Cuts series' points into record batches of a layout's columns, or of a
/// projection of them: rows of several small series share a batch, a large
/// series spans several batches.
#[derive(Debug)]
pub struct BatchBuilder {
    schema: SchemaRef,
    columns: Vec<ColumnKind>,
    labels: LabelEncoding,
    batch_rows: usize,
    pending: VecDeque<(SeriesResult, usize)>,
    pending_rows: usize,
}

impl BatchBuilder {
    /// A builder of batches of `layout`'s columns listed in `projection`
    /// (every column when `None`), each of `batch_rows` rows (at least 1)
    /// except the last.
    pub fn new(
        layout: &TableLayout,
        projection: Option<&[usize]>,
        batch_rows: usize,
    ) -> Result<BatchBuilder> {
        let all: Vec<usize> = (0..layout.kinds().len()).collect();
        let picked = projection.unwrap_or(&all);
        let mut columns = Vec::with_capacity(picked.len());
        for &i in picked {
            let kind = layout.kind(i).ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "column {i} does not exist (the table has {})",
                    layout.kinds().len()
                ))
            })?;
            columns.push(kind.clone());
        }
        Ok(BatchBuilder {
            schema: Arc::new(layout.schema().project(picked)?),
            columns,
            labels: layout.label_encoding(),
            batch_rows: batch_rows.max(1),
            pending: VecDeque::new(),
            pending_rows: 0,
        })
    }

    /// The schema of the batches.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// True when the batches carry the `time` column: without it, series
    /// pushed may come without timestamps
    /// ([`skulk_engine::PointScan::values_only`]).
    pub fn needs_timestamps(&self) -> bool {
        self.columns.contains(&ColumnKind::Time)
    }

    /// Adds a series' points; complete batches go to `out`.
    pub fn push(&mut self, series: SeriesResult, out: &mut Vec<RecordBatch>) -> Result<()> {
        if series.is_empty() {
            return Ok(());
        }
        if series.len() >= self.batch_rows / 2 {
            // A large series gets batches of its own: its columns move into
            // Arrow arrays without a copy.
            self.finish(out)?;
            return self.whole(series, out);
        }
        self.pending_rows += series.len();
        self.pending.push_back((series, 0));
        while self.pending_rows >= self.batch_rows {
            out.push(self.take(self.batch_rows)?);
        }
        Ok(())
    }

    /// Emits the last, partial batch, if any rows are left.
    pub fn finish(&mut self, out: &mut Vec<RecordBatch>) -> Result<()> {
        if self.pending_rows > 0 {
            out.push(self.take(self.pending_rows)?);
        }
        Ok(())
    }

    /// `series` in batches of its own, `batch_rows` rows each (the last may
    /// hold fewer), slices of arrays that own its columns.
    fn whole(&mut self, mut series: SeriesResult, out: &mut Vec<RecordBatch>) -> Result<()> {
        let rows = series.len();
        let mut timestamps = Some(std::mem::take(&mut series.timestamps));
        let mut values = Some(std::mem::take(&mut series.values));
        let meta = &series.series;
        let arrays: Vec<ArrayRef> = self
            .columns
            .iter()
            .map(|kind| match kind {
                ColumnKind::Time => {
                    let ts = timestamps.take().unwrap_or_default();
                    Ok(
                        Arc::new(TimestampNanosecondArray::from(ts).with_timezone(TIME_ZONE))
                            as ArrayRef,
                    )
                }
                ColumnKind::Value => {
                    let vals = values.take().unwrap_or_default();
                    Ok(Arc::new(Float64Array::from(vals)) as ArrayRef)
                }
                ColumnKind::Metric => label_column(
                    self.labels,
                    std::iter::once((Some(meta.metric()), rows)),
                    rows,
                ),
                ColumnKind::Label(name) => {
                    label_column(self.labels, std::iter::once((meta.label(name), rows)), rows)
                }
            })
            .collect::<Result<_>>()?;
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        let batch = RecordBatch::try_new_with_options(Arc::clone(&self.schema), arrays, &options)?;
        let mut offset = 0;
        while offset < rows {
            let n = self.batch_rows.min(rows - offset);
            out.push(batch.slice(offset, n));
            offset += n;
        }
        Ok(())
    }

    /// A batch of the first `rows` pending rows.
    fn take(&mut self, rows: usize) -> Result<RecordBatch> {
        let mut pieces: Vec<(Arc<SeriesMeta>, &[i64], &[f64])> = Vec::new();
        let mut left = rows;
        let mut consumed = 0;
        for (series, offset) in self.pending.iter_mut() {
            if left == 0 {
                break;
            }
            let n = (series.len() - *offset).min(left);
            let end = *offset + n;
            pieces.push((
                Arc::clone(&series.series),
                series.timestamps.get(*offset..end).unwrap_or_default(),
                series.values.get(*offset..end).unwrap_or_default(),
            ));
            *offset = end;
            left -= n;
            if *offset == series.len() {
                consumed += 1;
            }
        }
        let batch = build(
            &self.schema,
            &self.columns,
            self.labels,
            &pieces,
            rows - left,
        )?;
        self.pending.drain(..consumed);
        self.pending_rows -= rows - left;
        Ok(batch)
    }
}

/// One batch of `columns` from `pieces` (a series and a run of its points).
fn build(
    schema: &SchemaRef,
    columns: &[ColumnKind],
    labels: LabelEncoding,
    pieces: &[(Arc<SeriesMeta>, &[i64], &[f64])],
    rows: usize,
) -> Result<RecordBatch> {
    let arrays: Vec<ArrayRef> = columns
        .iter()
        .map(|kind| match kind {
            ColumnKind::Time => {
                let mut ts = Vec::with_capacity(rows);
                for (_, t, _) in pieces {
                    ts.extend_from_slice(t);
                }
                Ok(
                    Arc::new(TimestampNanosecondArray::from(ts).with_timezone(TIME_ZONE))
                        as ArrayRef,
                )
            }
            ColumnKind::Value => {
                let mut vals = Vec::with_capacity(rows);
                for (_, _, v) in pieces {
                    vals.extend_from_slice(v);
                }
                Ok(Arc::new(Float64Array::from(vals)) as ArrayRef)
            }
            ColumnKind::Metric => {
                label_column(labels, runs(pieces, |meta| Some(meta.metric())), rows)
            }
            ColumnKind::Label(name) => {
                label_column(labels, runs(pieces, |meta| meta.label(name)), rows)
            }
        })
        .collect::<Result<_>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    Ok(RecordBatch::try_new_with_options(
        Arc::clone(schema),
        arrays,
        &options,
    )?)
}

/// The runs of `value(series)` over pieces: a word and its piece's rows
/// (counted by values: a scan for values only has no timestamps).
fn runs<'a>(
    pieces: &'a [(Arc<SeriesMeta>, &[i64], &[f64])],
    value: impl Fn(&'a SeriesMeta) -> Option<&'a str> + 'a,
) -> impl Iterator<Item = (Option<&'a str>, usize)> + 'a {
    pieces
        .iter()
        .map(move |(meta, _, vals)| (value(meta), vals.len()))
}

/// A metric or label column of `rows` rows in runs: `(word, rows)`, each
/// run `rows` times its word (null when `None`), as `labels` says: the
/// column type of [`LabelEncoding::data_type`].
pub fn label_column<'a>(
    labels: LabelEncoding,
    runs: impl Iterator<Item = (Option<&'a str>, usize)>,
    rows: usize,
) -> Result<ArrayRef> {
    match labels {
        LabelEncoding::Dictionary => dictionary(runs, rows),
        LabelEncoding::View => views(runs, rows),
    }
}

/// A dictionary column: each distinct word once, a key per row.
fn dictionary<'a>(
    runs: impl Iterator<Item = (Option<&'a str>, usize)>,
    rows: usize,
) -> Result<ArrayRef> {
    let mut codes: HashMap<&str, i32> = HashMap::new();
    let mut words: Vec<&str> = Vec::new();
    let mut keys: Vec<i32> = Vec::with_capacity(rows);
    let mut nulls = NullBufferBuilder::new(rows);
    for (word, n) in runs {
        match word {
            Some(word) => {
                let code = *codes.entry(word).or_insert_with(|| {
                    words.push(word);
                    // A batch holds far fewer than 2^31 rows.
                    i32::try_from(words.len() - 1).unwrap_or(i32::MAX)
                });
                keys.extend(std::iter::repeat_n(code, n));
                nulls.append_n_non_nulls(n);
            }
            None => {
                keys.extend(std::iter::repeat_n(0, n));
                nulls.append_n_nulls(n);
            }
        }
    }
    let keys = Int32Array::new(keys.into(), nulls.finish());
    let values: ArrayRef = Arc::new(StringArray::from(words));
    Ok(Arc::new(DictionaryArray::<Int32Type>::try_new(
        keys, values,
    )?))
}

/// A view-string column: each distinct word longer than a view holds
/// stored once, in buffers of at most 2 GiB, and a 16-byte view per row.
fn views<'a>(
    runs: impl Iterator<Item = (Option<&'a str>, usize)>,
    rows: usize,
) -> Result<ArrayRef> {
    let mut made: HashMap<&str, u128> = HashMap::new();
    let mut buffers: Vec<Vec<u8>> = Vec::new();
    let mut views: Vec<u128> = Vec::with_capacity(rows);
    let mut nulls = NullBufferBuilder::new(rows);
    for (word, n) in runs {
        let Some(word) = word else {
            views.extend(std::iter::repeat_n(0, n));
            nulls.append_n_nulls(n);
            continue;
        };
        let view = match made.get(word) {
            Some(&view) => view,
            None => {
                let view = view_of(word.as_bytes(), &mut buffers)?;
                made.insert(word, view);
                view
            }
        };
        views.extend(std::iter::repeat_n(view, n));
        nulls.append_n_non_nulls(n);
    }
    let buffers: Vec<Buffer> = buffers.into_iter().map(Buffer::from_vec).collect();
    Ok(Arc::new(StringViewArray::try_new(
        views.into(),
        buffers,
        nulls.finish(),
    )?))
}

/// The view of `bytes`: inline when short, else stored at the end of the
/// last buffer (a new one when it is full).
fn view_of(bytes: &[u8], buffers: &mut Vec<Vec<u8>>) -> Result<u128> {
    if bytes.len() <= MAX_INLINE_VIEW_LEN {
        return Ok(make_view(bytes, 0, 0));
    }
    if buffers
        .last()
        .is_none_or(|b| b.len() + bytes.len() > VIEW_BUFFER_LIMIT)
    {
        buffers.push(Vec::new());
    }
    let block = u32::try_from(buffers.len() - 1).map_err(|_| too_long())?;
    let Some(data) = buffers.last_mut() else {
        return Err(too_long());
    };
    let offset = u32::try_from(data.len()).map_err(|_| too_long())?;
    data.extend_from_slice(bytes);
    Ok(make_view(bytes, block, offset))
}

/// A batch's label strings do not fit in view buffers.
fn too_long() -> Error {
    Error::InvalidArgument("label values of one batch exceed view buffers".into())
}
