//! The command-line tool's import parsers.

use skulk_format::SeriesMeta;

use crate::ingest::{CsvMapping, CsvOptions, Dialect, PointReader, Precision, TimeFormat};

/// Reads every line of `reader`: a refused line appends nothing, there are
/// no more lines than bytes, and every point's id is its series' id.
fn drain<R: std::io::BufRead>(mut reader: PointReader<R>, stream_len: usize) {
    let mut out = Vec::new();
    let mut lines = 0usize;
    loop {
        let before = out.len();
        let Ok(Some(result)) = reader.next_line(&mut out) else {
            break;
        };
        if result.is_err() {
            assert_eq!(out.len(), before, "a refused line appended points");
        }
        lines += 1;
        assert!(lines <= stream_len + 1, "more lines than bytes");
    }
    assert!(
        out.iter().all(|p| p.series_id == p.series.id()),
        "a point with a foreign series id"
    );
}

/// The precision byte 0 picks.
fn precision(selector: u8) -> Precision {
    match selector % 4 {
        0 => Precision::Nanoseconds,
        1 => Precision::Microseconds,
        2 => Precision::Milliseconds,
        _ => Precision::Seconds,
    }
}

/// A CSV mapping over the columns a header `a,b,c,...` names: the time in
/// column `a`, labels from `b`, values from the rest.
fn mapping(selector: u8) -> CsvMapping {
    let time_format = match selector % 3 {
        0 => TimeFormat::Auto,
        1 => TimeFormat::Rfc3339,
        _ => TimeFormat::Epoch(precision(selector / 3)),
    };
    CsvMapping {
        time_column: Some("a".into()),
        time_format,
        label_columns: vec!["b".into()],
        value_columns: Vec::new(),
    }
}

/// The import parsers (Influx line protocol, CSV with and without a column
/// mapping) on an arbitrary stream: every line gives points or a line
/// error, a refused line appends nothing, and every point's id is its
/// series' id.
///
/// Input: byte 0 picks the format and the timestamp precision, the rest is
/// the stream.
pub fn cli_import(data: &[u8]) {
    let [selector, stream @ ..] = data else {
        return;
    };
    let precision = precision(*selector);
    let reader = match (selector / 4) % 4 {
        0 => PointReader::line_protocol(stream, precision),
        1 => PointReader::csv(stream, Some(SeriesMeta::new("fuzz", vec![])), precision),
        2 => PointReader::csv(stream, None, precision),
        _ => PointReader::csv_with(
            stream,
            CsvOptions {
                metric: Some("fuzz".into()),
                labels: Vec::new(),
                precision,
                mapping: Some(mapping(selector / 16)),
            },
        ),
    };
    drain(reader, stream.len());
}

/// The Prometheus text and OpenMetrics parser on an arbitrary stream, with
/// the same checks as [`cli_import`]; byte 0 picks the dialect.
pub fn cli_openmetrics(data: &[u8]) {
    let [selector, stream @ ..] = data else {
        return;
    };
    let dialect = if selector % 2 == 0 {
        Dialect::OpenMetrics
    } else {
        Dialect::Prometheus
    };
    drain(PointReader::openmetrics(stream, dialect, 0), stream.len());
}
