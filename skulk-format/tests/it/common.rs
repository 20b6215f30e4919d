//! Helpers shared by the integration tests.

use std::path::Path;

use skulk_codec::CodecChoice;
use skulk_format::{Result, SeriesMeta, TimeRange, TsmReader, TsmWriter, TsmWriterOptions};

/// One series to write: metadata, timestamps, values.
pub type Series = (SeriesMeta, Vec<i64>, Vec<f64>);

/// A series' contents with values as bit patterns, for exact comparison.
pub type Contents = Vec<(SeriesMeta, Vec<i64>, Vec<u64>)>;

pub fn meta(metric: &str, labels: &[(&str, &str)]) -> SeriesMeta {
    SeriesMeta::new(
        metric,
        labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

pub fn options(max_points_per_block: usize, codec: CodecChoice) -> TsmWriterOptions {
    TsmWriterOptions {
        max_points_per_block,
        codec,
        ..TsmWriterOptions::default()
    }
}

/// Writes `series` to `dir/name` and returns the file's bytes.
pub fn write(dir: &Path, name: &str, series: &[Series], options: TsmWriterOptions) -> Vec<u8> {
    let path = dir.join(name);
    let mut writer = TsmWriter::create(&path, options).unwrap();
    for (meta, ts, vs) in series {
        writer.write_series(meta, ts, vs).unwrap();
    }
    let handle = writer.finish().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(handle.stats.file_size, bytes.len() as u64);
    bytes
}

/// `series` sorted by id with values as bits: what a reader must return.
pub fn expected(series: &[Series]) -> Contents {
    let mut out: Contents = series
        .iter()
        .map(|(m, ts, vs)| {
            (
                m.clone(),
                ts.clone(),
                vs.iter().map(|v| v.to_bits()).collect(),
            )
        })
        .collect();
    out.sort_by_key(|(m, _, _)| m.id());
    out
}

/// Opens `bytes`, reads every series and verifies the file.
pub fn read_all(bytes: &[u8]) -> Result<Contents> {
    let reader = TsmReader::open(bytes)?;
    let mut out = Vec::new();
    for entry in reader.series() {
        let (ts, vs) = reader.read_series(entry.id, TimeRange::ALL)?;
        out.push((
            entry.meta.to_meta(),
            ts,
            vs.iter().map(|v| v.to_bits()).collect(),
        ));
    }
    reader.verify()?;
    Ok(out)
}

/// A few series with awkward contents: extremes, special floats, a single
/// point, an empty series, several blocks.
pub fn small_series() -> Vec<Series> {
    vec![
        (
            meta("cpu.usage", &[("host", "a"), ("dc", "eu")]),
            (0..10).map(|i| 1_000 + i * 10).collect(),
            (0..10).map(|i| i as f64 * 0.5).collect(),
        ),
        (
            meta("extremes", &[]),
            vec![i64::MIN, -1, 0, i64::MAX],
            vec![
                f64::NAN,
                -0.0,
                f64::INFINITY,
                f64::from_bits(0x7ff0_0000_dead_beef),
            ],
        ),
        (
            meta("single", &[("k", "v")]),
            vec![42],
            vec![f64::MIN_POSITIVE / 2.0],
        ),
        (meta("empty", &[("why", "no points")]), vec![], vec![]),
    ]
}
