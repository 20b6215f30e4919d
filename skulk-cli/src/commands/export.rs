//! `skulk export`: the selected points as CSV or line protocol, one time
//! partition at a time, so memory stays bounded by one partition's selected
//! points.

use std::fs::File;
use std::io::{BufWriter, Write};

use skulk_engine::{Engine, Query, SeriesResult, SeriesSelector};
use skulk_format::{SeriesMeta, TimeRange};

use super::{Context, select};
use crate::cli::{ExportArgs, ExportFormat};
use crate::error::{CliError, Result};
use crate::ingest::escape;
use crate::output::{csv_io, format_value};

/// Runs `export`.
pub fn run(ctx: &Context, args: &ExportArgs, out: &mut dyn Write) -> Result<()> {
    let selector = select::selector(&args.select)?;
    let range = select::range(&args.select)?;
    let engine = ctx.open_engine()?;
    match &args.output {
        Some(path) => {
            let file = File::create(path).map_err(CliError::io(path))?;
            let mut file = BufWriter::new(file);
            export(&engine, &selector, range, args.format, &mut file)?;
            let file = file
                .into_inner()
                .map_err(|e| CliError::io(path)(e.into_error()))?;
            file.sync_all().map_err(CliError::io(path))
        }
        None => export(&engine, &selector, range, args.format, out),
    }
}

fn export(
    engine: &Engine,
    selector: &SeriesSelector,
    range: TimeRange,
    format: ExportFormat,
    out: &mut dyn Write,
) -> Result<()> {
    match format {
        ExportFormat::Csv => export_csv(engine, selector, range, out),
        ExportFormat::LineProtocol => export_line_protocol(engine, selector, range, out),
    }?;
    out.flush().map_err(CliError::output)
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
        for result in engine.query(&Query::raw(selector.clone(), piece))? {
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

fn export_csv(
    engine: &Engine,
    selector: &SeriesSelector,
    range: TimeRange,
    out: &mut dyn Write,
) -> Result<()> {
    let fail = |e| CliError::output(csv_io(e));
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["series", "timestamp_ns", "value"])
        .map_err(fail)?;
    for_each_series(engine, selector, range, |result| {
        let key = result.series.to_string();
        for (ts, v) in result.timestamps.iter().zip(&result.values) {
            w.write_record([key.as_str(), &ts.to_string(), &format_value(*v)])
                .map_err(fail)?;
        }
        Ok(())
    })?;
    w.flush().map_err(CliError::output)
}

fn export_line_protocol(
    engine: &Engine,
    selector: &SeriesSelector,
    range: TimeRange,
    out: &mut dyn Write,
) -> Result<()> {
    for_each_series(engine, selector, range, |result| {
        let prefix = line_prefix(&result.series)?;
        for (ts, v) in result.timestamps.iter().zip(&result.values) {
            writeln!(out, "{prefix} value={} {ts}", format_value(*v)).map_err(CliError::output)?;
        }
        Ok(())
    })
}

/// `measurement,tag=value,...` with line-protocol escaping. Labels with an
/// empty value are left out (line protocol has no empty tag values).
fn line_prefix(series: &SeriesMeta) -> Result<String> {
    let has_newline = |s: &str| s.contains(['\n', '\r']);
    if has_newline(series.metric())
        || series
            .labels()
            .iter()
            .any(|(k, v)| has_newline(k) || has_newline(v))
    {
        return Err(CliError::Usage(format!(
            "series {series} contains a line break, which line protocol cannot hold; export as CSV"
        )));
    }
    let mut prefix = escape(series.metric()).into_owned();
    for (key, value) in series.labels().iter().filter(|(_, v)| !v.is_empty()) {
        prefix.push(',');
        prefix.push_str(&escape(key));
        prefix.push('=');
        prefix.push_str(&escape(value));
    }
    Ok(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_escape_and_parse_back() {
        let meta = SeriesMeta::new("cpu load", vec![("host".into(), "a,b=c".into())]);
        let prefix = line_prefix(&meta).unwrap();
        assert_eq!(prefix, r"cpu\ load,host=a\,b\=c");
        let mut out = Vec::new();
        crate::ingest::LineProtocolParser::new(crate::ingest::Precision::Nanoseconds)
            .parse_line(&format!("{prefix} value=1.5 7"), &mut out)
            .unwrap();
        assert_eq!(*out[0].series, meta);
        let bad = SeriesMeta::new("m", vec![("k".into(), "a\nb".into())]);
        assert!(line_prefix(&bad).is_err());
    }
}
