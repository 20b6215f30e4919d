//! The InfluxDB line protocol, numeric subset.
//!
//! `measurement[,tag=value...] field=value[,field=value...] [timestamp]`
//!
//! Each numeric field becomes one series: field `value` is stored under the
//! measurement's name, any other field `f` under `measurement_f`; tags
//! become labels. Floats, integers (`12i`, `12u`, exact up to 2^53) and
//! booleans (stored as 1 and 0) are accepted; string fields are refused.
//! A line without a timestamp gets the current time. `\` escapes a comma,
//! equals sign, space, backslash or double quote.

use std::borrow::Cow;
use std::collections::HashMap;

use skulk_format::{DataPoint, SeriesMeta};

use super::{KnownSeries, LineErrorKind, Precision};

/// Series kept in the lookup cache before it is cleared (bounds memory).
const CACHE_LIMIT: usize = 100_000;

/// Parses lines into points, reusing series metadata across lines.
#[derive(Debug)]
pub struct LineProtocolParser {
    precision: Precision,
    cache: HashMap<Box<[u8]>, KnownSeries>,
    key: Vec<u8>,
}

impl LineProtocolParser {
    /// A parser whose timestamps are in `precision` units.
    pub fn new(precision: Precision) -> Self {
        Self {
            precision,
            cache: HashMap::new(),
            key: Vec::new(),
        }
    }

    /// Appends the points of `line` to `out`. Blank lines and `#` comments
    /// add nothing. On error nothing is appended.
    pub fn parse_line(
        &mut self,
        line: &str,
        out: &mut Vec<DataPoint>,
    ) -> Result<(), LineErrorKind> {
        let line = line.trim_matches(|c| c == ' ' || c == '\t');
        if line.is_empty() || line.starts_with('#') {
            return Ok(());
        }
        let (series_part, rest) = split_once_unescaped(line, b' ', false)?;
        let rest = rest
            .ok_or(LineErrorKind::MissingFields)?
            .trim_start_matches(' ');
        let (fields_part, ts_part) = split_once_unescaped(rest, b' ', true)?;
        if fields_part.is_empty() {
            return Err(LineErrorKind::MissingFields);
        }
        let timestamp = self.timestamp(ts_part.map(|t| t.trim_matches(' ')))?;
        let (measurement, labels) = parse_series(series_part)?;
        let start = out.len();
        let fields = split_unescaped(fields_part, b',', true)?;
        check_unique_fields(&fields)?;
        for field in fields {
            match self.field_point(series_part, &measurement, &labels, field, timestamp) {
                Ok(point) => out.push(point),
                Err(e) => {
                    out.truncate(start);
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    fn timestamp(&self, text: Option<&str>) -> Result<i64, LineErrorKind> {
        let Some(text) = text.filter(|t| !t.is_empty()) else {
            return Ok(now_ns());
        };
        if let Some((_, trailing)) = text.split_once(' ') {
            return Err(LineErrorKind::TrailingText(trailing.trim().to_string()));
        }
        let raw: i64 = text
            .parse()
            .map_err(|_| LineErrorKind::BadTimestamp(text.to_string()))?;
        self.precision
            .to_nanos(raw)
            .ok_or_else(|| LineErrorKind::TimestampOutOfRange(text.to_string()))
    }

    fn field_point(
        &mut self,
        series_part: &str,
        measurement: &str,
        labels: &[(String, String)],
        field: &str,
        timestamp: i64,
    ) -> Result<DataPoint, LineErrorKind> {
        let (key, value) = match split_once_unescaped(field, b'=', false)? {
            (key, Some(value)) if !key.is_empty() => (key, value),
            _ => {
                return Err(LineErrorKind::BadField {
                    field: field.to_string(),
                });
            }
        };
        let value = parse_field_value(&unescape(key), value)?;
        self.key.clear();
        self.key.extend_from_slice(series_part.as_bytes());
        self.key.push(b' ');
        self.key.extend_from_slice(key.as_bytes());
        let series = match self.cache.get(self.key.as_slice()) {
            Some(series) => series.clone(),
            None => {
                let metric = match unescape(key).as_ref() {
                    "value" => measurement.to_string(),
                    other => format!("{measurement}_{other}"),
                };
                let series = KnownSeries::new(SeriesMeta::new(metric, labels.to_vec()));
                if self.cache.len() >= CACHE_LIMIT {
                    self.cache.clear();
                }
                self.cache
                    .insert(self.key.clone().into_boxed_slice(), series.clone());
                series
            }
        };
        Ok(series.point(timestamp, value))
    }
}

/// The current time in nanoseconds since the epoch (0 if the clock is
/// before 1970, saturating after 2262).
fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

type Labels = Vec<(String, String)>;

fn parse_series(part: &str) -> Result<(String, Labels), LineErrorKind> {
    let mut pieces = split_unescaped(part, b',', false)?.into_iter();
    let measurement = unescape(pieces.next().unwrap_or_default()).into_owned();
    if measurement.is_empty() {
        return Err(LineErrorKind::EmptyMeasurement);
    }
    let mut labels = Vec::new();
    for tag in pieces {
        match split_once_unescaped(tag, b'=', false)? {
            (key, Some(value)) if !key.is_empty() && !value.is_empty() => {
                let key = unescape(key).into_owned();
                if labels.iter().any(|(k, _)| *k == key) {
                    return Err(LineErrorKind::DuplicateTag { key });
                }
                labels.push((key, unescape(value).into_owned()));
            }
            _ => {
                return Err(LineErrorKind::BadTag {
                    tag: tag.to_string(),
                });
            }
        }
    }
    Ok((measurement, labels))
}

/// Refuses a field set that names one field twice (the second would
/// silently replace the first).
fn check_unique_fields(fields: &[&str]) -> Result<(), LineErrorKind> {
    let keys: Vec<Cow<'_, str>> = fields
        .iter()
        .map(|f| match split_once_unescaped(f, b'=', false) {
            Ok((key, _)) => unescape(key),
            Err(_) => Cow::Borrowed(""),
        })
        .collect();
    for (i, key) in keys.iter().enumerate() {
        if !key.is_empty() && keys.get(..i).unwrap_or_default().contains(key) {
            return Err(LineErrorKind::DuplicateField {
                field: key.to_string(),
            });
        }
    }
    Ok(())
}

fn parse_field_value(field: &str, text: &str) -> Result<f64, LineErrorKind> {
    let bad = || LineErrorKind::BadFieldValue {
        field: field.to_string(),
        value: text.to_string(),
    };
    let inexact = || LineErrorKind::InexactInteger {
        field: field.to_string(),
        value: text.to_string(),
    };
    if text.starts_with('"') {
        return Err(LineErrorKind::StringField {
            field: field.to_string(),
        });
    }
    match text {
        "t" | "T" | "true" | "True" | "TRUE" => return Ok(1.0),
        "f" | "F" | "false" | "False" | "FALSE" => return Ok(0.0),
        _ => {}
    }
    if let Some(int) = text.strip_suffix('i') {
        let n: i64 = int.parse().map_err(|_| bad())?;
        return exact_f64(i128::from(n)).ok_or_else(inexact);
    }
    if let Some(uint) = text.strip_suffix('u') {
        let n: u64 = uint.parse().map_err(|_| bad())?;
        return exact_f64(i128::from(n)).ok_or_else(inexact);
    }
    crate::value_text::parse_value(text).ok_or_else(|| {
        if crate::value_text::is_out_of_range(text) {
            LineErrorKind::ValueOutOfRange(text.to_string())
        } else {
            bad()
        }
    })
}

/// `n` as an `f64` when the conversion is exact.
fn exact_f64(n: i128) -> Option<f64> {
    const LIMIT: i128 = 1 << 53;
    (-LIMIT..=LIMIT).contains(&n).then_some(n as f64)
}

/// Byte offset of the first `sep` not escaped by `\` (and, with `quotes`,
/// not inside a double-quoted string).
fn find_unescaped(s: &str, sep: u8, quotes: bool) -> Result<Option<usize>, LineErrorKind> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        if escaped {
            escaped = false;
        } else if b == b'\\' {
            escaped = true;
        } else if quotes && b == b'"' {
            in_string = !in_string;
        } else if !in_string && b == sep {
            return Ok(Some(i));
        }
    }
    if in_string {
        return Err(LineErrorKind::UnterminatedString);
    }
    Ok(None)
}

/// Splits at the first unescaped `sep`: `(before, Some(after))`, or
/// `(s, None)` when there is none.
fn split_once_unescaped(
    s: &str,
    sep: u8,
    quotes: bool,
) -> Result<(&str, Option<&str>), LineErrorKind> {
    // `sep` is ASCII, so `i` and `i + 1` are char boundaries.
    Ok(match find_unescaped(s, sep, quotes)? {
        Some(i) => (s.get(..i).unwrap_or_default(), s.get(i + 1..)),
        None => (s, None),
    })
}

fn split_unescaped(s: &str, sep: u8, quotes: bool) -> Result<Vec<&str>, LineErrorKind> {
    let mut parts = Vec::new();
    let mut rest = s;
    loop {
        let (head, tail) = split_once_unescaped(rest, sep, quotes)?;
        parts.push(head);
        match tail {
            Some(tail) => rest = tail,
            None => return Ok(parts),
        }
    }
}

/// Removes the backslash of `\,` `\=` `\ ` `\\` and `\"`; any other
/// backslash is kept.
pub(crate) fn unescape(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some(&next)) if matches!(next, ',' | '=' | ' ' | '\\' | '"') => {
                out.push(next);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Escapes `,` `=` ` ` and `\` so that [`unescape`] gives `s` back.
pub(crate) fn escape(s: &str) -> Cow<'_, str> {
    if !s.contains([',', '=', ' ', '\\', '"']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        if matches!(c, ',' | '=' | ' ' | '\\' | '"') {
            out.push('\\');
        }
        out.push(c);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Vec<DataPoint>, LineErrorKind> {
        let mut out = Vec::new();
        LineProtocolParser::new(Precision::Nanoseconds).parse_line(line, &mut out)?;
        Ok(out)
    }

    fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parses_tags_fields_and_timestamp() {
        let points = parse("cpu,host=a,dc=x value=1.5,idle=2i 1000").unwrap();
        assert_eq!(points.len(), 2);
        assert_eq!(
            *points[0].series,
            SeriesMeta::new("cpu", labels(&[("host", "a"), ("dc", "x")]))
        );
        assert_eq!((points[0].timestamp, points[0].value), (1000, 1.5));
        assert_eq!(points[1].series.metric(), "cpu_idle");
        assert_eq!(points[1].value, 2.0);
    }

    #[test]
    fn handles_escapes_booleans_and_comments() {
        let points = parse(r"my\ metric,k\,1=v\=2 value=t -5").unwrap();
        assert_eq!(points[0].series.metric(), "my metric");
        assert_eq!(points[0].series.label("k,1"), Some("v=2"));
        assert_eq!((points[0].timestamp, points[0].value), (-5, 1.0));
        assert!(parse("# comment").unwrap().is_empty());
        assert!(parse("   ").unwrap().is_empty());
    }

    #[test]
    fn missing_timestamp_uses_the_clock() {
        let points = parse("m value=1").unwrap();
        assert!(points[0].timestamp > 1_600_000_000_000_000_000);
    }

    #[test]
    fn precision_scales_and_overflow_is_an_error() {
        let mut out = Vec::new();
        let mut parser = LineProtocolParser::new(Precision::Seconds);
        parser.parse_line("m value=1 2", &mut out).unwrap();
        assert_eq!(out[0].timestamp, 2_000_000_000);
        let err = parser
            .parse_line("m value=1 9223372036854775807", &mut out)
            .unwrap_err();
        assert!(matches!(err, LineErrorKind::TimestampOutOfRange(_)));
    }

    #[test]
    fn refuses_bad_lines_with_a_reason() {
        assert_eq!(parse("cpu").unwrap_err(), LineErrorKind::MissingFields);
        assert_eq!(
            parse(",a=b value=1").unwrap_err(),
            LineErrorKind::EmptyMeasurement
        );
        assert!(matches!(
            parse("cpu,host value=1").unwrap_err(),
            LineErrorKind::BadTag { .. }
        ));
        assert!(matches!(
            parse("cpu value=abc").unwrap_err(),
            LineErrorKind::BadFieldValue { .. }
        ));
        assert!(matches!(
            parse("cpu msg=\"hi\"").unwrap_err(),
            LineErrorKind::StringField { .. }
        ));
        assert_eq!(
            parse("cpu msg=\"hi").unwrap_err(),
            LineErrorKind::UnterminatedString
        );
        assert!(matches!(
            parse("cpu value=1 12x").unwrap_err(),
            LineErrorKind::BadTimestamp(_)
        ));
        assert!(matches!(
            parse("cpu value=1 1 2").unwrap_err(),
            LineErrorKind::TrailingText(_)
        ));
        assert!(matches!(
            parse("cpu value").unwrap_err(),
            LineErrorKind::BadField { .. }
        ));
        let big = parse("cpu value=9007199254740993i 1").unwrap_err();
        assert!(matches!(big, LineErrorKind::InexactInteger { .. }));
        assert_eq!(
            parse("cpu value=9007199254740992i 1").unwrap()[0].value,
            2f64.powi(53)
        );
    }

    #[test]
    fn duplicate_tags_and_fields_and_huge_decimals_are_refused() {
        assert_eq!(
            parse("cpu,host=a,host=b value=1 1").unwrap_err(),
            LineErrorKind::DuplicateTag { key: "host".into() }
        );
        assert_eq!(
            parse("cpu value=1,value=2 1").unwrap_err(),
            LineErrorKind::DuplicateField {
                field: "value".into()
            }
        );
        assert_eq!(
            parse(r"cpu a\ b=1,a\ b=2 1").unwrap_err(),
            LineErrorKind::DuplicateField {
                field: "a b".into()
            }
        );
        assert_eq!(
            parse("cpu value=1e400 1").unwrap_err(),
            LineErrorKind::ValueOutOfRange("1e400".into())
        );
        assert_eq!(parse("cpu value=+Inf 1").unwrap()[0].value, f64::INFINITY);
        assert_eq!(parse("cpu,a=1,b=1 x=1,y=2 1").unwrap().len(), 2);
    }

    #[test]
    fn a_bad_field_drops_the_whole_line() {
        let mut out = Vec::new();
        let mut parser = LineProtocolParser::new(Precision::Nanoseconds);
        assert!(parser.parse_line("cpu a=1,b=x 1", &mut out).is_err());
        assert!(out.is_empty());
    }

    #[test]
    fn escape_and_unescape_are_inverse() {
        for s in [
            "plain",
            "a,b",
            "k=v",
            "with space",
            r"back\slash",
            "q\"uote",
            r"end\",
        ] {
            assert_eq!(unescape(&escape(s)), s);
        }
    }

    #[test]
    fn string_fields_with_spaces_do_not_split_the_line() {
        let err = parse("cpu msg=\"a b\",value=1 5").unwrap_err();
        assert!(matches!(err, LineErrorKind::StringField { .. }));
    }
}
