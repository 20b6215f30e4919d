//! Partial aggregates the engine computes itself: per series and time bin,
//! the sum and the number of its values. The aggregate pushdown
//! ([`crate::AggregatePushdown`]) puts this scan under DataFusion's
//! aggregation, which then combines a row per series and bin instead of a
//! row per point.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::TimestampNanosecondArray;
use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::Expr;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchReceiverStream;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
    SendableRecordBatchStream,
};
use skulk_arrow::{ColumnKind, LabelEncoding, TIME_ZONE, label_column};
use skulk_engine::{Engine, PointScan, SeriesMeta, SeriesResult, SeriesSelector, TimeRange};

use crate::Error;
use crate::exec::write_selection;
use crate::parts::Parts;

/// The column of bin starts.
pub const BIN_COLUMN: &str = "__skulk_bin";
/// The column of sums of values.
pub const SUM_COLUMN: &str = "__skulk_sum";
/// The column of numbers of values.
pub const COUNT_COLUMN: &str = "__skulk_count";

/// Rows a batch of partial aggregates holds.
const BATCH_ROWS: usize = 8192;

/// Batches a partition may have waiting.
const BUFFERED_BATCHES: usize = 8;

/// Points the engine decodes at a time for one partition.
const CHUNK_POINTS: usize = skulk_engine::DEFAULT_CHUNK_POINTS / 4;

/// Time bins as DataFusion's `date_bin(stride, time, origin)` cuts them:
/// `[origin + k * stride, origin + (k + 1) * stride)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binning {
    /// The width of a bin in nanoseconds, above zero.
    pub stride: i64,
    /// Where bins are counted from.
    pub origin: i64,
}

impl Binning {
    /// The start of the bin holding `t`; `None` where computing it
    /// overflows, where `date_bin` gives a null too.
    pub fn bin(&self, t: i64) -> Option<i64> {
        let diff = t.checked_sub(self.origin)?;
        let floor = diff.checked_sub(diff.checked_rem(self.stride)?)?;
        let floor = if diff < 0 && floor != diff {
            floor.checked_sub(self.stride)?
        } else {
            floor
        };
        self.origin.checked_add(floor)
    }
}

/// What a [`BinnedTable`] reads and groups by.
#[derive(Debug, Clone)]
pub struct BinnedRequest {
    /// The series to read.
    pub selector: SeriesSelector,
    /// The time range to read; `None` reads nothing.
    pub range: Option<TimeRange>,
    /// The time bins; `None` is one bin holding every point.
    pub binning: Option<Binning>,
    /// The metric and label columns, each with its column name.
    pub groups: Vec<(String, ColumnKind)>,
    /// How those columns hold their strings.
    pub labels: LabelEncoding,
}

impl BinnedRequest {
    /// The columns: the bin (with binning), the group columns, the sum and
    /// the count. `None` when a group column takes one of the other names.
    pub fn schema(&self) -> Option<SchemaRef> {
        let mut fields = Vec::new();
        if self.binning.is_some() {
            fields.push(Field::new(BIN_COLUMN, skulk_arrow::time_type(), true));
        }
        for (name, _) in &self.groups {
            if [BIN_COLUMN, SUM_COLUMN, COUNT_COLUMN].contains(&name.as_str()) {
                return None;
            }
            fields.push(Field::new(name, self.labels.data_type(), true));
        }
        fields.push(Field::new(SUM_COLUMN, DataType::Float64, false));
        fields.push(Field::new(COUNT_COLUMN, DataType::Int64, false));
        Some(Arc::new(Schema::new(fields)))
    }
}

/// A table of partial aggregates over an engine (see the module
/// documentation); it exists only inside plans the pushdown rewrote.
#[derive(Debug)]
pub struct BinnedTable {
    engine: Arc<Engine>,
    table: String,
    request: BinnedRequest,
    schema: SchemaRef,
}

impl BinnedTable {
    /// The partial aggregates of `request` over `engine`, shown in plans as
    /// a read of `table`; `None` when [`BinnedRequest::schema`] is.
    pub fn new(engine: Arc<Engine>, table: String, request: BinnedRequest) -> Option<Self> {
        let schema = request.schema()?;
        Some(BinnedTable {
            engine,
            table,
            request,
            schema,
        })
    }
}

#[async_trait]
impl TableProvider for BinnedTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let projection = projection.cloned();
        let schema = match &projection {
            Some(p) => Arc::new(self.schema.project(p)?),
            None => Arc::clone(&self.schema),
        };
        Ok(Arc::new(BinnedExec {
            engine: Arc::clone(&self.engine),
            table: self.table.clone(),
            request: self.request.clone(),
            projection,
            parts: Parts::new(state.config().target_partitions()),
            properties: Arc::new(PlanProperties::new(
                EquivalenceProperties::new(schema),
                Partitioning::UnknownPartitioning(state.config().target_partitions().max(1)),
                EmissionType::Incremental,
                Boundedness::Bounded,
            )),
        }))
    }
}

/// The plan node of the engine's read of sums and counts per series and bin
/// (put in by [`crate::AggregatePushdown`]): the series dealt among partitions,
/// all read from one snapshot.
#[derive(Debug)]
pub struct BinnedExec {
    engine: Arc<Engine>,
    table: String,
    request: BinnedRequest,
    projection: Option<Vec<usize>>,
    parts: Parts<PointScan>,
    properties: Arc<PlanProperties>,
}

impl DisplayAs for BinnedExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "SkulkBinnedExec: table={}", self.table)?;
        let Some(range) = &self.request.range else {
            return write!(f, ", empty (the filters admit no timestamp)");
        };
        write_selection(f, &self.request.selector, range)?;
        match self.request.binning {
            Some(b) => write!(f, ", bins={}ns from {}", b.stride, b.origin)?,
            None => write!(f, ", one bin")?,
        }
        let groups: Vec<&str> = self
            .request
            .groups
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        write!(
            f,
            ", per series: sum, count; groups=[{}]",
            groups.join(", ")
        )?;
        write!(f, ", partitions={}", self.parts.count())
    }
}

impl ExecutionPlan for BinnedExec {
    fn name(&self) -> &str {
        "SkulkBinnedExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        Vec::new()
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    #[allow(deprecated)]
    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.is_empty() {
            Ok(self)
        } else {
            Err(DataFusionError::Internal(
                "SkulkBinnedExec has no children".to_string(),
            ))
        }
    }

    /// A copy whose partitions start a new run (a prepared query runs its
    /// plan again; runs may overlap).
    fn reset_state(self: Arc<Self>) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(BinnedExec {
            engine: Arc::clone(&self.engine),
            table: self.table.clone(),
            request: self.request.clone(),
            projection: self.projection.clone(),
            parts: self.parts.fresh(),
            properties: Arc::clone(&self.properties),
        }))
    }

    fn execute(
        &self,
        partition: usize,
        _context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        self.parts.check(partition, "SkulkBinnedExec")?;
        let mut builder = RecordBatchReceiverStream::builder(self.schema(), BUFFERED_BATCHES);
        let Some(range) = self.request.range else {
            return Ok(builder.build());
        };
        let scan = self.parts.take(partition, |count| {
            let scan = self
                .engine
                .scan(&self.request.selector, range)
                .map_err(|e| DataFusionError::from(Error::from(e)))?
                .with_chunk_points(CHUNK_POINTS);
            // One bin needs no timestamps.
            let scan = match self.request.binning {
                Some(_) => scan,
                None => scan.values_only(),
            };
            Ok(scan.split(count))
        })?;
        if let Some(mut scan) = scan {
            let tx = builder.tx();
            let mut rows = Rows::new(&self.request, self.projection.clone())?;
            builder.spawn_blocking(move || {
                let send = |batch: Result<RecordBatch>| {
                    let failed = batch.is_err();
                    // A closed channel: nobody wants more rows.
                    tx.blocking_send(batch).is_err() || failed
                };
                loop {
                    let chunk = match scan.next_chunk() {
                        Ok(Some(chunk)) => chunk,
                        Ok(None) => break,
                        Err(e) => {
                            send(Err(DataFusionError::from(Error::from(e))));
                            return Ok(());
                        }
                    };
                    for series in &chunk {
                        rows.add(series);
                        if rows.len() >= BATCH_ROWS && send(rows.take()) {
                            return Ok(());
                        }
                    }
                }
                if rows.len() > 0 {
                    send(rows.take());
                }
                Ok(())
            });
        }
        Ok(builder.build())
    }
}

/// Partial aggregates gathered for the next batch.
struct Rows {
    binning: Option<Binning>,
    groups: Vec<ColumnKind>,
    labels: LabelEncoding,
    schema: SchemaRef,
    projection: Option<Vec<usize>>,
    bins: Vec<Option<i64>>,
    sums: Vec<f64>,
    counts: Vec<i64>,
    /// Each series with how many consecutive rows are its own.
    series: Vec<(Arc<SeriesMeta>, usize)>,
}

impl Rows {
    fn new(request: &BinnedRequest, projection: Option<Vec<usize>>) -> Result<Rows> {
        let schema = request.schema().ok_or_else(|| {
            DataFusionError::Internal("a group column takes a reserved name".to_string())
        })?;
        Ok(Rows {
            binning: request.binning,
            groups: request.groups.iter().map(|(_, k)| k.clone()).collect(),
            labels: request.labels,
            schema,
            projection,
            bins: Vec::new(),
            sums: Vec::new(),
            counts: Vec::new(),
            series: Vec::new(),
        })
    }

    fn len(&self) -> usize {
        self.sums.len()
    }

    /// A row per bin of `series` that holds points. Sums start at `-0.0`,
    /// the identity of addition, so a bin of `-0.0` sums to `-0.0`.
    fn add(&mut self, series: &SeriesResult) {
        if series.values.is_empty() {
            return;
        }
        let before = self.len();
        match self.binning {
            None => {
                self.bins.push(None);
                self.sums.push(sum(&series.values));
                self.counts.push(count(series.values.len()));
            }
            Some(binning) => self.add_binned(binning, &series.timestamps, &series.values),
        }
        let added = self.len() - before;
        self.series.push((Arc::clone(&series.series), added));
    }

    /// Timestamps are increasing: a bin is a run of points, and a point
    /// below the current bin's end belongs to it without a division.
    fn add_binned(&mut self, binning: Binning, timestamps: &[i64], values: &[f64]) {
        let mut current: Option<(Option<i64>, Option<i64>)> = None;
        let mut sum = -0.0;
        let mut n = 0usize;
        for (&t, &v) in timestamps.iter().zip(values) {
            let same = match current {
                Some((Some(_), end)) => end.is_none_or(|end| t < end),
                _ => false,
            };
            if !same {
                if let Some((bin, _)) = current {
                    self.push_row(bin, sum, n);
                }
                let bin = binning.bin(t);
                let end = bin.and_then(|b| b.checked_add(binning.stride));
                current = Some((bin, end));
                sum = -0.0;
                n = 0;
            }
            sum += v;
            n += 1;
        }
        if let Some((bin, _)) = current {
            self.push_row(bin, sum, n);
        }
    }

    fn push_row(&mut self, bin: Option<i64>, sum: f64, n: usize) {
        self.bins.push(bin);
        self.sums.push(sum);
        self.counts.push(count(n));
    }

    /// The gathered rows as a batch of the projected columns.
    fn take(&mut self) -> Result<RecordBatch> {
        let rows = self.len();
        let series = std::mem::take(&mut self.series);
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.schema.fields().len());
        if self.binning.is_some() {
            let bins = std::mem::take(&mut self.bins);
            columns.push(Arc::new(
                TimestampNanosecondArray::from(bins).with_timezone(TIME_ZONE),
            ));
        }
        self.bins.clear();
        for kind in &self.groups {
            let runs = series.iter().map(|(meta, n)| (group_value(meta, kind), *n));
            columns.push(label_column(self.labels, runs, rows).map_err(Error::from)?);
        }
        columns.push(Arc::new(Float64Array::from(std::mem::take(&mut self.sums))));
        columns.push(Arc::new(Int64Array::from(std::mem::take(&mut self.counts))));
        let batch = RecordBatch::try_new(Arc::clone(&self.schema), columns)?;
        Ok(match &self.projection {
            Some(p) => batch.project(p)?,
            None => batch,
        })
    }
}

/// The sum of `values` in eight lanes (the compiler makes them vector
/// additions; one running sum would wait on each addition in turn). The
/// lanes start at `-0.0`, the identity of addition, so only `-0.0`s sum
/// to `-0.0`.
fn sum(values: &[f64]) -> f64 {
    let mut lanes = [-0.0f64; 8];
    let mut chunks = values.chunks_exact(8);
    for chunk in &mut chunks {
        for (lane, v) in lanes.iter_mut().zip(chunk) {
            *lane += v;
        }
    }
    let tail = chunks.remainder().iter().fold(-0.0, |s, v| s + v);
    let [a, b, c, d, e, f, g, h] = lanes;
    (((a + b) + (c + d)) + ((e + f) + (g + h))) + tail
}

fn group_value<'a>(meta: &'a SeriesMeta, kind: &ColumnKind) -> Option<&'a str> {
    match kind {
        ColumnKind::Metric => Some(meta.metric()),
        ColumnKind::Label(name) => meta.label(name),
        ColumnKind::Time | ColumnKind::Value => None,
    }
}

/// A number of points as SQL's count type (a chunk never holds 2^63).
fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::{Binning, sum};

    #[test]
    fn lane_sums_add_every_value() {
        for n in 0..40usize {
            let values: Vec<f64> = (0..n).map(|i| i as f64 * 0.5).collect();
            assert_eq!(
                sum(&values),
                (0..n).map(|i| i as f64 * 0.5).sum::<f64>(),
                "n={n}"
            );
        }
        assert_eq!(sum(&[-0.0; 11]).to_bits(), (-0.0f64).to_bits());
        assert!(sum(&[1.0, f64::NAN, 2.0]).is_nan());
        assert_eq!(sum(&[f64::INFINITY; 9]), f64::INFINITY);
    }

    /// `date_bin`'s floor, checked against division for both signs.
    #[test]
    fn bins_floor_towards_minus_infinity_from_the_origin() {
        for (stride, origin) in [(1, 0), (7, 0), (60, 5), (1_000, -13)] {
            let b = Binning { stride, origin };
            for t in -200i64..200 {
                let want = origin + (t - origin).div_euclid(stride) * stride;
                assert_eq!(
                    b.bin(t),
                    Some(want),
                    "t={t} stride={stride} origin={origin}"
                );
            }
        }
        let b = Binning {
            stride: 60_000_000_000,
            origin: 0,
        };
        assert_eq!(b.bin(i64::MIN), None, "below i64::MIN");
        assert_eq!(b.bin(i64::MAX), Some(i64::MAX - i64::MAX % 60_000_000_000));
    }
}
