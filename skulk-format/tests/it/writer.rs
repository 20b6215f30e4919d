//! Writer contract: ordering rules, atomic publishing, cleanup.

use skulk_codec::CodecChoice;
use skulk_format::{FormatError, TimeRange, TsmReader, TsmWriter, TsmWriterOptions};

use crate::common::{meta, options};

fn is_invalid<T: std::fmt::Debug>(result: Result<T, FormatError>) -> bool {
    matches!(result, Err(FormatError::InvalidArgument(_)))
}

#[test]
fn bad_options_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("o.tsm");
    for options in [
        TsmWriterOptions {
            max_points_per_block: 0,
            ..Default::default()
        },
        TsmWriterOptions {
            max_points_per_block: (1 << 20) + 1,
            ..Default::default()
        },
        TsmWriterOptions {
            bloom_false_positive_rate: 0.0,
            ..Default::default()
        },
        TsmWriterOptions {
            bloom_false_positive_rate: 1.0,
            ..Default::default()
        },
        TsmWriterOptions {
            bloom_false_positive_rate: f64::NAN,
            ..Default::default()
        },
    ] {
        assert!(is_invalid(TsmWriter::create(&path, options)), "{options:?}");
    }
    assert!(!dir.path().join("o.tsm.tmp").exists());
}

#[test]
fn out_of_order_and_duplicate_timestamps_are_refused_and_the_writer_stays_usable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.tsm");
    let mut writer = TsmWriter::create(&path, options(2, CodecChoice::RAW)).unwrap();
    let a = meta("a", &[]);
    assert!(is_invalid(writer.write_series(&a, &[1, 3, 2], &[0.0; 3])));
    assert!(is_invalid(writer.write_series(&a, &[1, 1], &[0.0; 2])));
    assert!(is_invalid(writer.write_series(&a, &[1, 2], &[0.0; 1])));
    writer
        .write_series(&a, &[1, 2, 3], &[1.0, 2.0, 3.0])
        .unwrap();
    assert!(
        is_invalid(writer.write_series(&a, &[4], &[4.0])),
        "series written twice"
    );
    let b = meta("b", &[]);
    assert!(is_invalid(writer.append(1, 1.0)), "no open series");
    assert!(is_invalid(writer.end_series()), "no open series");
    writer.begin_series(&b).unwrap();
    assert!(
        is_invalid(writer.begin_series(&meta("c", &[]))),
        "b still open"
    );
    writer.append(10, 1.0).unwrap();
    writer.append(20, 2.0).unwrap();
    assert!(is_invalid(writer.append(20, 3.0)));
    assert!(is_invalid(writer.append(15, 3.0)));
    writer.append(30, 3.0).unwrap();
    writer.end_series().unwrap();
    writer.finish().unwrap();
    let reader = TsmReader::open(std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(
        reader.read_series(a.id(), TimeRange::ALL).unwrap().0,
        vec![1, 2, 3]
    );
    assert_eq!(
        reader.read_series(b.id(), TimeRange::ALL).unwrap().0,
        vec![10, 20, 30]
    );
}

#[test]
fn finish_with_an_open_series_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer =
        TsmWriter::create(dir.path().join("f.tsm"), TsmWriterOptions::default()).unwrap();
    writer.begin_series(&meta("a", &[])).unwrap();
    assert!(is_invalid(writer.finish()));
    assert!(!dir.path().join("f.tsm").exists());
    assert!(
        !dir.path().join("f.tsm.tmp").exists(),
        "the failed writer was dropped"
    );
}

#[test]
fn the_file_appears_only_when_finished_and_a_dropped_writer_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.tsm");
    let tmp = dir.path().join("p.tsm.tmp");
    let mut writer = TsmWriter::create(&path, TsmWriterOptions::default()).unwrap();
    writer.write_series(&meta("a", &[]), &[1], &[1.0]).unwrap();
    assert!(tmp.exists() && !path.exists());
    drop(writer);
    assert!(!tmp.exists() && !path.exists());

    let mut writer = TsmWriter::create(&path, TsmWriterOptions::default()).unwrap();
    writer.write_series(&meta("a", &[]), &[1], &[1.0]).unwrap();
    let handle = writer.finish().unwrap();
    assert!(path.exists() && !tmp.exists());
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        handle.stats.file_size
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec!["p.tsm"]);
}

#[test]
fn a_missing_directory_is_an_io_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing").join("x.tsm");
    let err = TsmWriter::create(&path, TsmWriterOptions::default()).unwrap_err();
    assert!(
        matches!(&err, FormatError::Io { path: p, .. } if p.ends_with("x.tsm.tmp")),
        "{err}"
    );
}

#[test]
fn default_blocks_keep_the_overhead_under_five_percent_of_a_compact_codec() {
    // Index, metadata, bloom and framing do not depend on the codec: bound
    // them against the payload a ~1.3 byte/point codec would produce.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("o.tsm");
    let mut writer = TsmWriter::create(&path, TsmWriterOptions::default()).unwrap();
    let points = 10_000;
    let ts: Vec<i64> = (0..points)
        .map(|i| 1_700_000_000_000_000_000 + i * 60_000_000_000)
        .collect();
    let vs: Vec<f64> = (0..points).map(|i| (i % 50) as f64).collect();
    let m = meta(
        "node_cpu_seconds_total",
        &[("cpu", "0"), ("instance", "host-01:9100"), ("mode", "idle")],
    );
    writer.write_series(&m, &ts, &vs).unwrap();
    let handle = writer.finish().unwrap();
    let reader = TsmReader::open(std::fs::read(&path).unwrap()).unwrap();
    let payload = reader.verify().unwrap().payload_bytes;
    let overhead = handle.stats.file_size - payload;
    let budget = 0.05 * 1.3 * points as f64;
    assert!(
        (overhead as f64) < budget,
        "overhead {overhead} B, budget {budget} B"
    );
}
