//! Corruption sweep of a TSM file: every truncation and every single-byte
//! flip (three masks per byte), opened and queried with
//! `skulk_format::TsmReader` without `verify()`: a typed error or the exact
//! data, never a panic, never wrong values.

use skulk_codec::CodecChoice;
use skulk_format::{FormatVersion, SeriesMeta, TsmReader, TsmWriter, TsmWriterOptions};
use skulk_testkit::corruption::{ErrorText, SweepConfig, sweep_exact};
use skulk_testkit::format_suite::{SeriesContents, TsmContents, read_contents};
use skulk_testkit::generators::{TimestampShape, ValueShape};

fn series() -> Vec<SeriesContents> {
    let label = |v: &str| vec![("shape".to_string(), v.to_string())];
    let mut out = vec![SeriesContents::new(
        SeriesMeta::new("special", vec![]),
        vec![i64::MIN, -1, 0, 1, i64::MAX],
        &[
            f64::NAN,
            -0.0,
            f64::INFINITY,
            f64::from_bits(1),
            f64::from_bits(0xfff8_0000_0000_0001),
        ],
    )];
    for (i, shape) in [
        ValueShape::RandomWalk,
        ValueShape::Counter,
        ValueShape::SparseNan,
    ]
    .into_iter()
    .enumerate()
    {
        let ts = TimestampShape::ALL[i].generate(i as u64, 40);
        let vs = shape.generate(i as u64, 40);
        out.push(SeriesContents::new(
            SeriesMeta::new("gen", label(shape.name())),
            ts,
            &vs,
        ));
    }
    out
}

fn write(codec: CodecChoice, version: FormatVersion) -> (Vec<u8>, TsmContents) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sweep.tsm");
    let options = TsmWriterOptions {
        max_points_per_block: 16,
        codec,
        bloom_false_positive_rate: 0.01,
        version,
    };
    let mut writer = TsmWriter::create(&path, options).unwrap();
    let series = series();
    for s in &series {
        let values: Vec<f64> = s.value_bits.iter().map(|b| f64::from_bits(*b)).collect();
        writer
            .write_series(&s.meta, &s.timestamps, &values)
            .unwrap();
    }
    writer.finish().unwrap();
    let expected = series.into_iter().map(|s| (s.meta.id(), s)).collect();
    (std::fs::read(&path).unwrap(), expected)
}

fn open_and_query(bytes: &[u8]) -> Result<TsmContents, ErrorText> {
    let reader = TsmReader::open(bytes).map_err(ErrorText::of)?;
    read_contents(&reader).map_err(ErrorText::of)
}

#[test]
fn every_truncation_and_byte_flip_of_a_tsm_file_is_an_error_or_exact() {
    let cases = [
        (CodecChoice::Adaptive, FormatVersion::V3),
        (CodecChoice::RAW, FormatVersion::V3),
        (CodecChoice::Adaptive, FormatVersion::V2),
        (CodecChoice::RAW, FormatVersion::V2),
        (CodecChoice::RAW, FormatVersion::V1),
    ];
    for (codec, version) in cases {
        let (bytes, expected) = write(codec, version);
        let report = sweep_exact(&bytes, &expected, &SweepConfig::default(), open_and_query);
        let size = bytes.len();
        println!("TSM file of {size} bytes ({codec:?}, {version:?}): {report}");
        report.assert_clean();
        assert_eq!(report.cases as usize, bytes.len() * 4);
    }
}
