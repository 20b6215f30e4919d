//! Golden files of TSM format version 1 in `skulk-testkit/vectors/tsm/v1`.
//!
//! Append-only: each listed file was written once with
//! `SKULK_WRITE_GOLDEN=1 cargo test -p skulk-format --test it golden`, which
//! only creates files that are missing and never overwrites one. Without the
//! variable, every listed file must exist, decode to its input, and equal
//! byte for byte a file freshly written from the same input, so an
//! accidental change of the format (or of a pinned codec) fails here.

use std::path::{Path, PathBuf};

use skulk_codec::CodecChoice;
use skulk_format::{FormatVersion, TsmReader, TsmWriterOptions};

use crate::common::{Series, expected, meta, read_all, write};

fn golden_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../skulk-testkit/vectors/tsm/v1"
    ))
}

/// One golden file: its name, input and options.
struct Golden {
    name: &'static str,
    series: fn() -> Vec<Series>,
    options: TsmWriterOptions,
}

const RAW_BLOCKS_OF_3: TsmWriterOptions = TsmWriterOptions {
    max_points_per_block: 3,
    codec: CodecChoice::RAW,
    bloom_false_positive_rate: 0.01,
};

fn listed() -> [Golden; 3] {
    [
        Golden {
            name: "raw_small.tsm",
            series: raw_small,
            options: RAW_BLOCKS_OF_3,
        },
        Golden {
            name: "raw_empty.tsm",
            series: Vec::new,
            options: RAW_BLOCKS_OF_3,
        },
        Golden {
            name: "raw_many_series.tsm",
            series: raw_many_series,
            options: TsmWriterOptions {
                bloom_false_positive_rate: 0.2,
                ..RAW_BLOCKS_OF_3
            },
        },
    ]
}

/// Extremes, special floats, a single point, an empty series, blocks.
fn raw_small() -> Vec<Series> {
    vec![
        (
            meta("cpu.usage", &[("host", "server1"), ("dc", "eu-west")]),
            vec![
                1_700_000_000_000_000_000,
                1_700_000_000_010_000_000,
                1_700_000_000_020_000_000,
                1_700_000_000_030_000_000,
                1_700_000_000_040_000_000,
            ],
            vec![0.5, 0.25, 100.0, -3.75, 1e300],
        ),
        (
            meta("extremes", &[]),
            vec![i64::MIN, -1, 0, i64::MAX],
            vec![
                f64::NAN,
                -0.0,
                f64::NEG_INFINITY,
                f64::from_bits(0x7ff4_0000_dead_beef),
            ],
        ),
        (
            meta("single", &[("k", "v")]),
            vec![42],
            vec![f64::from_bits(1)],
        ),
        (meta("empty", &[("why", "no points")]), vec![], vec![]),
    ]
}

/// Twenty series of 7 points, UTF-8 labels.
fn raw_many_series() -> Vec<Series> {
    (0..20)
        .map(|s| {
            let ts = (0..7).map(|i| i * 1_000_000_000 + s).collect();
            let vs = (0..7).map(|i| (i * 10 + s) as f64 / 4.0).collect();
            (
                meta(
                    "temp.°C",
                    &[("sensor", &format!("s{s:02}")), ("site", "zürich")],
                ),
                ts,
                vs,
            )
        })
        .collect()
}

fn fresh_bytes(golden: &Golden) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), golden.name, &(golden.series)(), golden.options)
}

fn check(golden: &Golden, path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("golden file {path:?}: {e}"));
    assert_eq!(&bytes[..4], b"ATSM");
    assert_eq!(bytes[4], FormatVersion::V1.as_u8());
    let reader = TsmReader::open_named(bytes.as_slice(), path).unwrap();
    assert_eq!(reader.stats().series_count, (golden.series)().len() as u64);
    assert_eq!(
        read_all(&bytes).unwrap(),
        expected(&(golden.series)()),
        "{}",
        golden.name
    );
    assert!(
        bytes == fresh_bytes(golden),
        "{}: the writer's output changed",
        golden.name
    );
}

#[test]
fn golden_files_decode_to_their_input_and_match_the_writer_byte_for_byte() {
    let dir = golden_dir();
    let write_missing = std::env::var("SKULK_WRITE_GOLDEN").is_ok_and(|v| v == "1");
    for golden in listed() {
        let path = dir.join(golden.name);
        if write_missing && !path.exists() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, fresh_bytes(&golden)).unwrap();
            println!("wrote golden file {}", path.display());
        }
        check(&golden, &path);
    }
}

#[test]
fn every_listed_golden_file_exists_and_every_file_is_listed() {
    let names: Vec<&str> = listed().iter().map(|g| g.name).collect();
    if std::env::var("SKULK_WRITE_GOLDEN").is_ok_and(|v| v == "1") {
        return; // the files are being written by the other test
    }
    for name in &names {
        assert!(
            golden_dir().join(name).is_file(),
            "golden file {name} is missing"
        );
    }
    for entry in std::fs::read_dir(golden_dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            name == "README.md" || names.contains(&name.as_str()),
            "{name} has no test"
        );
    }
}
