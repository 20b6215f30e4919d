//! Streaming point output: CSV, NDJSON and line protocol, written one
//! series' points at a time, so nothing needs the whole result.
//!
//! - CSV: `series,timestamp_ns,value` rows after a header.
//! - NDJSON: one object per point,
//!   `{"labels":{"host":"a"},"metric":"cpu","series":"cpu{host=\"a\"}","timestamp":1,"value":0.5}`,
//!   values as in JSON output (a number, or `"NaN"`, `"NaN(0x...)"`,
//!   `"+Inf"`, `"-Inf"`).
//! - Line protocol: `measurement,tag=value value=<v> <ts>`.
//!
//! Values keep every bit pattern (see [`crate::value_text`]).

use std::io::{self, Write};

use serde_json::Value;
use skulk_format::SeriesMeta;

use crate::error::{CliError, Result};
use crate::ingest::escape;
use crate::output::{csv_io, format_value, json_series, json_value};

/// A streaming text format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFormat {
    /// `series,timestamp_ns,value` rows.
    Csv,
    /// One JSON object per point and line.
    Ndjson,
    /// Influx line protocol, one `value` field per line.
    LineProtocol,
}

/// Writes points in a [`StreamFormat`].
pub enum PointWriter<'a> {
    /// CSV through the `csv` crate.
    Csv(Box<csv::Writer<&'a mut dyn Write>>),
    /// NDJSON.
    Ndjson(&'a mut dyn Write),
    /// Line protocol.
    LineProtocol(&'a mut dyn Write),
}

impl std::fmt::Debug for PointWriter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PointWriter")
    }
}

impl<'a> PointWriter<'a> {
    /// A writer to `out`; CSV starts with its header.
    pub fn new(format: StreamFormat, out: &'a mut dyn Write) -> io::Result<Self> {
        Ok(match format {
            StreamFormat::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(["series", "timestamp_ns", "value"])
                    .map_err(csv_io)?;
                Self::Csv(Box::new(w))
            }
            StreamFormat::Ndjson => Self::Ndjson(out),
            StreamFormat::LineProtocol => Self::LineProtocol(out),
        })
    }

    /// Writes the points of one series.
    pub fn series(
        &mut self,
        series: &SeriesMeta,
        timestamps: &[i64],
        values: &[f64],
    ) -> Result<()> {
        let points = timestamps.iter().zip(values);
        match self {
            Self::Csv(w) => {
                let key = series.to_string();
                for (ts, v) in points {
                    w.write_record([key.as_str(), &ts.to_string(), &format_value(*v)])
                        .map_err(|e| CliError::output(csv_io(e)))?;
                }
            }
            Self::Ndjson(out) => {
                let head = ndjson_head(series);
                for (ts, v) in points {
                    let value = serde_json::to_string(&json_value(*v)).map_err(io::Error::other);
                    let value = value.map_err(CliError::output)?;
                    writeln!(out, "{head},\"timestamp\":{ts},\"value\":{value}}}")
                        .map_err(CliError::output)?;
                }
            }
            Self::LineProtocol(out) => {
                let prefix = line_prefix(series)?;
                for (ts, v) in points {
                    writeln!(out, "{prefix} value={} {ts}", format_value(*v))
                        .map_err(CliError::output)?;
                }
            }
        }
        Ok(())
    }

    /// Flushes what is buffered.
    pub fn finish(self) -> io::Result<()> {
        match self {
            Self::Csv(mut w) => w.flush(),
            Self::Ndjson(out) | Self::LineProtocol(out) => out.flush(),
        }
    }
}

/// The object of a series' NDJSON lines without its closing brace.
fn ndjson_head(series: &SeriesMeta) -> String {
    let text = Value::Object(json_series(series)).to_string();
    text.strip_suffix('}').unwrap_or(&text).to_string()
}

/// `measurement,tag=value,...` with line-protocol escaping. Labels with an
/// empty value are left out (line protocol has no empty tag values).
pub fn line_prefix(series: &SeriesMeta) -> Result<String> {
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
    if series.metric().is_empty() {
        return Err(CliError::Usage(format!(
            "series {series} has no metric name, which line protocol needs (group with \
             `--by __name__,...`, or use another format)"
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

    fn render(format: StreamFormat) -> String {
        let meta = SeriesMeta::new("cpu", vec![("host".into(), "a\"b".into())]);
        let mut out = Vec::new();
        let mut w = PointWriter::new(format, &mut out).unwrap();
        let nan = f64::from_bits(0x7ff4_0000_0000_0001);
        w.series(&meta, &[1, 2, 3], &[0.5, f64::INFINITY, nan])
            .unwrap();
        w.finish().unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn ndjson_lines_are_objects_with_lossless_values() {
        let text = render(StreamFormat::Ndjson);
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["series"], r#"cpu{host="a\"b"}"#);
        assert_eq!(lines[0]["labels"]["host"], "a\"b");
        assert_eq!(lines[0]["timestamp"], 1);
        assert_eq!(lines[0]["value"], 0.5);
        assert_eq!(lines[1]["value"], "+Inf");
        assert_eq!(lines[2]["value"], "NaN(0x7ff4000000000001)");
    }

    #[test]
    fn line_protocol_and_csv() {
        assert_eq!(
            render(StreamFormat::LineProtocol),
            "cpu,host=a\\\"b value=0.5 1\ncpu,host=a\\\"b value=inf 2\n\
             cpu,host=a\\\"b value=NaN(0x7ff4000000000001) 3\n"
        );
        assert!(
            render(StreamFormat::Csv)
                .starts_with("series,timestamp_ns,value\n\"cpu{host=\"\"a\\\"\"b\"\"}\",1,0.5\n")
        );
    }

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
        let unnamed = SeriesMeta::new("", vec![("k".into(), "v".into())]);
        assert!(line_prefix(&unnamed).is_err());
    }
}
