//! Streaming import formats: Influx line protocol, Prometheus text
//! exposition / OpenMetrics, and CSV.
//!
//! Input is read line by line into one bounded buffer; each line becomes
//! zero or more [`DataPoint`]s or a [`LineError`] saying which line and why.
//! Nothing here panics on any input.

mod csv;
mod csv_layout;
mod error;
mod line_protocol;
mod lines;
mod openmetrics;

use std::io::{self, BufRead};

use skulk_format::{DataPoint, SeriesMeta};

pub use self::csv::{CsvMapping, CsvOptions, CsvReader, TimeFormat};
pub use error::{LineError, LineErrorKind};
pub use line_protocol::LineProtocolParser;
pub(crate) use line_protocol::escape;
pub use lines::{DEFAULT_MAX_LINE, Line, LineReader};
pub use openmetrics::{Dialect, Ignored, OpenMetricsParser};

/// Unit of the timestamps in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Precision {
    /// Nanoseconds (the default).
    #[default]
    #[value(name = "ns")]
    Nanoseconds,
    /// Microseconds.
    #[value(name = "us")]
    Microseconds,
    /// Milliseconds.
    #[value(name = "ms")]
    Milliseconds,
    /// Seconds.
    #[value(name = "s")]
    Seconds,
}

/// A series with its id computed once: parsers keep these in their
/// caches, so a point costs no hashing of its series' labels.
#[derive(Debug, Clone)]
pub(crate) struct KnownSeries {
    meta: std::sync::Arc<SeriesMeta>,
    id: skulk_format::SeriesId,
}

impl KnownSeries {
    pub(crate) fn new(meta: SeriesMeta) -> Self {
        let id = meta.id();
        Self {
            meta: std::sync::Arc::new(meta),
            id,
        }
    }

    /// A point of this series.
    pub(crate) fn point(&self, timestamp: i64, value: f64) -> DataPoint {
        DataPoint {
            series: std::sync::Arc::clone(&self.meta),
            series_id: self.id,
            timestamp,
            value,
        }
    }
}

/// A value cell or sample as text (see [`crate::value_text`]), refused
/// with the reason: out of the range of `f64`, or not a number.
pub(crate) fn parse_value(text: &str) -> Result<f64, LineErrorKind> {
    crate::value_text::parse_value(text).ok_or_else(|| {
        if crate::value_text::is_out_of_range(text) {
            LineErrorKind::ValueOutOfRange(text.to_string())
        } else {
            LineErrorKind::BadValue(text.to_string())
        }
    })
}

impl Precision {
    /// `raw` in nanoseconds, or `None` when that overflows `i64`.
    pub fn to_nanos(self, raw: i64) -> Option<i64> {
        let factor = match self {
            Precision::Nanoseconds => 1,
            Precision::Microseconds => 1_000,
            Precision::Milliseconds => 1_000_000,
            Precision::Seconds => 1_000_000_000,
        };
        raw.checked_mul(factor)
    }
}

#[derive(Debug)]
enum Parser {
    LineProtocol(LineProtocolParser),
    OpenMetrics(OpenMetricsParser),
}

/// Where points come from: lines, or CSV records.
#[derive(Debug)]
enum Source<R> {
    Lines {
        lines: LineReader<R>,
        parser: Parser,
        max_line: usize,
    },
    Csv(Box<CsvReader<R>>),
}

/// Reads points from a stream, one line (or CSV record) at a time.
#[derive(Debug)]
pub struct PointReader<R> {
    source: Source<R>,
}

impl<R: BufRead> PointReader<R> {
    /// Reads Influx line protocol.
    pub fn line_protocol(input: R, precision: Precision) -> Self {
        Self::lines(
            input,
            Parser::LineProtocol(LineProtocolParser::new(precision)),
        )
    }

    /// Reads the Prometheus text exposition format or OpenMetrics (see
    /// [`OpenMetricsParser`]); samples without a timestamp get
    /// `default_ts` (nanoseconds).
    pub fn openmetrics(input: R, dialect: Dialect, default_ts: i64) -> Self {
        Self::lines(
            input,
            Parser::OpenMetrics(OpenMetricsParser::new(dialect, default_ts)),
        )
    }

    /// Reads CSV: `timestamp_ns,value` rows as points of `series`,
    /// `series,timestamp_ns,value` rows as points of the named series.
    pub fn csv(input: R, series: Option<SeriesMeta>, precision: Precision) -> Self {
        let options = CsvOptions {
            metric: series.as_ref().map(|s| s.metric().to_string()),
            labels: series.map(|s| s.labels().to_vec()).unwrap_or_default(),
            precision,
            mapping: None,
        };
        Self::csv_with(input, options)
    }

    /// Reads CSV as `options` say (column mapping, metric, labels).
    pub fn csv_with(input: R, options: CsvOptions) -> Self {
        Self {
            source: Source::Csv(Box::new(CsvReader::new(input, options, DEFAULT_MAX_LINE))),
        }
    }

    fn lines(input: R, parser: Parser) -> Self {
        let max_line = DEFAULT_MAX_LINE;
        Self {
            source: Source::Lines {
                lines: LineReader::new(input, max_line),
                parser,
                max_line,
            },
        }
    }

    /// Bytes consumed from the input so far.
    pub fn bytes_read(&self) -> u64 {
        match &self.source {
            Source::Lines { lines, .. } => lines.bytes_read(),
            Source::Csv(csv) => csv.bytes_read(),
        }
    }

    /// What the parser skipped on purpose (OpenMetrics exemplars).
    pub fn ignored(&self) -> Ignored {
        match &self.source {
            Source::Lines {
                parser: Parser::OpenMetrics(p),
                ..
            } => p.ignored(),
            _ => Ignored::default(),
        }
    }

    /// Parses the next line, appending its points to `out`.
    ///
    /// `Ok(None)` at the end of the input; `Ok(Some(Err(_)))` for a refused
    /// line (nothing appended; reading may continue); `Err(_)` when the
    /// input itself cannot be read.
    pub fn next_line(
        &mut self,
        out: &mut Vec<DataPoint>,
    ) -> io::Result<Option<Result<(), LineError>>> {
        let (lines, parser, max_line) = match &mut self.source {
            Source::Csv(csv) => return csv.next_record(out),
            Source::Lines {
                lines,
                parser,
                max_line,
            } => (lines, parser, *max_line),
        };
        // The line about to be read; only used when there is one.
        let line_no = lines.line_no() + 1;
        let line = match lines.next_line()? {
            None => return Ok(None),
            Some(Line::TooLong) => Err(LineErrorKind::TooLong { limit: max_line }),
            Some(Line::Text(bytes)) => {
                std::str::from_utf8(bytes).map_err(|_| LineErrorKind::InvalidUtf8)
            }
        };
        let result = line.and_then(|text| match parser {
            Parser::LineProtocol(p) => p.parse_line(text, out),
            Parser::OpenMetrics(p) => p.parse_line(text, out),
        });
        Ok(Some(result.map_err(|kind| LineError {
            line: line_no,
            kind,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn drain<R: BufRead>(mut reader: PointReader<R>) -> (usize, Vec<LineError>) {
        let mut out = Vec::new();
        let mut errors = Vec::new();
        while let Some(result) = reader.next_line(&mut out).unwrap() {
            if let Err(e) = result {
                errors.push(e);
            }
        }
        (out.len(), errors)
    }

    #[test]
    fn reports_line_numbers() {
        let input = "m value=1 1\nm value=oops 2\n\nm value=3 3\n";
        let (points, errors) = drain(PointReader::line_protocol(
            input.as_bytes(),
            Precision::default(),
        ));
        assert_eq!(points, 2);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 2);
        assert!(errors[0].to_string().starts_with("line 2: field \"value\""));
    }

    #[test]
    fn invalid_utf8_is_a_line_error() {
        let input: &[u8] = b"m value=1 1\n\xff\xfe value=2 2\n";
        let (points, errors) = drain(PointReader::line_protocol(input, Precision::default()));
        assert_eq!(
            (points, errors[0].kind.clone()),
            (1, LineErrorKind::InvalidUtf8)
        );
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..512)) {
            drain(PointReader::line_protocol(input.as_slice(), Precision::Seconds));
            drain(PointReader::csv(input.as_slice(), Some(SeriesMeta::new("m", vec![])), Precision::Milliseconds));
            drain(PointReader::csv(input.as_slice(), None, Precision::Seconds));
            drain(PointReader::openmetrics(input.as_slice(), Dialect::OpenMetrics, 0));
            drain(PointReader::openmetrics(input.as_slice(), Dialect::Prometheus, 0));
            let mapping = CsvMapping { label_columns: vec!["b".into()], ..CsvMapping::default() };
            let options = CsvOptions { mapping: Some(mapping), ..CsvOptions::default() };
            drain(PointReader::csv_with(input.as_slice(), options));
        }

        #[test]
        fn exposition_like_text_never_panics(input in r#"[a-z_:{}=",#. 0-9eE+\-\\\n]{0,200}"#) {
            drain(PointReader::openmetrics(input.as_bytes(), Dialect::OpenMetrics, 0));
            drain(PointReader::openmetrics(input.as_bytes(), Dialect::Prometheus, 0));
        }

        #[test]
        fn line_protocol_like_text_never_panics(input in "[a-z,= \\\\\"0-9.eEiu#\\-\n\t]{0,200}") {
            drain(PointReader::line_protocol(input.as_bytes(), Precision::Nanoseconds));
        }

        #[test]
        fn generated_lines_round_trip(
            measurement in "[a-z][a-z ,=]{0,8}",
            tag_value in "[a-z0-9 ,=\\\\]{1,8}",
            value in any::<f64>(),
            ts in any::<i64>(),
        ) {
            let line = format!(
                "{},host={} value={:?} {}",
                escape(&measurement), escape(&tag_value), value, ts
            );
            let mut out = Vec::new();
            LineProtocolParser::new(Precision::Nanoseconds).parse_line(&line, &mut out).unwrap();
            prop_assert_eq!(out.len(), 1);
            prop_assert_eq!(out[0].series.metric(), measurement.as_str());
            prop_assert_eq!(out[0].series.label("host"), Some(tag_value.as_str()));
            prop_assert_eq!(out[0].timestamp, ts);
            if value.is_nan() {
                prop_assert!(out[0].value.is_nan());
            } else {
                prop_assert_eq!(out[0].value.to_bits(), value.to_bits());
            }
        }
    }
}
