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

/// Batches the scan may have ready before DataFusion takes them: with the
/// engine's chunk being decoded, this bounds a query's memory.
const BUFFERED_BATCHES: usize = 2;

/// Reads the points of one selection of series in one time range from an
/// engine, as record batches of a table's projected columns.
#[derive(Debug)]
pub struct SkulkScanExec {
    engine: Arc<Engine>,
    table: String,
    layout: TableLayout,
    request: Option<ScanRequest>,
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
    ) -> SkulkScanExec {
        let properties = PlanProperties::new(
            EquivalenceProperties::new(schema),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        SkulkScanExec {
            engine,
            table,
            layout,
            request,
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
        if let SeriesSelector::Matchers(ms) = &request.selector {
            let shown: Vec<String> = ms
                .iter()
                .map(|m| format!("{}{}{:?}", m.name, op_text(m.op), m.value))
                .collect();
            write!(f, ", matchers=[{}]", shown.join(", "))?;
        }
        if request.range != TimeRange::ALL {
            write!(
                f,
                ", time=[{}, {})",
                request.range.start(),
                end_text(&request.range)
            )?;
        }
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
        Ok(())
    }
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

    fn execute(
        &self,
        partition: usize,
        _context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return Err(DataFusionError::Internal(format!(
                "SkulkScanExec has one partition, not {}",
                partition + 1
            )));
        }
        let schema = self.schema();
        let mut builder = RecordBatchReceiverStream::builder(schema, BUFFERED_BATCHES);
        if let Some(request) = self.request.clone() {
            let tx = builder.tx();
            let engine = Arc::clone(&self.engine);
            let layout = self.layout.clone();
            // The engine decodes on its own threads and blocks; keep that off
            // DataFusion's async workers.
            builder.spawn_blocking(move || {
                let scan = match RecordBatchScan::new(&engine, &layout, &request) {
                    Ok(scan) => scan,
                    Err(e) => {
                        // The receiver may be gone (the query was dropped).
                        let _ = tx.blocking_send(Err(Error::from(e).into()));
                        return Ok(());
                    }
                };
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
