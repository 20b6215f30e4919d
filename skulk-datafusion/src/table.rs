//! A table of Skulk points for DataFusion: one metric, or every point.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::Session;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use skulk_arrow::{LabelEncoding, ScanRequest, TableLayout};
use skulk_engine::{Engine, LabelMatcher, METRIC_LABEL, SeriesSelector};

use crate::exec::SkulkScanExec;
use crate::pushdown::{Pushdown, support};

/// Points the engine decodes at a time for a query: a quarter of the
/// engine's default, because a partition keeps a whole decoded chunk of
/// batches ready (decoding overlaps DataFusion's work on them) and view
/// label columns take 16 bytes a row.
const CHUNK_POINTS: usize = skulk_engine::DEFAULT_CHUNK_POINTS / 4;

/// The name of the table of every point of every metric.
pub const POINTS_TABLE: &str = "points";

/// A table over an open engine: the points of one metric (columns `time`,
/// `value` and one per label name), or of every metric (`points`, with a
/// `metric` column too). Filters on `time`, `metric` and the labels, and
/// `LIMIT`, are applied by the engine; see the crate documentation.
///
/// The columns are those of the series when the table is made; rows are
/// read from the engine's data at the moment a query starts.
#[derive(Debug)]
pub struct SkulkTable {
    engine: Arc<Engine>,
    name: String,
    /// `None` for the table of every metric.
    metric: Option<String>,
    layout: TableLayout,
    /// `None`: the session's `batch_size`.
    batch_rows: Option<usize>,
    chunk_points: usize,
}

impl SkulkTable {
    /// The table of metric `metric`.
    pub fn metric(engine: Arc<Engine>, metric: &str) -> crate::Result<SkulkTable> {
        let labels = engine.label_names(&SeriesSelector::metric(metric))?;
        Ok(SkulkTable::new(
            engine,
            metric.to_string(),
            Some(metric.to_string()),
            TableLayout::metric(labels),
        ))
    }

    /// The table of every point, `points`.
    pub fn points(engine: Arc<Engine>) -> crate::Result<SkulkTable> {
        let labels = engine.label_names(&SeriesSelector::all())?;
        Ok(SkulkTable::new(
            engine,
            POINTS_TABLE.to_string(),
            None,
            TableLayout::points(labels),
        ))
    }

    fn new(engine: Arc<Engine>, name: String, metric: Option<String>, layout: TableLayout) -> Self {
        SkulkTable {
            engine,
            name,
            metric,
            // DataFusion groups and compares view strings in its vectorised
            // paths; dictionary keys would go through its row format.
            layout: layout.with_label_encoding(LabelEncoding::View),
            batch_rows: None,
            chunk_points: CHUNK_POINTS,
        }
    }

    /// Sets the rows per record batch (default: the session's
    /// `datafusion.execution.batch_size`).
    pub fn with_batch_rows(mut self, rows: usize) -> Self {
        self.batch_rows = Some(rows.max(1));
        self
    }

    /// Sets how the metric and label columns hold their strings (default
    /// [`LabelEncoding::View`], `Utf8View`, the type DataFusion groups by
    /// fastest; [`LabelEncoding::Dictionary`] is the export's type).
    pub fn with_label_encoding(mut self, labels: LabelEncoding) -> Self {
        self.layout = self.layout.with_label_encoding(labels);
        self
    }

    /// Sets how many points the engine decodes at a time.
    pub fn with_chunk_points(mut self, points: usize) -> Self {
        self.chunk_points = points.max(1);
        self
    }

    /// The table's columns and what each holds.
    pub fn layout(&self) -> &TableLayout {
        &self.layout
    }

    /// The engine the table reads.
    pub(crate) fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// The table's name, as plans show it.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// True when `other` reads the same points into the same columns: a
    /// plan made on one serves the other.
    pub(crate) fn reads_as(&self, other: &SkulkTable) -> bool {
        Arc::ptr_eq(&self.engine, &other.engine)
            && self.metric == other.metric
            && self.layout.schema() == other.layout.schema()
            && self.batch_rows == other.batch_rows
            && self.chunk_points == other.chunk_points
    }

    /// The matchers every query of this table starts from.
    pub(crate) fn base(&self) -> Vec<LabelMatcher> {
        match &self.metric {
            Some(metric) => vec![LabelMatcher::equal(METRIC_LABEL, metric.clone())],
            None => Vec::new(),
        }
    }
}

#[async_trait]
impl TableProvider for SkulkTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(self.layout.schema())
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filters.iter().map(|f| support(&self.layout, f)).collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let pushdown = Pushdown::new(self.base()).with_filters(&self.layout, filters);
        let schema = match projection {
            Some(p) => Arc::new(self.layout.schema().project(p)?),
            None => Arc::clone(self.layout.schema()),
        };
        let request = pushdown.range().map(|range| ScanRequest {
            selector: pushdown.selector(),
            range,
            projection: projection.cloned(),
            limit,
            batch_rows: self
                .batch_rows
                .unwrap_or(state.config().batch_size())
                .max(1),
            chunk_points: self.chunk_points,
        });
        Ok(Arc::new(SkulkScanExec::new(
            Arc::clone(&self.engine),
            self.name.clone(),
            self.layout.clone(),
            request,
            schema,
            state.config().target_partitions(),
        )))
    }
}
