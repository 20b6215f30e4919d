//! The command-line tool's import parsers.

use skulk_format::SeriesMeta;

use crate::ingest::{PointReader, Precision};

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

/// The import parsers (Influx line protocol and CSV) on an arbitrary
/// stream: every line gives points or a line error, a refused line appends
/// nothing, and every point's id is its series' id.
///
/// Input: byte 0 picks the format and the timestamp precision, the rest is
/// the stream.
pub fn cli_import(data: &[u8]) {
    let [selector, stream @ ..] = data else {
        return;
    };
    let precision = precision(*selector);
    let reader = match (selector / 4) % 3 {
        0 => PointReader::line_protocol(stream, precision),
        1 => PointReader::csv(stream, Some(SeriesMeta::new("fuzz", vec![])), precision),
        _ => PointReader::csv(stream, None, precision),
    };
    drain(reader, stream.len());
}
