//! Queries planned once and run many times against live data.

use std::sync::{Arc, RwLock};

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::TableReference;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::datasource::{TableProvider, source_as_provider};
use datafusion::error::Result;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::context::SQLOptions;
use datafusion::logical_expr::{Expr, LogicalPlan, TableSource, Volatility};
use datafusion::physical_plan::execution_plan::reset_plan_states;
use datafusion::physical_plan::{ExecutionPlan, collect, execute_stream};
use datafusion::prelude::SessionContext;

use crate::table::SkulkTable;

/// A query parsed, optimized and planned once, then run as often as asked,
/// each run reading the engine's data as it is when the run starts.
///
/// DataFusion spends about 0.6 ms turning SQL into a physical plan: on a
/// query that reads little (a dashboard's panel refreshed every few
/// seconds, say) that is most of its time. A prepared query pays it once.
/// Each run answers as `SessionContext::sql` would at that moment:
/// - rows come from the engine's data when the run starts (the plan holds
///   which series and times to read, not the points);
/// - when a table it reads changed its columns (a new label), is gone, or
///   its name now means another table, the run plans the query again
///   first;
/// - a query that reads the clock (`now()`, `current_date`, or another
///   function DataFusion evaluates once per query) is planned again for
///   every run, since planning fixes the time it reads; so is one reading
///   a table registered beside the engine's (an in-memory table's plan
///   holds its rows as they were when planned);
/// - every run starts from a fresh copy of the plan's state (a join's hash
///   table, a scan's partitions), so runs may overlap.
///
/// Only queries can be prepared: DDL, DML and `SET` are refused. The
/// session's settings are those at preparation, for the plan and runs that
/// reuse it.
///
/// ```
/// use std::sync::Arc;
/// use skulk_datafusion::PreparedQuery;
/// use skulk_engine::{DataPoint, Engine, EngineConfig};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let dir = tempfile::tempdir()?;
/// let engine = Arc::new(Engine::open(dir.path(), EngineConfig::default())?);
/// let ctx = skulk_datafusion::session(Arc::clone(&engine))?;
/// engine.write(&DataPoint::new("cpu", vec![], 1, 1.0))?;
///
/// let query = PreparedQuery::new(&ctx, "SELECT count(*) AS n FROM points").await?;
/// let n = |batches: &[datafusion::arrow::record_batch::RecordBatch]| {
///     datafusion::arrow::util::pretty::pretty_format_batches(batches).map(|t| t.to_string())
/// };
/// assert!(n(&query.collect().await?)?.contains("| 1 |"));
/// engine.write(&DataPoint::new("cpu", vec![], 2, 2.0))?;
/// assert!(n(&query.collect().await?)?.contains("| 2 |"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct PreparedQuery {
    ctx: SessionContext,
    sql: String,
    planned: RwLock<Planned>,
}

impl std::fmt::Debug for PreparedQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedQuery")
            .field("sql", &self.sql)
            .field("plans_every_run", &self.plans_every_run())
            .finish_non_exhaustive()
    }
}

/// A physical plan, the tables it was planned on (by name), and whether it
/// holds something read while planning (the clock, another table's rows),
/// so that no run may reuse it.
#[derive(Debug, Clone)]
struct Planned {
    plan: Arc<dyn ExecutionPlan>,
    tables: Vec<(TableReference, Arc<dyn TableProvider>)>,
    fixed: bool,
}

impl PreparedQuery {
    /// Plans `sql` in `ctx`: errors are those of `SessionContext::sql` and
    /// of making the physical plan, and a refusal of anything but a query.
    pub async fn new(ctx: &SessionContext, sql: &str) -> Result<PreparedQuery> {
        Ok(PreparedQuery {
            ctx: ctx.clone(),
            sql: sql.to_string(),
            planned: RwLock::new(plan(ctx, sql).await?),
        })
    }

    /// The query's text.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// True when every run plans the query again: it reads the clock or
    /// a table other than the engine's (as last planned).
    pub fn plans_every_run(&self) -> bool {
        self.current().fixed
    }

    /// The physical plan runs use (as last planned).
    pub fn plan(&self) -> Arc<dyn ExecutionPlan> {
        Arc::clone(&self.current().plan)
    }

    /// The columns of the rows (as last planned).
    pub fn schema(&self) -> SchemaRef {
        self.current().plan.schema()
    }

    /// Runs the query, streaming its rows.
    pub async fn execute(&self) -> Result<SendableRecordBatchStream> {
        let plan = self.fresh_plan().await?;
        execute_stream(plan, self.ctx.task_ctx())
    }

    /// Runs the query and gathers its rows.
    pub async fn collect(&self) -> Result<Vec<RecordBatch>> {
        let plan = self.fresh_plan().await?;
        collect(plan, self.ctx.task_ctx()).await
    }

    fn current(&self) -> Planned {
        // A poisoned lock only means a panic elsewhere while holding it;
        // the plan it holds is always whole.
        self.planned
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The plan for a run starting now, with state of its own.
    async fn fresh_plan(&self) -> Result<Arc<dyn ExecutionPlan>> {
        let planned = self.current();
        let plan = if !planned.fixed && unchanged(&self.ctx, &planned.tables).await {
            planned.plan
        } else {
            let again = plan(&self.ctx, &self.sql).await?;
            let plan = Arc::clone(&again.plan);
            *self.planned.write().unwrap_or_else(|e| e.into_inner()) = again;
            plan
        };
        reset_plan_states(plan)
    }
}

/// Plans `sql` as `SessionContext::sql` and `DataFrame::collect` would.
async fn plan(ctx: &SessionContext, sql: &str) -> Result<Planned> {
    // A fresh state per planning: it carries the query's start time.
    let state = ctx.state();
    let logical = state.create_logical_plan(sql).await?;
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
        .verify_plan(&logical)?;
    let mut tables = Vec::new();
    let mut fixed = false;
    inspect(&logical, &mut tables, &mut fixed)?;
    let plan = state.create_physical_plan(&logical).await?;
    Ok(Planned {
        plan,
        tables,
        fixed,
    })
}

/// Collects the tables `plan` scans (views' own plans included), and sets
/// `fixed` when an expression is fixed per query (DataFusion's `Stable`
/// functions) or a table is neither the engine's nor a view (its plan may
/// hold rows).
fn inspect(
    plan: &LogicalPlan,
    tables: &mut Vec<(TableReference, Arc<dyn TableProvider>)>,
    fixed: &mut bool,
) -> Result<()> {
    plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            match source_as_provider(&scan.source) {
                Ok(table) => tables.push((scan.table_name.clone(), table)),
                Err(_) => *fixed = true,
            }
            match scan.source.get_logical_plan() {
                Some(view) => inspect(&view, tables, fixed)?,
                None => *fixed |= !is_engine_table(&scan.source),
            }
        }
        node.apply_expressions(|e| {
            e.apply(|e| {
                if fixed_per_query(e) {
                    *fixed = true;
                    return Ok(TreeNodeRecursion::Stop);
                }
                Ok(TreeNodeRecursion::Continue)
            })
        })?;
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(())
}

/// True for an expression DataFusion evaluates once when planning a query
/// (`now()`, a session variable), whose value a reused plan would keep.
fn fixed_per_query(e: &Expr) -> bool {
    let volatility = match e {
        Expr::ScalarFunction(f) => f.func.signature().volatility,
        Expr::AggregateFunction(f) => f.func.signature().volatility,
        Expr::WindowFunction(w) => w.fun.signature().volatility,
        Expr::ScalarVariable(..) => return true,
        _ => return false,
    };
    volatility == Volatility::Stable
}

/// True for a Skulk table: its scans read the engine when they run.
fn is_engine_table(source: &Arc<dyn TableSource>) -> bool {
    source_as_provider(source).is_ok_and(|p| p.is::<SkulkTable>())
}

/// True when every name still resolves to a table the plan serves: a Skulk
/// table reading the same points into the same columns, or a view with
/// the same plan and columns.
async fn unchanged(
    ctx: &SessionContext,
    tables: &[(TableReference, Arc<dyn TableProvider>)],
) -> bool {
    for (name, planned) in tables {
        let Ok(now) = ctx.table_provider(name.clone()).await else {
            return false;
        };
        let same = match (
            planned.downcast_ref::<SkulkTable>(),
            now.downcast_ref::<SkulkTable>(),
        ) {
            (Some(planned), Some(now)) => planned.reads_as(now),
            (None, None) => {
                planned.schema() == now.schema()
                    && planned.get_logical_plan().is_some()
                    && planned.get_logical_plan() == now.get_logical_plan()
            }
            _ => false,
        };
        if !same {
            return false;
        }
    }
    true
}
