//! A streaming scan of the engine as Arrow record batches.

use std::collections::VecDeque;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use skulk_engine::{Engine, PointScan, SeriesSelector, TimeRange};

use crate::Result;
use crate::batch::{BatchBuilder, DEFAULT_BATCH_ROWS};
use crate::layout::TableLayout;

/// What to read: the series, the time range, the columns, how many rows.
#[derive(Debug, Clone)]
pub struct ScanRequest {
    /// The series to read.
    pub selector: SeriesSelector,
    /// The time range to read.
    pub range: TimeRange,
    /// The layout's columns to build, by index (`None`: every column).
    pub projection: Option<Vec<usize>>,
    /// Stop after this many rows.
    pub limit: Option<usize>,
    /// Rows per batch (the last one may hold fewer).
    pub batch_rows: usize,
    /// Points the engine decodes at a time (in parallel); with the batches
    /// waiting to be taken, this bounds the scan's memory.
    pub chunk_points: usize,
}

impl ScanRequest {
    /// Every column of the series `selector` picks in `range`, no limit,
    /// default batch and chunk sizes.
    pub fn new(selector: SeriesSelector, range: TimeRange) -> ScanRequest {
        ScanRequest {
            selector,
            range,
            projection: None,
            limit: None,
            batch_rows: DEFAULT_BATCH_ROWS,
            chunk_points: skulk_engine::DEFAULT_CHUNK_POINTS,
        }
    }
}

/// Record batches of the points a [`ScanRequest`] selects, from one
/// snapshot of the engine, produced as they are taken: the engine decodes
/// one chunk of points at a time (in parallel across series and blocks),
/// so memory stays bounded whatever the size of the data.
///
/// Rows come series by series (in the order of their metric and labels),
/// each series' rows in time order.
#[derive(Debug)]
pub struct RecordBatchScan {
    points: PointScan,
    builder: BatchBuilder,
    ready: VecDeque<RecordBatch>,
    rows_left: Option<usize>,
    done: bool,
}

impl RecordBatchScan {
    /// Starts a scan of `engine` with the columns of `layout`.
    pub fn new(
        engine: &Engine,
        layout: &TableLayout,
        request: &ScanRequest,
    ) -> Result<RecordBatchScan> {
        let points = engine
            .scan(&request.selector, request.range)?
            .with_chunk_points(request.chunk_points);
        Self::over(points, layout, request)
    }

    /// The scan of `request` cut into at most `parts` scans of one snapshot
    /// that together return its rows (each part with its series in order),
    /// to be read in parallel. Each part applies `request.limit` on its
    /// own: together they may return more rows than the limit.
    pub fn split(
        engine: &Engine,
        layout: &TableLayout,
        request: &ScanRequest,
        parts: usize,
    ) -> Result<Vec<RecordBatchScan>> {
        engine
            .scan(&request.selector, request.range)?
            .with_chunk_points(request.chunk_points)
            .split(parts)
            .into_iter()
            .map(|points| Self::over(points, layout, request))
            .collect()
    }

    fn over(points: PointScan, layout: &TableLayout, request: &ScanRequest) -> Result<Self> {
        let builder = BatchBuilder::new(layout, request.projection.as_deref(), request.batch_rows)?;
        // Without a `time` column (a count, a sum of values), blocks are
        // decoded without their timestamps.
        let points = if builder.needs_timestamps() {
            points
        } else {
            points.values_only()
        };
        Ok(RecordBatchScan {
            points,
            builder,
            ready: VecDeque::new(),
            rows_left: request.limit,
            done: request.limit == Some(0),
        })
    }

    /// The schema of the batches (the projection of the layout's).
    pub fn schema(&self) -> &SchemaRef {
        self.builder.schema()
    }

    /// The next batch, `None` at the end (or once the limit is reached).
    pub fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        loop {
            if let Some(batch) = self.ready.pop_front() {
                return Ok(Some(self.apply_limit(batch)));
            }
            if self.done {
                return Ok(None);
            }
            let mut out = Vec::new();
            match self.points.next_chunk()? {
                Some(chunk) => {
                    for series in chunk {
                        self.builder.push(series, &mut out)?;
                    }
                }
                None => {
                    self.builder.finish(&mut out)?;
                    self.done = true;
                }
            }
            self.ready.extend(out);
        }
    }

    fn apply_limit(&mut self, batch: RecordBatch) -> RecordBatch {
        let Some(left) = self.rows_left else {
            return batch;
        };
        let rows = batch.num_rows().min(left);
        self.rows_left = Some(left - rows);
        if left - rows == 0 {
            self.done = true;
            self.ready.clear();
        }
        batch.slice(0, rows)
    }
}

impl Iterator for RecordBatchScan {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_batch().transpose()
    }
}
