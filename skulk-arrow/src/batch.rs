//! Series' points into record batches of a [`TableLayout`].

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, DictionaryArray, Float64Array, Int32Array, RecordBatch, RecordBatchOptions,
    StringArray, TimestampNanosecondArray,
};
use arrow_buffer::NullBufferBuilder;
use arrow_schema::SchemaRef;
use skulk_engine::{SeriesMeta, SeriesResult};

use crate::layout::{ColumnKind, TIME_ZONE, TableLayout};
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
                ColumnKind::Metric => constant(Some(meta.metric()), rows),
                ColumnKind::Label(name) => constant(meta.label(name), rows),
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
        let batch = build(&self.schema, &self.columns, &pieces, rows - left)?;
        self.pending.drain(..consumed);
        self.pending_rows -= rows - left;
        Ok(batch)
    }
}

/// One batch of `columns` from `pieces` (a series and a run of its points).
fn build(
    schema: &SchemaRef,
    columns: &[ColumnKind],
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
            ColumnKind::Metric => dictionary(pieces, rows, |meta| Some(meta.metric())),
            ColumnKind::Label(name) => dictionary(pieces, rows, |meta| meta.label(name)),
        })
        .collect::<Result<_>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    Ok(RecordBatch::try_new_with_options(
        Arc::clone(schema),
        arrays,
        &options,
    )?)
}

/// A dictionary column of `rows` rows, each `word` (null when `None`).
fn constant(word: Option<&str>, rows: usize) -> Result<ArrayRef> {
    let keys = match word {
        Some(_) => Int32Array::from(vec![0; rows]),
        None => Int32Array::new_null(rows),
    };
    let values: ArrayRef = Arc::new(StringArray::from(word.into_iter().collect::<Vec<_>>()));
    Ok(Arc::new(DictionaryArray::<Int32Type>::try_new(
        keys, values,
    )?))
}

/// A dictionary column holding `value(series)` on each of a piece's rows.
fn dictionary(
    pieces: &[(Arc<SeriesMeta>, &[i64], &[f64])],
    rows: usize,
    value: impl for<'a> Fn(&'a SeriesMeta) -> Option<&'a str>,
) -> Result<ArrayRef> {
    let mut codes: HashMap<&str, i32> = HashMap::new();
    let mut words: Vec<&str> = Vec::new();
    let mut keys: Vec<i32> = Vec::with_capacity(rows);
    let mut nulls = NullBufferBuilder::new(rows);
    // Rows are counted by values: a scan for values only has no timestamps.
    for (meta, _, vals) in pieces {
        let n = vals.len();
        match value(meta) {
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
