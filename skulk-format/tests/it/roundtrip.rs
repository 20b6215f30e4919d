//! Writing then reading gives back exactly what was written.

use std::sync::Arc;

use skulk_codec::CodecChoice;
use skulk_format::{
    FormatError, FormatVersion, SeriesId, SeriesMeta, TimeRange, TsmReader, TsmWriter,
    TsmWriterOptions,
};

use crate::common::{Series, expected, meta, options, read_all, small_series, write};

fn choices() -> [CodecChoice; 3] {
    [
        CodecChoice::RAW,
        CodecChoice::GORILLA,
        CodecChoice::Adaptive,
    ]
}

#[test]
fn small_files_round_trip_with_every_codec_choice_and_block_size() {
    let dir = tempfile::tempdir().unwrap();
    let series = small_series();
    for codec in choices() {
        for block in [1, 3, 8192] {
            let bytes = write(dir.path(), "a.tsm", &series, options(block, codec));
            assert_eq!(
                read_all(&bytes).unwrap(),
                expected(&series),
                "{codec:?} {block}"
            );
        }
    }
}

#[test]
fn stats_header_and_handle_describe_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.tsm");
    let mut writer = TsmWriter::create(&path, options(3, CodecChoice::RAW)).unwrap();
    for (m, ts, vs) in small_series() {
        writer.write_series(&m, &ts, &vs).unwrap();
    }
    let handle = writer.finish().unwrap();
    assert_eq!(handle.path, path);
    assert_eq!(handle.stats.series_count, 4);
    assert_eq!(handle.stats.total_point_count, 15);
    assert_eq!(handle.stats.block_count, 4 + 2 + 1);
    assert_eq!(
        (handle.stats.min_timestamp, handle.stats.max_timestamp),
        (i64::MIN, i64::MAX)
    );
    let bytes = std::fs::read(&path).unwrap();
    let reader = TsmReader::open(bytes).unwrap();
    assert_eq!(reader.stats(), &handle.stats);
    assert_eq!(reader.footer(), &handle.footer);
    assert_eq!(reader.header().series_count, 4);
    assert!(reader.header().has_points());
    let report = reader.verify().unwrap();
    assert_eq!((report.series, report.blocks, report.points), (4, 7, 15));
    let inline = reader
        .series()
        .flat_map(|e| e.blocks.iter().copied())
        .filter(|b| b.is_inline())
        .count() as u64;
    assert_eq!(inline, 3, "the one-point blocks");
    assert_eq!(
        report.payload_bytes,
        (15 - inline) * 16 + inline * 8,
        "raw codecs: 16 bytes per point; an inline point: its value's 8"
    );
}

#[test]
fn a_file_without_series_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = write(dir.path(), "e.tsm", &[], TsmWriterOptions::default());
    let reader = TsmReader::open(bytes.as_slice()).unwrap();
    assert_eq!(reader.series_ids().len(), 0);
    assert!(!reader.header().has_points());
    assert_eq!(reader.verify().unwrap().blocks, 0);
    assert!(!reader.contains_series(SeriesId(1)));
}

fn many_series(count: usize, points: usize) -> Vec<Series> {
    (0..count)
        .map(|s| {
            let ts = (0..points as i64)
                .map(|i| 1_600_000_000_000_000_000 + i * 1_000 + s as i64)
                .collect();
            let vs = (0..points)
                .map(|i| ((i * 7 + s) % 13) as f64 * 0.25)
                .collect();
            (meta("m", &[("series", &s.to_string())]), ts, vs)
        })
        .collect()
}

#[test]
fn many_series_written_point_by_point_in_any_order_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let series = many_series(150, 37);
    let path = dir.path().join("m.tsm");
    let mut writer = TsmWriter::create(&path, options(10, CodecChoice::Adaptive)).unwrap();
    for (m, ts, vs) in series.iter().rev() {
        writer.begin_series(m).unwrap();
        for (&t, &v) in ts.iter().zip(vs) {
            writer.append(t, v).unwrap();
        }
        writer.end_series().unwrap();
    }
    writer.finish().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(read_all(&bytes).unwrap(), expected(&series));
    let reader = TsmReader::open(bytes.as_slice()).unwrap();
    let ids: Vec<SeriesId> = reader.series_ids().collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids ascending");
    for (m, _, _) in &series {
        assert!(reader.contains_series(m.id()));
        assert_eq!(reader.meta(m.id()).as_ref(), Some(m));
    }
}

#[test]
fn range_reads_skip_blocks_and_filter_points() {
    let dir = tempfile::tempdir().unwrap();
    let ts: Vec<i64> = (0..100).map(|i| i * 10).collect();
    let vs: Vec<f64> = (0..100).map(f64::from).collect();
    let m = meta("r", &[]);
    let series = vec![(m.clone(), ts.clone(), vs.clone())];
    let bytes = write(
        dir.path(),
        "r.tsm",
        &series,
        options(10, CodecChoice::GORILLA),
    );
    let reader = TsmReader::open(bytes).unwrap();
    let id = m.id();
    assert_eq!(reader.blocks(id, TimeRange::ALL).count(), 10);
    let range = TimeRange::new(95, 305).unwrap();
    let blocks: Vec<_> = reader.blocks(id, range).collect();
    assert_eq!(
        blocks.iter().map(|b| b.min_ts).collect::<Vec<_>>(),
        vec![100, 200, 300]
    );
    for (start, end) in [
        (95, 305),
        (0, 0),
        (-50, 5),
        (990, i64::MAX),
        (1000, 2000),
        (100, 200),
    ] {
        let range = TimeRange::new(start, end).unwrap();
        let (got_ts, got_vs) = reader.read_series(id, range).unwrap();
        let want: Vec<(i64, f64)> = ts
            .iter()
            .copied()
            .zip(vs.iter().copied())
            .filter(|(t, _)| range.contains(*t))
            .collect();
        assert_eq!(
            got_ts,
            want.iter().map(|p| p.0).collect::<Vec<_>>(),
            "{range:?}"
        );
        assert_eq!(
            got_vs,
            want.iter().map(|p| p.1).collect::<Vec<_>>(),
            "{range:?}"
        );
    }
    let (absent_ts, _) = reader.read_series(SeriesId(12345), TimeRange::ALL).unwrap();
    assert!(absent_ts.is_empty());
}

#[test]
fn any_byte_container_works_and_reads_are_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<TsmReader<Vec<u8>>>();
    assert_send_sync::<TsmReader<Arc<[u8]>>>();
    let dir = tempfile::tempdir().unwrap();
    let series = many_series(8, 500);
    let bytes: Arc<[u8]> = write(
        dir.path(),
        "t.tsm",
        &series,
        options(64, CodecChoice::GORILLA),
    )
    .into();
    let reader = TsmReader::open_named(Arc::clone(&bytes), "t.tsm").unwrap();
    assert_eq!(reader.name().unwrap().to_str(), Some("t.tsm"));
    std::thread::scope(|scope| {
        for (m, ts, vs) in &series {
            let reader = &reader;
            scope.spawn(move || {
                let (got_ts, got_vs) = reader.read_series(m.id(), TimeRange::ALL).unwrap();
                assert_eq!(&got_ts, ts);
                assert_eq!(&got_vs, vs);
            });
        }
    });
    assert_eq!(reader.into_inner().len(), bytes.len());
}

#[test]
fn a_block_ref_pointing_elsewhere_is_an_error_not_data() {
    let dir = tempfile::tempdir().unwrap();
    let series = many_series(2, 30);
    let bytes = write(dir.path(), "x.tsm", &series, options(10, CodecChoice::RAW));
    let reader = TsmReader::open_named(bytes.as_slice(), "x.tsm").unwrap();
    let a: Vec<_> = reader.blocks(series[0].0.id(), TimeRange::ALL).collect();
    let b: Vec<_> = reader.blocks(series[1].0.id(), TimeRange::ALL).collect();
    let (mut ts, mut vs) = (Vec::new(), Vec::new());
    // A reference to another block of the same length: its header differs.
    let moved = skulk_format::BlockRef {
        offset: a[1].offset,
        ..a[0]
    };
    let err = reader.read_block(&moved, &mut ts, &mut vs).unwrap_err();
    assert!(matches!(err, FormatError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("x.tsm"), "{err}");
    // A misdirected write: block 0's record stored where block 1 belongs.
    // The CRC is bound to the offset, so it no longer matches.
    let mut misdirected = bytes.clone();
    let (from, to, len) = (
        a[0].offset as usize,
        a[1].offset as usize,
        a[0].len as usize,
    );
    misdirected.copy_within(from..from + len, to);
    let bad = TsmReader::open(misdirected.as_slice()).unwrap();
    let err = bad.read_block(&a[1], &mut ts, &mut vs).unwrap_err();
    assert!(matches!(err, FormatError::ChecksumMismatch { .. }), "{err}");
    // Another series' block, as its own entry says: wrong series.
    let foreign = skulk_format::BlockRef {
        series: a[0].series,
        ..b[0]
    };
    assert!(reader.read_block(&foreign, &mut ts, &mut vs).is_err());
    // Right place, wrong claims.
    let wrong_count = skulk_format::BlockRef {
        point_count: 9,
        ..a[0]
    };
    assert!(reader.read_block(&wrong_count, &mut ts, &mut vs).is_err());
    let out_of_file = skulk_format::BlockRef {
        offset: u64::MAX - 3,
        ..a[0]
    };
    assert!(reader.read_block(&out_of_file, &mut ts, &mut vs).is_err());
    assert!(ts.is_empty() && vs.is_empty(), "nothing appended on error");
    reader.read_block(&a[0], &mut ts, &mut vs).unwrap();
    assert_eq!(ts, series[0].1[..10]);
}

#[test]
fn one_point_blocks_are_inline_in_version_2_and_read_back_bit_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let values = [
        f64::from_bits(0x7ff8_dead_beef_0001),
        -0.0,
        f64::MIN_POSITIVE / 8.0,
    ];
    let series: Vec<Series> = values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let meta = SeriesMeta::new("one", vec![("i".into(), i.to_string())]);
            (meta, vec![i64::MIN + i as i64], vec![v])
        })
        // A series of three points in blocks of two: its last block is one
        // point, inline too.
        .chain([(
            SeriesMeta::new("three", vec![]),
            vec![-5, 0, i64::MAX],
            vec![1.0, 2.0, 3.0],
        )])
        .collect();
    let mut sizes = Vec::new();
    for version in [FormatVersion::V1, FormatVersion::V2, FormatVersion::V3] {
        let options = TsmWriterOptions {
            version,
            ..options(2, CodecChoice::Adaptive)
        };
        let bytes = write(dir.path(), "inline.tsm", &series, options);
        sizes.push(bytes.len());
        let reader = TsmReader::open(bytes.as_slice()).unwrap();
        let inline = reader
            .series()
            .flat_map(|e| e.blocks.iter().copied())
            .filter(|b| b.is_inline())
            .count();
        assert_eq!(inline, if version >= FormatVersion::V2 { 4 } else { 0 });
        for (meta, ts, vs) in &series {
            let (got_ts, got_vs) = reader.read_series(meta.id(), TimeRange::ALL).unwrap();
            assert_eq!(&got_ts, ts);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got_vs), bits(vs));
        }
        let report = reader.verify().unwrap();
        assert_eq!(report.points, 6);
        assert_eq!(read_all(&bytes).unwrap().len(), series.len());
        // An inline block made up, or taken for another series, is refused.
        let block = reader
            .blocks(series[0].0.id(), TimeRange::ALL)
            .next()
            .unwrap();
        let (mut ts, mut vs) = (Vec::new(), Vec::new());
        for forged in [
            skulk_format::BlockRef {
                offset: 40,
                len: 0,
                ..block
            },
            skulk_format::BlockRef {
                series: series[1].0.id(),
                len: 0,
                ..block
            },
        ] {
            assert!(reader.read_block(&forged, &mut ts, &mut vs).is_err());
            assert!(reader.read_block_values(&forged, &mut vs).is_err());
        }
        assert!(ts.is_empty() && vs.is_empty());
    }
    assert!(sizes[1] < sizes[0] && sizes[2] < sizes[1], "{sizes:?}");
}
