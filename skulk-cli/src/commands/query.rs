//! `skulk query`: points of the selected series, raw or window-aggregated.

use std::io::Write;

use skulk_engine::{AggregateFn, Aggregation, Query};

use super::{Context, select};
use crate::cli::{AggArg, QueryArgs};
use crate::error::{CliError, Result};
use crate::output::{SeriesData, write_points};
use crate::timearg::duration_ns;

fn function(agg: AggArg) -> AggregateFn {
    match agg {
        AggArg::Min => AggregateFn::Min,
        AggArg::Max => AggregateFn::Max,
        AggArg::Sum => AggregateFn::Sum,
        AggArg::Count => AggregateFn::Count,
        AggArg::Mean => AggregateFn::Mean,
        AggArg::First => AggregateFn::First,
        AggArg::Last => AggregateFn::Last,
    }
}

/// Runs `query`.
pub fn run(ctx: &Context, args: &QueryArgs, out: &mut dyn Write) -> Result<()> {
    let selector = select::selector(&args.select)?;
    let range = select::range(&args.select)?;
    let aggregation = match (&args.step, args.agg) {
        (Some(step), Some(agg)) => Some(
            Aggregation::new(duration_ns(step)?, function(agg))
                .map_err(|e| CliError::Usage(format!("--step/--agg: {e}")))?,
        ),
        (None, None) => None,
        _ => return Err(CliError::Usage("--step and --agg go together".into())),
    };
    let engine = ctx.open_engine()?;
    let results = engine.query(&Query {
        selector,
        range,
        aggregation,
    })?;
    drop(engine);
    let data: Vec<SeriesData<'_>> = results
        .iter()
        .map(|r| SeriesData {
            series: &r.series,
            timestamps: &r.timestamps,
            values: &r.values,
        })
        .collect();
    write_points(out, args.format, &data, args.rfc3339).map_err(CliError::output)
}
