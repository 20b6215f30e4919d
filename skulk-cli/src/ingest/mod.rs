//! Streaming import formats: Influx line protocol and CSV.
//!
//! Input is read line by line into one bounded buffer; each line becomes
//! zero or more [`DataPoint`]s or a [`LineError`] saying which line and why.
//! Nothing here panics on any input.

mod csv;
mod error;
mod line_protocol;
mod lines;

use std::io::{self, BufRead};

use skulk_format::{DataPoint, SeriesMeta};

pub use self::csv::CsvParser;
pub use error::{LineError, LineErrorKind};
pub use line_protocol::LineProtocolParser;
pub(crate) use line_protocol::escape;
pub use lines::{DEFAULT_MAX_LINE, Line, LineReader};

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
    Csv(CsvParser),
}

/// Reads points from a stream, one line at a time.
#[derive(Debug)]
pub struct PointReader<R> {
    lines: LineReader<R>,
    parser: Parser,
    max_line: usize,
}

impl<R: BufRead> PointReader<R> {
    /// Reads Influx line protocol.
    pub fn line_protocol(input: R, precision: Precision) -> Self {
        Self::with_parser(
            input,
            Parser::LineProtocol(LineProtocolParser::new(precision)),
        )
    }

    /// Reads CSV: `timestamp_ns,value` rows as points of `series`,
    /// `series,timestamp_ns,value` rows as points of the named series.
    pub fn csv(input: R, series: Option<SeriesMeta>, precision: Precision) -> Self {
        Self::with_parser(input, Parser::Csv(CsvParser::new(series, precision)))
    }

    fn with_parser(input: R, parser: Parser) -> Self {
        let max_line = DEFAULT_MAX_LINE;
        Self {
            lines: LineReader::new(input, max_line),
            parser,
            max_line,
        }
    }

    /// Bytes consumed from the input so far.
    pub fn bytes_read(&self) -> u64 {
        self.lines.bytes_read()
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
        let max_line = self.max_line;
        // The line about to be read; only used when there is one.
        let line_no = self.lines.line_no() + 1;
        let line = match self.lines.next_line()? {
            None => return Ok(None),
            Some(Line::TooLong) => Err(LineErrorKind::TooLong { limit: max_line }),
            Some(Line::Text(bytes)) => {
                std::str::from_utf8(bytes).map_err(|_| LineErrorKind::InvalidUtf8)
            }
        };
        let result = line.and_then(|text| match &mut self.parser {
            Parser::LineProtocol(p) => p.parse_line(text, out),
            Parser::Csv(p) => p.parse_line(text, line_no, out),
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
