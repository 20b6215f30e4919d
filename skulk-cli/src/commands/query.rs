//! `skulk query`: points of the selected series, raw or window-aggregated
//! (per series or across series by labels). Raw points in CSV, NDJSON and
//! line protocol stream one time partition at a time; the table and JSON
//! are built in memory.

use std::io::Write;

use skulk_engine::{Aggregation, Grouping, SeriesResult, WindowQuery};

use super::output_file::with_output;
use super::{Context, export, select};
use crate::cli::{QueryArgs, QueryFormat};
use crate::error::{CliError, Result};
use crate::output::{OutputFormat, SeriesData, write_points};
use crate::point_writer::{PointWriter, StreamFormat};
use crate::timearg::duration_ns;

/// The window query the arguments describe, if any.
fn window_query(args: &QueryArgs) -> Result<Option<WindowQuery>> {
    let (Some(step), Some(function)) = (&args.step, args.agg) else {
        return Ok(None);
    };
    let aggregation = Aggregation::new(duration_ns(step)?, function)
        .map_err(|e| CliError::Usage(format!("--step/--agg: {e}")))?;
    let names = |list: &[String]| -> Vec<String> {
        list.iter().filter(|n| !n.is_empty()).cloned().collect()
    };
    let grouping = match (&args.by, &args.without) {
        (Some(by), _) => Grouping::By(names(by)),
        (None, Some(without)) => Grouping::Without(names(without)),
        (None, None) => Grouping::None,
    };
    let query = WindowQuery::new(
        select::selector(&args.select)?,
        select::range(&args.select)?,
        aggregation,
    );
    Ok(Some(query.grouped(grouping).filled(args.fill)))
}

/// Runs `query`.
pub fn run(ctx: &Context, args: &QueryArgs, out: &mut dyn Write) -> Result<()> {
    let windows = window_query(args)?;
    let selector = select::selector(&args.select)?;
    let range = select::range(&args.select)?;
    let engine = ctx.open_for_reading()?;
    let span = tracing::info_span!("query", selector = %selector, aggregated = windows.is_some());
    let _entered = span.enter();
    with_output(out, &args.output, |out| {
        let stream_format = match args.format {
            QueryFormat::Csv => Some(StreamFormat::Csv),
            QueryFormat::Ndjson => Some(StreamFormat::Ndjson),
            QueryFormat::LineProtocol => Some(StreamFormat::LineProtocol),
            QueryFormat::Table | QueryFormat::Json => None,
        };
        match (&windows, stream_format) {
            (None, Some(format)) => export::stream(&engine, &selector, range, format, out),
            (Some(q), Some(format)) => {
                let results = engine.query_windows(q)?;
                let mut writer = PointWriter::new(format, out).map_err(CliError::output)?;
                for r in &results {
                    writer.series(&r.series, &r.timestamps, &r.values)?;
                }
                writer.finish().map_err(CliError::output)
            }
            (_, None) => {
                let results = match &windows {
                    Some(q) => engine.query_windows(q)?,
                    None => engine.query(&skulk_engine::Query::raw(selector.clone(), range))?,
                };
                write_buffered(out, args, &results)
            }
        }
    })
}

fn write_buffered(out: &mut dyn Write, args: &QueryArgs, results: &[SeriesResult]) -> Result<()> {
    let data: Vec<SeriesData<'_>> = results
        .iter()
        .map(|r| SeriesData {
            series: &r.series,
            timestamps: &r.timestamps,
            values: &r.values,
        })
        .collect();
    let format = match args.format {
        QueryFormat::Json => OutputFormat::Json,
        _ => OutputFormat::Table,
    };
    write_points(out, format, &data, args.rfc3339).map_err(CliError::output)
}
