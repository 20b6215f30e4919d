//! `skulk export`: the selected points as line protocol, CSV or NDJSON, one
//! time partition at a time, so memory stays bounded by one partition's
//! selected points; gzip-compressed on request.

use std::io::Write;

use skulk_engine::{Engine, Query, SeriesResult, SeriesSelector};
use skulk_format::TimeRange;

use super::output_file::with_output;
use super::{Context, select};
use crate::cli::{ExportArgs, ExportFormat};
use crate::error::{CliError, Result};
use crate::point_writer::{PointWriter, StreamFormat};

/// Runs `export`.
pub fn run(ctx: &Context, args: &ExportArgs, out: &mut dyn Write) -> Result<()> {
    let selector = select::selector(&args.select)?;
    let range = select::range(&args.select)?;
    let engine = ctx.open_for_reading()?;
    let format = match args.format {
        ExportFormat::Csv => StreamFormat::Csv,
        ExportFormat::LineProtocol => StreamFormat::LineProtocol,
        ExportFormat::Ndjson => StreamFormat::Ndjson,
    };
    with_output(out, &args.output, |out| {
        stream(&engine, &selector, range, format, out)
    })
}

/// Writes the selected points in `format`, partition by partition.
pub fn stream(
    engine: &Engine,
    selector: &SeriesSelector,
    range: TimeRange,
    format: StreamFormat,
    out: &mut dyn Write,
) -> Result<()> {
    let mut writer = PointWriter::new(format, out).map_err(CliError::output)?;
    for_each_series(engine, selector, range, |r| {
        writer.series(&r.series, &r.timestamps, &r.values)
    })?;
    writer.finish().map_err(CliError::output)
}

/// The selected points, one time partition at a time (in time order), each
/// partition's series in key order: memory holds one partition's selected
/// points, and each partition costs one query.
fn for_each_series(
    engine: &Engine,
    selector: &SeriesSelector,
    range: TimeRange,
    mut f: impl FnMut(&SeriesResult) -> Result<()>,
) -> Result<()> {
    for partition in engine.partitions()? {
        let Some(piece) = intersect(range, partition.range()) else {
            continue;
        };
        let results = engine.query(&Query::raw(selector.clone(), piece))?;
        tracing::debug!(
            partition = partition.start(),
            series = results.len(),
            points = results.iter().map(SeriesResult::len).sum::<usize>(),
            "partition read"
        );
        for result in results {
            f(&result)?;
        }
    }
    Ok(())
}

/// The part of `a` inside `b`, if any.
fn intersect(a: TimeRange, b: TimeRange) -> Option<TimeRange> {
    TimeRange::new(a.start().max(b.start()), a.end().min(b.end()))
        .ok()
        .filter(|r| !r.is_empty())
}
