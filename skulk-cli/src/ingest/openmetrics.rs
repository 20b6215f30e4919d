//! The Prometheus text exposition format and OpenMetrics text, one line at
//! a time.
//!
//! `name{label="value",...} value [timestamp] [# exemplar]`, with
//! `# HELP`, `# TYPE`, `# UNIT` and other comments skipped and `# EOF`
//! ending the input (anything but blank lines after it is refused). Every
//! sample line is one point of the series it names, so counters
//! (`_total`, `_created`), gauges, histograms (`_bucket` with `le`,
//! `_sum`, `_count`) and summaries (`quantile`, `_sum`, `_count`) become
//! their usual series. Exemplars are skipped and counted.
//!
//! Timestamps are in the format's unit: milliseconds in the Prometheus
//! format, seconds with an optional decimal fraction in OpenMetrics
//! (converted exactly, to the nanosecond); a sample without one gets the
//! reader's default time. Values are Go-style floats (`1.5e3`, `+Inf`,
//! `-Inf`, `NaN`) and `NaN(0x...)` for other NaNs; a decimal beyond the
//! range of `f64` is refused.

use std::collections::HashMap;

use skulk_format::{DataPoint, SeriesMeta};

use super::{KnownSeries, LineErrorKind, parse_value};

/// Series kept in the lookup cache before it is cleared (bounds memory).
const CACHE_LIMIT: usize = 100_000;

/// What the parser skipped on purpose.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ignored {
    /// Exemplars after samples.
    pub exemplars: u64,
}

/// The timestamp unit of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Prometheus text exposition: integer milliseconds.
    Prometheus,
    /// OpenMetrics: seconds, optionally with a decimal fraction.
    OpenMetrics,
}

/// Parses exposition lines into points, reusing series across lines.
#[derive(Debug)]
pub struct OpenMetricsParser {
    dialect: Dialect,
    default_ts: i64,
    eof: bool,
    ignored: Ignored,
    cache: HashMap<Box<str>, KnownSeries>,
}

impl OpenMetricsParser {
    /// A parser of `dialect` text; samples without a timestamp get
    /// `default_ts` (nanoseconds since the epoch).
    pub fn new(dialect: Dialect, default_ts: i64) -> Self {
        Self {
            dialect,
            default_ts,
            eof: false,
            ignored: Ignored::default(),
            cache: HashMap::new(),
        }
    }

    /// What was skipped so far.
    pub fn ignored(&self) -> Ignored {
        self.ignored
    }

    /// Appends the point of `line` to `out` (nothing for comments, blank
    /// lines and `# EOF`). On error nothing is appended.
    pub fn parse_line(
        &mut self,
        line: &str,
        out: &mut Vec<DataPoint>,
    ) -> Result<(), LineErrorKind> {
        let line = line.trim_matches(|c| c == ' ' || c == '\t');
        if line.is_empty() {
            return Ok(());
        }
        if self.eof {
            return Err(LineErrorKind::AfterEof);
        }
        if let Some(comment) = line.strip_prefix('#') {
            self.eof = comment.trim() == "EOF";
            return Ok(());
        }
        let (series_text, rest) = split_series(line)?;
        let series = self.series(series_text)?;
        let mut parts = rest.split_ascii_whitespace();
        let value_text = parts.next().ok_or(LineErrorKind::MissingValue)?;
        let value = parse_value(value_text)?;
        let timestamp = match parts.next() {
            None => self.default_ts,
            Some("#") => {
                self.ignored.exemplars += 1;
                self.default_ts
            }
            Some(ts) => {
                let ts = self.timestamp(ts)?;
                match parts.next() {
                    None => {}
                    Some("#") => self.ignored.exemplars += 1,
                    Some(other) => return Err(LineErrorKind::TrailingText(other.to_string())),
                }
                ts
            }
        };
        out.push(series.point(timestamp, value));
        Ok(())
    }

    fn series(&mut self, text: &str) -> Result<KnownSeries, LineErrorKind> {
        if let Some(series) = self.cache.get(text) {
            return Ok(series.clone());
        }
        let series = KnownSeries::new(parse_series(text)?);
        if self.cache.len() >= CACHE_LIMIT {
            self.cache.clear();
        }
        self.cache.insert(text.into(), series.clone());
        Ok(series)
    }

    fn timestamp(&self, text: &str) -> Result<i64, LineErrorKind> {
        let bad = || LineErrorKind::BadTimestamp(text.to_string());
        let range = || LineErrorKind::TimestampOutOfRange(text.to_string());
        match self.dialect {
            Dialect::Prometheus => {
                let ms: i64 = text.parse().map_err(|_| bad())?;
                ms.checked_mul(1_000_000).ok_or_else(range)
            }
            Dialect::OpenMetrics => seconds_to_ns(text).ok_or_else(|| {
                if text.parse::<f64>().is_ok() {
                    range()
                } else {
                    bad()
                }
            }),
        }
    }
}

/// Decimal seconds (`-12`, `1520879607.789`, `1.5e3` is refused: no
/// exponent) in exact nanoseconds; digits past the ninth decimal must be
/// zeros.
fn seconds_to_ns(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let (kept, dropped) = fraction.split_at(fraction.len().min(9));
    if dropped.bytes().any(|b| b != b'0') {
        return None;
    }
    let whole: i128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut nanos: i128 = if kept.is_empty() {
        0
    } else {
        kept.parse().ok()?
    };
    for _ in kept.len()..9 {
        nanos *= 10;
    }
    let total = whole.checked_mul(1_000_000_000)?.checked_add(nanos)?;
    i64::try_from(if negative { -total } else { total }).ok()
}

/// Splits `name{labels}` (or `name`) from the rest of the line.
fn split_series(line: &str) -> Result<(&str, &str), LineErrorKind> {
    let name_end = line
        .find(|c: char| c == '{' || c.is_ascii_whitespace())
        .unwrap_or(line.len());
    if line.as_bytes().get(name_end) != Some(&b'{') {
        return Ok(line.split_at(name_end));
    }
    let mut in_string = false;
    let mut escaped = false;
    for (i, b) in line.bytes().enumerate().skip(name_end + 1) {
        match b {
            _ if escaped => escaped = false,
            b'\\' if in_string => escaped = true,
            b'"' => in_string = !in_string,
            b'}' if !in_string => return Ok(line.split_at(i + 1)),
            _ => {}
        }
    }
    Err(LineErrorKind::BadLabels("missing closing `}`".into()))
}

fn is_name(name: &str, colons: bool) -> bool {
    let mut bytes = name.bytes();
    let ok_first = |b: u8| b.is_ascii_alphabetic() || b == b'_' || (colons && b == b':');
    bytes.next().is_some_and(ok_first) && bytes.all(|b| ok_first(b) || b.is_ascii_digit())
}

/// `name` or `name{label="value",...}` (a trailing comma allowed).
fn parse_series(text: &str) -> Result<SeriesMeta, LineErrorKind> {
    let (name, body) = match text.split_once('{') {
        Some((name, body)) => (name, body.strip_suffix('}').unwrap_or(body)),
        None => (text, ""),
    };
    if name.is_empty() {
        return Err(LineErrorKind::EmptyMeasurement);
    }
    if !is_name(name, true) {
        return Err(LineErrorKind::BadMetricName(name.to_string()));
    }
    let mut labels: Vec<(String, String)> = Vec::new();
    let mut rest = body.trim_start();
    while !rest.is_empty() {
        let (label, after) = rest.split_once('=').ok_or_else(|| {
            LineErrorKind::BadLabels(format!("expected label=\"value\" in {rest:?}"))
        })?;
        let label = label.trim();
        if !is_name(label, false) {
            return Err(LineErrorKind::BadLabels(format!(
                "bad label name {label:?}"
            )));
        }
        let quoted = after.trim_start().strip_prefix('"').ok_or_else(|| {
            LineErrorKind::BadLabels(format!("label {label:?} needs a quoted value"))
        })?;
        let (value, tail) = unquote(quoted)?;
        if labels.iter().any(|(k, _)| k == label) {
            return Err(LineErrorKind::DuplicateTag {
                key: label.to_string(),
            });
        }
        labels.push((label.to_string(), value));
        rest = tail.trim_start();
        rest = match rest.strip_prefix(',') {
            Some(next) => next.trim_start(),
            None if rest.is_empty() => rest,
            None => {
                return Err(LineErrorKind::BadLabels(
                    "expected `,` between labels".into(),
                ));
            }
        };
    }
    Ok(SeriesMeta::new(name, labels))
}

/// A label value whose opening quote was consumed: `\\`, `\"` and `\n`
/// are the escapes. Returns the value and the text after the quote.
fn unquote(text: &str) -> Result<(String, &str), LineErrorKind> {
    let mut out = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, text.get(i + 1..).unwrap_or_default())),
            '\\' => match chars.next().map(|(_, c)| c) {
                Some('n') => out.push('\n'),
                Some(c @ ('\\' | '"')) => out.push(c),
                other => {
                    return Err(LineErrorKind::BadLabels(format!(
                        "unknown escape \\{}",
                        other.map(String::from).unwrap_or_default()
                    )));
                }
            },
            c => out.push(c),
        }
    }
    Err(LineErrorKind::BadLabels("unterminated label value".into()))
}

#[cfg(test)]
mod tests;
