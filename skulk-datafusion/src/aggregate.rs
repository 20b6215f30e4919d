//! The aggregate pushdown: a `GROUP BY` of labels and of one
//! `date_bin(stride, time)` computing `avg`, `sum` or `count` of a Skulk
//! table is read as partial aggregates the engine makes per series and
//! bin (a [`BinnedTable`]), which DataFusion then combines.
//!
//! Every series has one value per label, so a group of labels and a bin is
//! a union of (series, bin) pairs: the sum and count of a group are the
//! sums of its pairs' sums and counts, and its mean is their quotient. The
//! rewrite keeps the query's output (names, types, rows); only the order in
//! which floating-point values are added differs, as it does between two
//! DataFusion plans of one query.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::Transformed;
use datafusion::common::{Column, ScalarValue};
use datafusion::datasource::{DefaultTableSource, provider_as_source};
use datafusion::error::Result;
use datafusion::functions::datetime::date_bin::DateBinFunc;
use datafusion::functions::expr_fn::coalesce;
use datafusion::functions_aggregate::average::Avg;
use datafusion::functions_aggregate::count::Count;
use datafusion::functions_aggregate::expr_fn::sum;
use datafusion::functions_aggregate::sum::Sum;
use datafusion::logical_expr::expr::{AggregateFunction, ScalarFunction};
use datafusion::logical_expr::{
    Aggregate, Expr, LogicalPlan, LogicalPlanBuilder, TableProviderFilterPushDown, TableScan, cast,
    lit,
};
use datafusion::optimizer::optimizer::ApplyOrder;
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};
use skulk_arrow::ColumnKind;

use crate::binned::{BIN_COLUMN, BinnedRequest, BinnedTable, Binning, COUNT_COLUMN, SUM_COLUMN};
use crate::pushdown::{Pushdown, support};
use crate::table::SkulkTable;

/// The optimizer rule of the aggregate pushdown (see the module
/// documentation); [`crate::session`] and [`crate::register`] add it.
#[derive(Debug, Default)]
pub struct AggregatePushdown;

impl AggregatePushdown {
    /// The rule's name, to remove it from a session
    /// (`SessionContext::remove_optimizer_rule`).
    pub const NAME: &'static str = "skulk_aggregate_pushdown";
}

impl OptimizerRule for AggregatePushdown {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        let LogicalPlan::Aggregate(aggregate) = &plan else {
            return Ok(Transformed::no(plan));
        };
        match rewrite(aggregate)? {
            Some(rewritten) => Ok(Transformed::yes(rewritten)),
            None => Ok(Transformed::no(plan)),
        }
    }
}

/// What one aggregate of the query becomes.
#[derive(Debug, Clone, Copy)]
enum Wanted {
    Mean,
    Sum,
    Count,
}

/// The rewritten plan, or `None` when the aggregate is not one the engine
/// can do its part of.
fn rewrite(aggregate: &Aggregate) -> Result<Option<LogicalPlan>> {
    let LogicalPlan::TableScan(scan) = aggregate.input.as_ref() else {
        return Ok(None);
    };
    let Some(table) = skulk_table(scan) else {
        return Ok(None);
    };
    let layout = table.layout();
    let pushed_exactly = scan
        .filters
        .iter()
        .all(|f| matches!(support(layout, f), TableProviderFilterPushDown::Exact));
    if scan.fetch.is_some() || !pushed_exactly {
        return Ok(None);
    }
    let kind_of = |c: &Column| {
        layout
            .column_index(&c.name)
            .and_then(|i| layout.kind(i))
            .cloned()
    };

    // The groups: columns of labels (or the metric), and at most one bin.
    let mut binning = None;
    let mut groups = Vec::new();
    for expr in &aggregate.group_expr {
        match unaliased(expr) {
            Expr::Column(c) => match kind_of(c) {
                Some(kind @ (ColumnKind::Metric | ColumnKind::Label(_))) => {
                    groups.push((c.name.clone(), kind))
                }
                _ => return Ok(None),
            },
            Expr::ScalarFunction(f) if binning.is_none() => match date_bin(f, &kind_of) {
                Some(b) => binning = Some(b),
                None => return Ok(None),
            },
            _ => return Ok(None),
        }
    }

    let mut wanted = Vec::new();
    for expr in &aggregate.aggr_expr {
        match wanted_of(unaliased(expr), &kind_of) {
            Some(w) => wanted.push(w),
            None => return Ok(None),
        }
    }

    let pushdown = Pushdown::new(table.base()).with_filters(layout, &scan.filters);
    let request = BinnedRequest {
        selector: pushdown.selector(),
        range: pushdown.range(),
        binning,
        groups,
        labels: layout.label_encoding(),
    };
    let Some(binned) = BinnedTable::new(
        Arc::clone(table.engine()),
        table.name().to_string(),
        request,
    ) else {
        return Ok(None);
    };
    let qualifier = scan.table_name.clone();
    let column = |name: &str| Expr::Column(Column::new(Some(qualifier.clone()), name));

    // The groups in the query's order, then the two sums.
    let mut new_groups = Vec::new();
    for expr in &aggregate.group_expr {
        new_groups.push(match unaliased(expr) {
            Expr::Column(c) => column(&c.name),
            _ => column(BIN_COLUMN),
        });
    }
    let plan = LogicalPlanBuilder::scan(
        qualifier.clone(),
        provider_as_source(Arc::new(binned)),
        None,
    )?
    .aggregate(
        new_groups,
        vec![sum(column(SUM_COLUMN)), sum(column(COUNT_COLUMN))],
    )?
    .build()?;
    let schema = Arc::clone(plan.schema());
    let field = |i: usize| Expr::Column(Column::from(schema.qualified_field(i)));
    let groups_len = aggregate.group_expr.len();
    let (sums, counts) = (field(groups_len), field(groups_len + 1));

    // The query's columns, named as the aggregate named them.
    let mut outputs = Vec::new();
    for (i, (qualifier, original)) in aggregate.schema.iter().enumerate() {
        let expr = match i.checked_sub(groups_len) {
            None => field(i),
            Some(j) => match wanted.get(j) {
                Some(Wanted::Sum) => sums.clone(),
                Some(Wanted::Count) => coalesce(vec![counts.clone(), lit(0i64)]),
                Some(Wanted::Mean) => sums.clone() / cast(counts.clone(), DataType::Float64),
                None => return Ok(None),
            },
        };
        outputs.push(expr.alias_qualified(qualifier.cloned(), original.name()));
    }
    Ok(Some(
        LogicalPlanBuilder::from(plan).project(outputs)?.build()?,
    ))
}

/// `expr` without the names given to it (the optimizer names a
/// simplified expression as it was written).
fn unaliased(expr: &Expr) -> &Expr {
    match expr {
        Expr::Alias(alias) => unaliased(&alias.expr),
        other => other,
    }
}

/// The Skulk table `scan` reads, if it reads one.
fn skulk_table(scan: &TableScan) -> Option<&SkulkTable> {
    scan.source
        .as_ref()
        .downcast_ref::<DefaultTableSource>()
        .and_then(|s| s.table_provider.downcast_ref::<SkulkTable>())
}

/// The binning of `date_bin(<interval>, time [, <timestamp>])` with a
/// stride of a fixed width above zero (months have no fixed width).
fn date_bin(
    f: &ScalarFunction,
    kind_of: &impl Fn(&Column) -> Option<ColumnKind>,
) -> Option<Binning> {
    if !f.func.inner().is::<DateBinFunc>() {
        return None;
    }
    let (stride, time, origin) = match f.args.as_slice() {
        [stride, time] => (stride, time, 0),
        [
            stride,
            time,
            Expr::Literal(ScalarValue::TimestampNanosecond(Some(o), _), _),
        ] => (stride, time, *o),
        _ => return None,
    };
    match time {
        Expr::Column(c) if kind_of(c) == Some(ColumnKind::Time) => {}
        _ => return None,
    }
    let stride = match stride {
        Expr::Literal(ScalarValue::IntervalMonthDayNano(Some(v)), _) if v.months == 0 => {
            i64::from(v.days)
                .checked_mul(86_400_000_000_000)?
                .checked_add(v.nanoseconds)?
        }
        Expr::Literal(ScalarValue::IntervalDayTime(Some(v)), _) => i64::from(v.days)
            .checked_mul(86_400_000_000_000)?
            .checked_add(i64::from(v.milliseconds).checked_mul(1_000_000)?)?,
        _ => return None,
    };
    (stride > 0).then_some(Binning { stride, origin })
}

/// What `expr` (an aggregate of the query) asks for, if the partial
/// aggregates can give it: `avg(value)`, `sum(value)`, `count(value)`,
/// `count(time)` or `count(*)`, without `DISTINCT`, `FILTER` or `ORDER BY`.
fn wanted_of(expr: &Expr, kind_of: &impl Fn(&Column) -> Option<ColumnKind>) -> Option<Wanted> {
    let Expr::AggregateFunction(AggregateFunction { func, params }) = expr else {
        return None;
    };
    if params.distinct
        || params.filter.is_some()
        || !params.order_by.is_empty()
        || params.null_treatment.is_some()
    {
        return None;
    }
    let arg = match params.args.as_slice() {
        [arg] => arg,
        _ => return None,
    };
    let column = match arg {
        Expr::Column(c) => kind_of(c),
        _ => None,
    };
    let inner = func.inner();
    if inner.is::<Avg>() && column == Some(ColumnKind::Value) {
        Some(Wanted::Mean)
    } else if inner.is::<Sum>() && column == Some(ColumnKind::Value) {
        Some(Wanted::Sum)
    } else if inner.is::<Count>() {
        // Neither `time` nor `value` is ever null, and nor is a literal
        // other than NULL (`count(*)` is `count(1)`): each counts rows.
        let rows = matches!(column, Some(ColumnKind::Time | ColumnKind::Value))
            || matches!(arg, Expr::Literal(v, _) if !v.is_null());
        rows.then_some(Wanted::Count)
    } else {
        None
    }
}
