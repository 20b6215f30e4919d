//! Golden files of TSM format version 1 in `skulk-testkit/vectors/tsm/v1`.
//!
//! Append-only: each listed file was written once with
//! `SKULK_WRITE_GOLDEN=1 cargo test -p skulk-format --test it golden`, which
//! only creates files that are missing and never overwrites one. Without the
//! variable, every listed file must exist, decode to its input, and equal
//! byte for byte a file freshly written from the same input, so an
//! accidental change of the format (or of a pinned codec) fails here.
//!
//! Each file also pins the codec ids recorded in its blocks: the fixed pair
//! of its [`CodecChoice`], or, for `adaptive_small.tsm`, the per-block
//! choice of the adaptive selector listed in `ADAPTIVE_SMALL_CODECS`, so a
//! selector change is caught twice (the ids, then the bytes). A deliberate
//! selector change never rewrites the file: the old file stays, still
//! decoded and checked against its recorded ids, but no longer compared
//! with a fresh write (a read-compatibility case), and the new choices go
//! into a new file under a new name (e.g. `adaptive_small_2.tsm`).

use std::path::{Path, PathBuf};

use skulk_codec::{BlockView, CodecChoice, CodecId};
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
    /// Under [`CodecChoice::Adaptive`], the (timestamp, value) codecs of
    /// each block in file order, as recorded in the file; empty for a fixed
    /// choice, whose pair every block must carry.
    adaptive_codecs: &'static [(CodecId, CodecId)],
}

const RAW_BLOCKS_OF_3: TsmWriterOptions = TsmWriterOptions {
    max_points_per_block: 3,
    codec: CodecChoice::RAW,
    bloom_false_positive_rate: 0.01,
};

fn listed() -> [Golden; 5] {
    [
        Golden {
            name: "raw_small.tsm",
            series: raw_small,
            options: RAW_BLOCKS_OF_3,
            adaptive_codecs: &[],
        },
        Golden {
            name: "raw_empty.tsm",
            series: Vec::new,
            options: RAW_BLOCKS_OF_3,
            adaptive_codecs: &[],
        },
        Golden {
            name: "raw_many_series.tsm",
            series: raw_many_series,
            options: TsmWriterOptions {
                bloom_false_positive_rate: 0.2,
                ..RAW_BLOCKS_OF_3
            },
            adaptive_codecs: &[],
        },
        Golden {
            name: "gorilla_small.tsm",
            series: gorilla_small,
            options: TsmWriterOptions {
                max_points_per_block: 50,
                codec: CodecChoice::GORILLA,
                bloom_false_positive_rate: 0.01,
            },
            adaptive_codecs: &[],
        },
        Golden {
            name: "adaptive_small.tsm",
            series: adaptive_small,
            options: TsmWriterOptions {
                max_points_per_block: 64,
                codec: CodecChoice::Adaptive,
                bloom_false_positive_rate: 0.01,
            },
            adaptive_codecs: ADAPTIVE_SMALL_CODECS,
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

const BASE: i64 = 1_700_000_000_000_000_000;
const SECOND: i64 = 1_000_000_000;

/// The `extremes`, `single` and `empty` series of `raw_small`.
fn awkward() -> Vec<Series> {
    raw_small().split_off(1)
}

/// Gorilla codecs: a jittered decimal series, a counter, extremes.
fn gorilla_small() -> Vec<Series> {
    let mut series = vec![
        (
            meta("cpu.usage", &[("host", "server1"), ("dc", "eu-west")]),
            (0..130)
                .map(|i| BASE + i * 10 * SECOND + (i * 7919 % 13 - 6) * 1_000_000)
                .collect(),
            (0..130)
                .map(|i| (2000 + i * 37 % 101 - 50) as f64 / 100.0)
                .collect(),
        ),
        (
            meta("counter", &[("unit", "requests")]),
            (0..60).map(|i| BASE + i * SECOND).collect(),
            (0..60)
                .map(|i| (i % 30 * (i % 30 + 1) / 2) as f64)
                .collect(),
        ),
    ];
    series.extend(awkward());
    series
}

/// The default adaptive choice: blocks that pick delta-pack and ALP, and
/// others that fall back to Gorilla or raw.
fn adaptive_small() -> Vec<Series> {
    let mut series = vec![
        (
            meta("cpu.usage", &[("host", "a")]),
            (0..150)
                .map(|i| BASE + i * SECOND + (i * 7919 % 2001 - 1000) * 1000)
                .collect(),
            (0..150)
                .scan(4000i64, |m, i| {
                    *m += i * 7919 % 41 - 20;
                    Some(*m as f64 / 100.0)
                })
                .collect(),
        ),
        (
            meta("setpoint", &[("room", "lab")]),
            (0..100).map(|i| BASE + i * 10 * SECOND).collect(),
            (0..100).map(|i| (i / 8 + 60) as f64 / 3.0).collect(),
        ),
        (
            meta("counter", &[("unit", "requests")]),
            (0..60).map(|i| BASE + i * SECOND).collect(),
            (0..60)
                .map(|i| (i % 30 * (i % 30 + 1) / 2) as f64)
                .collect(),
        ),
    ];
    series.extend(awkward());
    series.push((
        meta("wide", &[("kind", "random")]),
        vec![
            i64::MIN + 12_345,
            -987_654_321_987_654_321,
            3_141_592_653_589_793_238,
        ],
        vec![
            f64::from_bits(0x3ff1_2345_6789_abcd),
            f64::from_bits(0xc0fe_dcba_9876_5432),
            f64::from_bits(0x7ff0_0000_0000_0001),
        ],
    ));
    series
}

/// The codecs of each block of `adaptive_small.tsm`, in file order.
const ADAPTIVE_SMALL_CODECS: &[(CodecId, CodecId)] = {
    use CodecId::{
        AlpValues as Alp, DeltaPackTimestamps as DeltaPack, GorillaTimestamps as GorillaTs,
        GorillaValues as GorillaVs, RawTimestamps as RawTs, RawValues as RawVs,
    };
    &[
        (DeltaPack, Alp),       // cpu.usage, points 0..64
        (DeltaPack, Alp),       // cpu.usage, points 64..128
        (DeltaPack, Alp),       // cpu.usage, points 128..150
        (GorillaTs, GorillaVs), // setpoint, points 0..64
        (GorillaTs, GorillaVs), // setpoint, points 64..100
        (GorillaTs, Alp),       // counter
        (DeltaPack, GorillaVs), // extremes
        (DeltaPack, GorillaVs), // single
        (RawTs, RawVs),         // wide
    ]
};

/// The (timestamp, value) codec ids recorded in each block, in file order.
fn block_codecs(bytes: &[u8]) -> Vec<(CodecId, CodecId)> {
    let reader = TsmReader::open(bytes).unwrap();
    let mut blocks: Vec<_> = reader
        .series()
        .flat_map(|entry| entry.blocks.iter().copied())
        .collect();
    blocks.sort_by_key(|block| block.offset);
    blocks
        .iter()
        .map(|block| {
            // The compressed block follows the series id and block length
            // and precedes the CRC (FORMAT.md, "Data section: block records").
            let start = block.offset as usize + 12;
            let end = (block.offset + u64::from(block.len)) as usize - 4;
            let header = *BlockView::parse(&bytes[start..end]).unwrap().header();
            (header.timestamp_codec, header.value_codec)
        })
        .collect()
}

fn expected_codecs(golden: &Golden, blocks: usize) -> Vec<(CodecId, CodecId)> {
    match golden.options.codec {
        CodecChoice::Fixed { timestamps, values } => vec![(timestamps, values); blocks],
        CodecChoice::Adaptive => golden.adaptive_codecs.to_vec(),
    }
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
    let codecs = block_codecs(&bytes);
    assert_eq!(
        codecs,
        expected_codecs(golden, codecs.len()),
        "{}: the blocks' codecs changed",
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
