//! Writing results: aligned tables, CSV and JSON.
//!
//! Values are written by [`format_value`]: the shortest decimal form that
//! parses back to the same `f64`, `inf`/`-inf`, and `NaN` or, for any other
//! NaN bit pattern, `NaN(0x...)` (see [`crate::value_text`]). In JSON, which
//! has no such numbers, the non-finite ones are the strings `"NaN"` (or
//! `"NaN(0x...)"`), `"+Inf"` and `"-Inf"`.

use std::io::{self, Write};

use serde_json::{Map, Value, json};
use skulk_format::SeriesMeta;

/// Output format of `query`, `inspect` and `stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// An aligned, human-readable table.
    #[default]
    Table,
    /// Comma-separated values with a header line.
    Csv,
    /// JSON.
    Json,
}

/// The points of one series, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct SeriesData<'a> {
    /// The series.
    pub series: &'a SeriesMeta,
    /// Its timestamps, nanoseconds since the epoch.
    pub timestamps: &'a [i64],
    /// Its values, one per timestamp.
    pub values: &'a [f64],
}

pub use crate::value_text::format_value;

/// A value as JSON: a number when finite, else `"NaN"` (or `"NaN(0x...)"`
/// for a NaN with other bits), `"+Inf"`, `"-Inf"`.
pub fn json_value(v: f64) -> Value {
    match serde_json::Number::from_f64(v) {
        Some(n) => Value::Number(n),
        None if v.is_nan() => Value::from(format_value(v)),
        None if v > 0.0 => Value::from("+Inf"),
        None => Value::from("-Inf"),
    }
}

/// A series as JSON: key, metric and labels.
pub fn json_series(series: &SeriesMeta) -> Map<String, Value> {
    let labels: Map<String, Value> = series
        .labels()
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    let mut map = Map::new();
    map.insert("series".into(), Value::from(series.to_string()));
    map.insert("metric".into(), Value::from(series.metric()));
    map.insert("labels".into(), Value::Object(labels));
    map
}

/// Writes the points of `data` in `format`.
///
/// `rfc3339` shows table timestamps as RFC 3339 UTC instead of nanoseconds;
/// CSV and JSON always carry nanoseconds.
pub fn write_points(
    out: &mut dyn Write,
    format: OutputFormat,
    data: &[SeriesData<'_>],
    rfc3339: bool,
) -> io::Result<()> {
    match format {
        OutputFormat::Table => {
            let mut table = Table::new(&["series", "timestamp", "value"], &[false, true, true]);
            for d in data {
                let key = d.series.to_string();
                for (ts, v) in d.timestamps.iter().zip(d.values) {
                    let ts = if rfc3339 {
                        crate::timefmt::format_time(*ts)
                    } else {
                        ts.to_string()
                    };
                    table.row(vec![key.clone(), ts, format_value(*v)]);
                }
            }
            table.write(out)
        }
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(["series", "timestamp_ns", "value"])
                .map_err(csv_io)?;
            for d in data {
                let key = d.series.to_string();
                for (ts, v) in d.timestamps.iter().zip(d.values) {
                    w.write_record([key.as_str(), &ts.to_string(), &format_value(*v)])
                        .map_err(csv_io)?;
                }
            }
            w.flush()
        }
        OutputFormat::Json => {
            let list: Vec<Value> = data
                .iter()
                .map(|d| {
                    let mut map = json_series(d.series);
                    map.insert("timestamps".into(), json!(d.timestamps));
                    let values: Vec<Value> = d.values.iter().map(|v| json_value(*v)).collect();
                    map.insert("values".into(), Value::Array(values));
                    Value::Object(map)
                })
                .collect();
            write_json(out, &Value::Array(list))
        }
    }
}

/// Writes `value` as pretty JSON and a newline.
pub fn write_json(out: &mut dyn Write, value: &Value) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(io::Error::other)?;
    writeln!(out)
}

/// Turns a CSV writer error into the I/O error it wraps.
pub fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// A table whose columns are padded to their widest cell.
#[derive(Debug)]
pub struct Table {
    headers: Vec<String>,
    right: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers; `right[i]` right-aligns column `i`.
    pub fn new(headers: &[&str], right: &[bool]) -> Self {
        Self {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            right: right.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (missing cells are empty, extra cells are dropped).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Number of rows added.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when no row was added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Writes the header, a rule and the rows.
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        self.write_row(out, &self.headers, &widths)?;
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        self.write_row(out, &rule, &widths)?;
        for row in &self.rows {
            self.write_row(out, row, &widths)?;
        }
        Ok(())
    }

    fn write_row(&self, out: &mut dyn Write, cells: &[String], widths: &[usize]) -> io::Result<()> {
        let mut line = String::new();
        for (i, width) in widths.iter().enumerate() {
            let cell = cells.get(i).map(String::as_str).unwrap_or("");
            let pad = width.saturating_sub(cell.chars().count());
            if i > 0 {
                line.push_str("  ");
            }
            let last = i + 1 == widths.len();
            if self.right.get(i).copied().unwrap_or(false) {
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                if !last {
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
        }
        writeln!(out, "{line}")
    }
}

/// Bytes in a human unit: `512 B`, `1.5 KiB`, `3.2 MiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let name = UNITS.get(unit).copied().unwrap_or("B");
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {name}")
    }
}

/// A count with thousands separators: `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(format: OutputFormat) -> String {
        let meta = SeriesMeta::new("cpu", vec![("host".into(), "a".into())]);
        let data = [SeriesData {
            series: &meta,
            timestamps: &[1, 20],
            values: &[0.5, f64::NAN],
        }];
        let mut out = Vec::new();
        write_points(&mut out, format, &data, false).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn table_is_aligned() {
        let text = render(OutputFormat::Table);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "series         timestamp  value");
        assert_eq!(lines[2], "cpu{host=\"a\"}          1    0.5");
        assert_eq!(lines[3], "cpu{host=\"a\"}         20    NaN");
    }

    #[test]
    fn table_times_can_be_rfc3339() {
        let meta = SeriesMeta::new("m", vec![]);
        let data = [SeriesData {
            series: &meta,
            timestamps: &[1_500_000_000],
            values: &[1.0],
        }];
        let mut out = Vec::new();
        write_points(&mut out, OutputFormat::Table, &data, true).unwrap();
        assert!(
            String::from_utf8(out)
                .unwrap()
                .contains("1970-01-01T00:00:01.5Z")
        );
    }

    #[test]
    fn csv_quotes_keys() {
        let text = render(OutputFormat::Csv);
        assert_eq!(
            text,
            "series,timestamp_ns,value\n\"cpu{host=\"\"a\"\"}\",1,0.5\n\"cpu{host=\"\"a\"\"}\",20,NaN\n"
        );
    }

    #[test]
    fn json_has_labels_and_non_finite_values() {
        let value: Value = serde_json::from_str(&render(OutputFormat::Json)).unwrap();
        assert_eq!(value[0]["labels"]["host"], "a");
        assert_eq!(value[0]["timestamps"], json!([1, 20]));
        assert_eq!(value[0]["values"], json!([0.5, "NaN"]));
    }

    #[test]
    fn human_units() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(12), "12");
    }
}
