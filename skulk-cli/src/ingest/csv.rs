//! CSV rows: `timestamp_ns,value` of one series, or `series,timestamp_ns,value`
//! as written by `skulk export --format csv`.
//!
//! The first line is taken as a header when its timestamp column is not an
//! integer. Fields may be quoted (`"..."`, `""` for a quote inside);
//! spaces around fields are ignored.

use std::borrow::Cow;
use std::sync::Arc;

use skulk_format::{DataPoint, SeriesMeta};

use super::{LineErrorKind, Precision};

/// Parses CSV lines into points.
#[derive(Debug)]
pub struct CsvParser {
    default_series: Option<Arc<SeriesMeta>>,
    last_keyed: Option<(String, Arc<SeriesMeta>)>,
    precision: Precision,
}

impl CsvParser {
    /// A parser that stores two-column rows as points of `series` (when
    /// `None`, such rows are refused) and three-column rows as points of the
    /// series whose key is in the first column.
    pub fn new(series: Option<SeriesMeta>, precision: Precision) -> Self {
        Self {
            default_series: series.map(Arc::new),
            last_keyed: None,
            precision,
        }
    }

    /// Appends the point of `line` (number `line_no`, 1-based) to `out`.
    /// Blank lines and a header on line 1 add nothing.
    pub fn parse_line(
        &mut self,
        line: &str,
        line_no: u64,
        out: &mut Vec<DataPoint>,
    ) -> Result<(), LineErrorKind> {
        if line.trim().is_empty() {
            return Ok(());
        }
        let fields = split_fields(line)?;
        let (key, ts, value) = match fields.as_slice() {
            [ts, value] => (None, ts, value),
            [key, ts, value] => (Some(key), ts, value),
            other => return Err(LineErrorKind::ColumnCount { found: other.len() }),
        };
        let Ok(raw_ts) = ts.parse::<i64>() else {
            if line_no == 1 {
                return Ok(());
            }
            return Err(LineErrorKind::BadTimestamp(ts.to_string()));
        };
        let timestamp = self
            .precision
            .to_nanos(raw_ts)
            .ok_or_else(|| LineErrorKind::TimestampOutOfRange(ts.to_string()))?;
        let value = crate::value_text::parse_value(value)
            .ok_or_else(|| LineErrorKind::BadValue(value.to_string()))?;
        let series = match key {
            None => self
                .default_series
                .clone()
                .ok_or(LineErrorKind::MissingMetric)?,
            Some(key) => self.keyed_series(key)?,
        };
        out.push(DataPoint::for_series(series, timestamp, value));
        Ok(())
    }

    fn keyed_series(&mut self, key: &str) -> Result<Arc<SeriesMeta>, LineErrorKind> {
        if let Some((last, series)) = &self.last_keyed
            && last == key
        {
            return Ok(Arc::clone(series));
        }
        let series = skulk_engine::parse_series_key(key)
            .map(Arc::new)
            .map_err(|_| LineErrorKind::BadSeriesKey(key.to_string()))?;
        self.last_keyed = Some((key.to_string(), Arc::clone(&series)));
        Ok(series)
    }
}

/// Splits one CSV line into trimmed, unquoted fields.
fn split_fields(line: &str) -> Result<Vec<Cow<'_, str>>, LineErrorKind> {
    let mut fields = Vec::new();
    let mut rest = line;
    loop {
        let trimmed = rest.trim_start();
        let (field, tail) = match trimmed.strip_prefix('"') {
            Some(quoted) => {
                let (value, tail) = unquote(quoted)?;
                let tail = tail.trim_start();
                if !(tail.is_empty() || tail.starts_with(',')) {
                    return Err(LineErrorKind::BadQuoting);
                }
                (value, tail)
            }
            None => {
                let end = trimmed.find(',').unwrap_or(trimmed.len());
                let (field, tail) = trimmed.split_at(end);
                (Cow::Borrowed(field.trim_end()), tail)
            }
        };
        fields.push(field);
        match tail.strip_prefix(',') {
            Some(next) => rest = next,
            None => return Ok(fields),
        }
    }
}

/// Reads a quoted field whose opening quote was consumed.
fn unquote(text: &str) -> Result<(Cow<'_, str>, &str), LineErrorKind> {
    let mut out = String::new();
    let mut from = 0;
    loop {
        let close = text
            .get(from..)
            .and_then(|t| t.find('"'))
            .map(|i| i + from)
            .ok_or(LineErrorKind::BadQuoting)?;
        out.push_str(text.get(from..close).unwrap_or_default());
        if text.get(close + 1..close + 2) == Some("\"") {
            out.push('"');
            from = close + 2;
        } else {
            return Ok((Cow::Owned(out), text.get(close + 1..).unwrap_or_default()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parser() -> CsvParser {
        CsvParser::new(
            Some(SeriesMeta::new("temp", vec![])),
            Precision::Nanoseconds,
        )
    }

    #[test]
    fn parses_rows_and_skips_the_header() {
        let mut out = Vec::new();
        let mut p = parser();
        p.parse_line("timestamp_ns,value", 1, &mut out).unwrap();
        p.parse_line("10, 1.25", 2, &mut out).unwrap();
        p.parse_line("\"11\",\"NaN\"", 3, &mut out).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!((out[0].timestamp, out[0].value), (10, 1.25));
        assert!(out[1].value.is_nan());
    }

    #[test]
    fn three_columns_carry_the_series_key() {
        let mut out = Vec::new();
        let mut p = CsvParser::new(None, Precision::Nanoseconds);
        p.parse_line("series,timestamp_ns,value", 1, &mut out)
            .unwrap();
        p.parse_line(r#""cpu{host=""a,b""}",5,2.5"#, 2, &mut out)
            .unwrap();
        p.parse_line(r#""cpu{host=""a,b""}",6,3.5"#, 3, &mut out)
            .unwrap();
        assert_eq!(out[0].series.label("host"), Some("a,b"));
        assert!(Arc::ptr_eq(&out[0].series, &out[1].series));
        assert_eq!(
            p.parse_line("7,1", 4, &mut out),
            Err(LineErrorKind::MissingMetric)
        );
        let bad = p.parse_line("cpu{host,1,2", 5, &mut out);
        assert!(matches!(bad, Err(LineErrorKind::BadSeriesKey(_))));
        assert!(matches!(
            p.parse_line("{a=\"b\"},1,2", 5, &mut out),
            Err(LineErrorKind::BadSeriesKey(_))
        ));
    }

    #[test]
    fn refuses_bad_rows() {
        let mut out = Vec::new();
        let mut p = parser();
        assert_eq!(
            p.parse_line("1,2,3,4", 2, &mut out),
            Err(LineErrorKind::ColumnCount { found: 4 })
        );
        assert_eq!(
            p.parse_line("1", 2, &mut out),
            Err(LineErrorKind::ColumnCount { found: 1 })
        );
        assert!(matches!(
            p.parse_line("x,1", 2, &mut out),
            Err(LineErrorKind::BadTimestamp(_))
        ));
        assert!(matches!(
            p.parse_line("1,x", 2, &mut out),
            Err(LineErrorKind::BadValue(_))
        ));
        assert_eq!(
            p.parse_line("\"1,2", 2, &mut out),
            Err(LineErrorKind::BadQuoting)
        );
        assert_eq!(
            p.parse_line("\"1\"x,2", 2, &mut out),
            Err(LineErrorKind::BadQuoting)
        );
        assert!(out.is_empty());
    }

    #[test]
    fn shortest_decimal_values_round_trip_exactly() {
        let values = [
            0.1,
            -3.485,
            4.186662803811,
            f64::MAX,
            f64::MIN_POSITIVE,
            -0.0,
        ];
        let mut out = Vec::new();
        let mut p = parser();
        for (i, v) in values.iter().enumerate() {
            p.parse_line(&format!("{i},{v:?}"), 2, &mut out).unwrap();
        }
        let got: Vec<u64> = out.iter().map(|p| p.value.to_bits()).collect();
        let expected: Vec<u64> = values.iter().map(|v| v.to_bits()).collect();
        assert_eq!(got, expected);
    }
}
