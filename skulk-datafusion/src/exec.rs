//! The physical plan node that streams an engine scan into DataFusion.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchReceiverStream;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
    SendableRecordBatchStream,
};
use skulk_arrow::{RecordBatchScan, ScanRequest, TableLayout};
use skulk_engine::{Engine, SeriesSelector, TimeRange};

use crate::Error;
use crate::parts::Parts;

/// Batches the scan may have ready before DataFusion takes them, at the
/// least: with the engine's chunk being decoded, this bounds a query's
/// memory.
const BUFFERED_BATCHES: usize = 2;

/// How many batches a partition may have waiting: every batch of one
/// decoded chunk, so that the engine decodes the next chunk while
/// DataFusion works through this one (decoding and aggregating overlap,
/// instead of taking turns batch by batch). A chunk's batches share its
/// columns, so memory stays about two chunks per partition.
fn buffered_batches(request: &ScanRequest) -> usize {
    let per_chunk = request.chunk_points.div_ceil(request.batch_rows.max(1));
    per_chunk.saturating_add(1).max(BUFFERED_BATCHES)
}

/// Reads the points of one selection of series in one time range from an
/// engine, as record batches of a table's projected columns, in several
/// partitions (the series dealt among them) read in parallel, all from
/// one snapshot of the engine.
#[derive(Debug)]
pub struct SkulkScanExec {
    engine: Arc<Engine>,
    table: String,
    layout: TableLayout,
    request: Option<ScanRequest>,
    parts: Parts<RecordBatchScan>,
    properties: Arc<PlanProperties>,
}

impl SkulkScanExec {
    /// A scan of `request` on `engine` with `layout`'s columns; `request`
    /// `None` reads nothing (the filters admit no timestamp).
    pub fn new(
        engine: Arc<Engine>,
        table: String,
        layout: TableLayout,
        request: Option<ScanRequest>,
        schema: SchemaRef,
        partitions: usize,
    ) -> SkulkScanExec {
        let partitions = partitions.max(1);
        let properties = PlanProperties::new(
            EquivalenceProperties::new(schema),
            Partitioning::UnknownPartitioning(partitions),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        SkulkScanExec {
            engine,
            table,
            layout,
            request,
            parts: Parts::new(partitions),
            properties: Arc::new(properties),
        }
    }

    /// What the scan reads (`None`: nothing).
    pub fn request(&self) -> Option<&ScanRequest> {
        self.request.as_ref()
    }
}

impl DisplayAs for SkulkScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "SkulkScanExec: table={}", self.table)?;
        let Some(request) = &self.request else {
            return write!(f, ", empty (the filters admit no timestamp)");
        };
        write_selection(f, &request.selector, &request.range)?;
        if let Some(p) = &request.projection {
            let names: Vec<&str> = p
                .iter()
                .filter_map(|&i| {
                    self.layout
                        .schema()
                        .fields()
                        .get(i)
                        .map(|f| f.name().as_str())
                })
                .collect();
            write!(f, ", projection=[{}]", names.join(", "))?;
        }
        if let Some(limit) = request.limit {
            write!(f, ", limit={limit}")?;
        }
        write!(f, ", partitions={}", self.parts.count())
    }
}

/// `, matchers=[...]` and `, time=[start, end)` (when bounded), as plans
/// show a scan's selection.
pub(crate) fn write_selection(
    f: &mut fmt::Formatter,
    selector: &SeriesSelector,
    range: &TimeRange,
) -> fmt::Result {
    if let SeriesSelector::Matchers(ms) = selector {
        let shown: Vec<String> = ms
            .iter()
            .map(|m| format!("{}{}{:?}", m.name, op_text(m.op), m.value))
            .collect();
        write!(f, ", matchers=[{}]", shown.join(", "))?;
    }
    if *range != TimeRange::ALL {
        write!(f, ", time=[{}, {})", range.start(), end_text(range))?;
    }
    Ok(())
}

fn op_text(op: skulk_engine::MatchOp) -> &'static str {
    match op {
        skulk_engine::MatchOp::Equal => "=",
        skulk_engine::MatchOp::NotEqual => "!=",
        skulk_engine::MatchOp::Regex => "=~",
        skulk_engine::MatchOp::NotRegex => "!~",
    }
}

fn end_text(range: &TimeRange) -> String {
    if range.end() == i64::MAX {
        "∞".to_string()
    } else {
        range.end().to_string()
    }
}

impl ExecutionPlan for SkulkScanExec {
    fn name(&self) -> &str {
        "SkulkScanExec"
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
                "SkulkScanExec has no children".to_string(),
            ))
        }
    }

    /// A copy whose partitions start a new run (a prepared query runs its
    /// plan again; runs may overlap).
    fn reset_state(self: Arc<Self>) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(SkulkScanExec {
            engine: Arc::clone(&self.engine),
            table: self.table.clone(),
            layout: self.layout.clone(),
            request: self.request.clone(),
            parts: self.parts.fresh(),
            properties: Arc::clone(&self.properties),
        }))
    }

    fn execute(
        &self,
        partition: usize,
        _context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        self.parts.check(partition, "SkulkScanExec")?;
        let schema = self.schema();
        let buffered = self
            .request
            .as_ref()
            .map_or(BUFFERED_BATCHES, buffered_batches);
        let mut builder = RecordBatchReceiverStream::builder(schema, buffered);
        let scan = match &self.request {
            Some(request) => self.parts.take(partition, |count| {
                RecordBatchScan::split(&self.engine, &self.layout, request, count)
                    .map_err(|e| DataFusionError::from(Error::from(e)))
            })?,
            None => None,
        };
        if let Some(scan) = scan {
            let tx = builder.tx();
            // The engine decodes on its own threads and blocks; keep that off
            // DataFusion's async workers.
            builder.spawn_blocking(move || {
                for batch in scan {
                    let item = batch.map_err(|e| DataFusionError::from(Error::from(e)));
                    let failed = item.is_err();
                    // A closed channel means nobody wants more rows (a
                    // LIMIT was reached, the query was cancelled): stop.
                    if tx.blocking_send(item).is_err() || failed {
                        break;
                    }
                }
                Ok(())
            });
        }
        Ok(builder.build())
    }
}
