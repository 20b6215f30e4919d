//! TSM format conformance: the golden files with their expected contents,
//! and a check that any TSM reader implementation can be run against.
//!
//! The golden files live in `vectors/tsm/v<N>/` of this crate, written once
//! by `skulk-format`'s writer and never regenerated (append-only). A reader
//! is adapted to [`TsmReadApi`] (three methods) and handed to
//! [`check_tsm_reader`], which reads every golden file completely, runs
//! range queries, asks for absent series, and sweeps truncations and byte
//! flips of each file: every answer must be the expected data or a typed
//! error, never a panic and never wrong values.
//!
//! `skulk_format::TsmReader` implements the trait here; its own run is in
//! `tests/it/format_conformance.rs`.
//!
//! [`golden_tsm_files`] is the one definition of the files: name, input,
//! writer options, the codec ids their blocks recorded, and whether today's
//! writer must still reproduce them. `skulk-format`'s `tests/it/golden.rs`
//! takes all of it from here to check its writer and reader, and writes a
//! missing file under `SKULK_WRITE_GOLDEN=1`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use skulk_codec::{CodecChoice, CodecId};
use skulk_format::{
    FormatError, FormatVersion, SeriesId, SeriesMeta, TimeRange, TsmReader, TsmWriterOptions,
};

use crate::corruption::{CorruptionReport, ErrorText, SweepConfig, sweep_exact};

/// The points of one series, values kept as bit patterns so that equality
/// is bit-exact (NaN equals itself, `-0.0` differs from `0.0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesContents {
    /// The series' metric and labels.
    pub meta: SeriesMeta,
    /// Timestamps, ascending.
    pub timestamps: Vec<i64>,
    /// `f64::to_bits` of each value.
    pub value_bits: Vec<u64>,
}

impl SeriesContents {
    /// Contents from timestamps and values.
    pub fn new(meta: SeriesMeta, timestamps: Vec<i64>, values: &[f64]) -> Self {
        Self {
            meta,
            timestamps,
            value_bits: values.iter().map(|v| v.to_bits()).collect(),
        }
    }

    /// The values, from their bit patterns.
    pub fn values(&self) -> Vec<f64> {
        self.value_bits.iter().map(|b| f64::from_bits(*b)).collect()
    }

    /// The points whose timestamp lies in `range`.
    pub fn in_range(&self, range: TimeRange) -> (Vec<i64>, Vec<u64>) {
        self.timestamps
            .iter()
            .zip(&self.value_bits)
            .filter(|(t, _)| range.contains(**t))
            .map(|(t, v)| (*t, *v))
            .unzip()
    }
}

/// Everything a TSM file holds, by series id.
pub type TsmContents = BTreeMap<SeriesId, SeriesContents>;

/// What a TSM reader must offer to be checked.
pub trait TsmReadApi {
    /// The reader's error type.
    type Error: fmt::Debug;
    /// Every series in the file.
    fn series(&self) -> Vec<SeriesMeta>;
    /// The points of series `id` in `range`, ascending by time; empty when
    /// the file does not hold the series.
    fn read_series(
        &self,
        id: SeriesId,
        range: TimeRange,
    ) -> Result<(Vec<i64>, Vec<f64>), Self::Error>;
}

impl<B: AsRef<[u8]>> TsmReadApi for TsmReader<B> {
    type Error = FormatError;

    fn series(&self) -> Vec<SeriesMeta> {
        TsmReader::series(self)
            .map(|entry| entry.meta.to_meta())
            .collect()
    }

    fn read_series(
        &self,
        id: SeriesId,
        range: TimeRange,
    ) -> Result<(Vec<i64>, Vec<f64>), FormatError> {
        TsmReader::read_series(self, id, range)
    }
}

/// Reads every point of every series.
pub fn read_contents<R: TsmReadApi>(reader: &R) -> Result<TsmContents, R::Error> {
    let mut out = TsmContents::new();
    for meta in reader.series() {
        let (ts, vs) = reader.read_series(meta.id(), TimeRange::ALL)?;
        out.insert(meta.id(), SeriesContents::new(meta, ts, &vs));
    }
    Ok(out)
}

/// One golden file: its input, the options it was written with, and what
/// its blocks recorded.
#[derive(Debug, Clone)]
pub struct GoldenTsm {
    /// File name in `vectors/tsm/v<version>/`.
    pub name: &'static str,
    /// Format version of the file.
    pub version: u8,
    /// The series written into it, in writing order.
    pub series: fn() -> Vec<SeriesContents>,
    /// The writer options it was written with.
    pub options: TsmWriterOptions,
    /// Under [`CodecChoice::Adaptive`], the (timestamp, value) codec ids
    /// recorded in each block, in file order; empty for a fixed choice,
    /// whose pair every block carries.
    pub adaptive_codecs: &'static [(CodecId, CodecId)],
    /// Whether today's writer must reproduce the file byte for byte from
    /// [`Self::series`] and [`Self::options`]. True for every file when it is
    /// written. A deliberate writer change (e.g. of the adaptive selector)
    /// never rewrites a file: it sets this to false, so the file stays a
    /// read-compatibility case (decoded and checked against its recorded
    /// codec ids, no longer compared with a fresh write), and the new output
    /// goes into a new file under a new name.
    pub reproduced: bool,
}

impl GoldenTsm {
    /// The file's path.
    pub fn path(&self) -> PathBuf {
        vectors_dir()
            .join("tsm")
            .join(format!("v{}", self.version))
            .join(self.name)
    }

    /// The file's bytes.
    pub fn bytes(&self) -> std::io::Result<Vec<u8>> {
        std::fs::read(self.path())
    }

    /// The contents a reader must return, by series id.
    pub fn expected(&self) -> TsmContents {
        (self.series)()
            .into_iter()
            .map(|s| (s.meta.id(), s))
            .collect()
    }
}

/// The folder of golden files, `vectors/` in this crate.
pub fn vectors_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/vectors"))
}

/// Every golden TSM file of every version.
pub fn golden_tsm_files() -> Vec<GoldenTsm> {
    vec![
        reproduced("raw_small.tsm", raw_small, RAW_BLOCKS_OF_3),
        reproduced("raw_empty.tsm", Vec::new, RAW_BLOCKS_OF_3),
        reproduced(
            "raw_many_series.tsm",
            raw_many_series,
            TsmWriterOptions {
                bloom_false_positive_rate: 0.2,
                ..RAW_BLOCKS_OF_3
            },
        ),
        reproduced(
            "gorilla_small.tsm",
            gorilla_small,
            TsmWriterOptions {
                max_points_per_block: 50,
                codec: CodecChoice::GORILLA,
                ..RAW_BLOCKS_OF_3
            },
        ),
        // Written when the version-1 codecs were the adaptive default;
        // `AdaptiveV1` is that selector (skulk-codec's selector tests pin it
        // to the original byte for byte), so the file is still reproduced.
        GoldenTsm {
            adaptive_codecs: ADAPTIVE_SMALL_CODECS,
            ..reproduced(
                "adaptive_small.tsm",
                adaptive_small,
                TsmWriterOptions {
                    codec: CodecChoice::AdaptiveV1,
                    ..ADAPTIVE_BLOCKS_OF_64
                },
            )
        },
        GoldenTsm {
            adaptive_codecs: ADAPTIVE_SMALL_2_CODECS,
            ..reproduced(
                "adaptive_small_2.tsm",
                adaptive_small,
                ADAPTIVE_BLOCKS_OF_64,
            )
        },
    ]
    .into_iter()
    .chain(
        [FormatVersion::V2, FormatVersion::V3]
            .into_iter()
            .flat_map(raw_files_in),
    )
    .collect()
}

/// The `raw_*` files of format `version` (2 on): the inputs of their
/// version-1 namesakes, reproduced.
fn raw_files_in(version: FormatVersion) -> [GoldenTsm; 3] {
    let many = TsmWriterOptions {
        bloom_false_positive_rate: 0.2,
        ..raw_blocks_of_3(version)
    };
    [
        reproduced("raw_many_series.tsm", raw_many_series, many),
        reproduced("raw_small.tsm", raw_small, raw_blocks_of_3(version)),
        reproduced("raw_empty.tsm", Vec::new, raw_blocks_of_3(version)),
    ]
}

/// A file that today's writer reproduces, of the format version its
/// options write; `adaptive_codecs` is left empty (set it for a file
/// written with [`CodecChoice::Adaptive`]).
fn reproduced(
    name: &'static str,
    series: fn() -> Vec<SeriesContents>,
    options: TsmWriterOptions,
) -> GoldenTsm {
    GoldenTsm {
        name,
        version: options.version.as_u8(),
        series,
        options,
        adaptive_codecs: &[],
        reproduced: true,
    }
}

/// The options of the `raw_*` files of format `version`.
const fn raw_blocks_of_3(version: FormatVersion) -> TsmWriterOptions {
    TsmWriterOptions {
        version,
        ..RAW_BLOCKS_OF_3
    }
}

/// The options of the version-1 `raw_*` files.
const RAW_BLOCKS_OF_3: TsmWriterOptions = TsmWriterOptions {
    max_points_per_block: 3,
    codec: CodecChoice::RAW,
    bloom_false_positive_rate: 0.01,
    version: FormatVersion::V1,
};

/// The options of the `adaptive_small*` files: the default adaptive codecs.
const ADAPTIVE_BLOCKS_OF_64: TsmWriterOptions = TsmWriterOptions {
    max_points_per_block: 64,
    codec: CodecChoice::Adaptive,
    bloom_false_positive_rate: 0.01,
    version: FormatVersion::V1,
};

/// The codecs of each block of `adaptive_small_2.tsm` (the same input as
/// `adaptive_small.tsm`, with the version-2 codecs), in file order (also
/// listed in the README of `vectors/tsm/v1/`).
const ADAPTIVE_SMALL_2_CODECS: &[(CodecId, CodecId)] = {
    use CodecId::{
        AlpVectorValues as AlpV, GorillaTimestamps as GorillaTs, GorillaValues as GorillaVs,
        RawTimestamps as RawTs, RawValues as RawVs, StepTimestamps as Step,
    };
    &[
        (Step, AlpV),           // cpu.usage, points 0..64
        (Step, AlpV),           // cpu.usage, points 64..128
        (GorillaTs, AlpV),      // cpu.usage, points 128..150
        (GorillaTs, GorillaVs), // setpoint, points 0..64
        (GorillaTs, GorillaVs), // setpoint, points 64..100
        (GorillaTs, AlpV),      // counter
        (RawTs, GorillaVs),     // extremes
        (Step, GorillaVs),      // single
        (RawTs, RawVs),         // wide
    ]
};

/// The codecs of each block of `adaptive_small.tsm`, in file order (also
/// listed in the README of `vectors/tsm/v1/`).
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

fn meta(metric: &str, labels: &[(&str, &str)]) -> SeriesMeta {
    SeriesMeta::new(
        metric,
        labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// `raw_small.tsm`: extremes, special floats, one point, an empty series.
fn raw_small() -> Vec<SeriesContents> {
    let base = 1_700_000_000_000_000_000_i64;
    vec![
        SeriesContents::new(
            meta("cpu.usage", &[("host", "server1"), ("dc", "eu-west")]),
            (0..5).map(|i| base + i * 10_000_000).collect(),
            &[0.5, 0.25, 100.0, -3.75, 1e300],
        ),
        SeriesContents::new(
            meta("extremes", &[]),
            vec![i64::MIN, -1, 0, i64::MAX],
            &[
                f64::NAN,
                -0.0,
                f64::NEG_INFINITY,
                f64::from_bits(0x7ff4_0000_dead_beef),
            ],
        ),
        SeriesContents::new(
            meta("single", &[("k", "v")]),
            vec![42],
            &[f64::from_bits(1)],
        ),
        SeriesContents::new(meta("empty", &[("why", "no points")]), vec![], &[]),
    ]
}

/// `raw_many_series.tsm`: twenty series of seven points, UTF-8 labels.
fn raw_many_series() -> Vec<SeriesContents> {
    (0..20)
        .map(|s: i64| {
            let ts = (0..7).map(|i| i * 1_000_000_000 + s).collect();
            let vs: Vec<f64> = (0..7).map(|i| (i * 10 + s) as f64 / 4.0).collect();
            let sensor = format!("s{s:02}");
            SeriesContents::new(
                meta("temp.°C", &[("sensor", &sensor), ("site", "zürich")]),
                ts,
                &vs,
            )
        })
        .collect()
}

const BASE: i64 = 1_700_000_000_000_000_000;
const SECOND: i64 = 1_000_000_000;

/// The `extremes`, `single` and `empty` series of `raw_small.tsm`.
fn awkward() -> Vec<SeriesContents> {
    raw_small().split_off(1)
}

/// A counter with a reset, one point a second.
fn counter() -> SeriesContents {
    let values: Vec<f64> = (0..60)
        .map(|i| (i % 30 * (i % 30 + 1) / 2) as f64)
        .collect();
    SeriesContents::new(
        meta("counter", &[("unit", "requests")]),
        (0..60).map(|i| BASE + i * SECOND).collect(),
        &values,
    )
}

/// `gorilla_small.tsm` (Gorilla codecs): a jittered decimal series in three
/// blocks, a counter, extremes, one point, an empty series.
fn gorilla_small() -> Vec<SeriesContents> {
    let values: Vec<f64> = (0..130)
        .map(|i: i64| (2000 + i * 37 % 101 - 50) as f64 / 100.0)
        .collect();
    let mut series = vec![
        SeriesContents::new(
            meta("cpu.usage", &[("host", "server1"), ("dc", "eu-west")]),
            (0..130)
                .map(|i| BASE + i * 10 * SECOND + (i * 7919 % 13 - 6) * 1_000_000)
                .collect(),
            &values,
        ),
        counter(),
    ];
    series.extend(awkward());
    series
}

/// `adaptive_small.tsm` (adaptive codecs): blocks that chose delta-pack and
/// ALP, Gorilla, and raw (see the README of `vectors/tsm/v1/`).
fn adaptive_small() -> Vec<SeriesContents> {
    let cpu: Vec<f64> = (0..150)
        .scan(4000i64, |m, i: i64| {
            *m += i * 7919 % 41 - 20;
            Some(*m as f64 / 100.0)
        })
        .collect();
    let setpoint: Vec<f64> = (0..100).map(|i: i64| (i / 8 + 60) as f64 / 3.0).collect();
    let mut series = vec![
        SeriesContents::new(
            meta("cpu.usage", &[("host", "a")]),
            (0..150)
                .map(|i| BASE + i * SECOND + (i * 7919 % 2001 - 1000) * 1000)
                .collect(),
            &cpu,
        ),
        SeriesContents::new(
            meta("setpoint", &[("room", "lab")]),
            (0..100).map(|i| BASE + i * 10 * SECOND).collect(),
            &setpoint,
        ),
        counter(),
    ];
    series.extend(awkward());
    series.push(SeriesContents::new(
        meta("wide", &[("kind", "random")]),
        vec![
            i64::MIN + 12_345,
            -987_654_321_987_654_321,
            3_141_592_653_589_793_238,
        ],
        &[
            f64::from_bits(0x3ff1_2345_6789_abcd),
            f64::from_bits(0xc0fe_dcba_9876_5432),
            f64::from_bits(0x7ff0_0000_0000_0001),
        ],
    ));
    series
}

/// What [`check_tsm_reader`] did.
#[derive(Debug, Clone, Default)]
pub struct FormatSuiteReport {
    /// Golden files read.
    pub files: usize,
    /// Range queries compared.
    pub range_queries: usize,
    /// Truncations and flips tried, over all files.
    pub corruption: CorruptionReport,
}

/// Ranges that cut a series' points in interesting places.
fn probe_ranges(timestamps: &[i64]) -> Vec<TimeRange> {
    let mut ranges = vec![TimeRange::ALL];
    let (Some(&first), Some(&last)) = (timestamps.first(), timestamps.last()) else {
        return ranges;
    };
    let mid = timestamps
        .get(timestamps.len() / 2)
        .copied()
        .unwrap_or(first);
    for (start, end) in [
        (first, mid),
        (mid, last),
        (mid, mid.saturating_add(1)),
        (i64::MIN, first),
        (last, i64::MAX),
    ] {
        if let Ok(range) = TimeRange::new(start, end) {
            ranges.push(range);
        }
    }
    ranges
}

/// Runs the TSM conformance check on the reader that `open` builds from a
/// file's bytes (owned, so the reader may keep them). Returns what was checked, or a description of the first
/// failure. `sweep` chooses the corruption cases (e.g.
/// [`SweepConfig::quick`]); `None` skips the sweep.
pub fn check_tsm_reader<R: TsmReadApi, E: fmt::Debug>(
    open: impl Fn(Vec<u8>) -> Result<R, E>,
    sweep: Option<&SweepConfig>,
) -> Result<FormatSuiteReport, String> {
    let mut report = FormatSuiteReport::default();
    for golden in golden_tsm_files() {
        let name = golden.name;
        let bytes = golden
            .bytes()
            .map_err(|e| format!("{}: {e}", golden.path().display()))?;
        let expected = golden.expected();
        let reader = open(bytes.clone()).map_err(|e| format!("{name}: open failed: {e:?}"))?;
        let got = read_contents(&reader).map_err(|e| format!("{name}: read failed: {e:?}"))?;
        if got != expected {
            return Err(format!(
                "{name}: contents differ\n got: {got:?}\nwant: {expected:?}"
            ));
        }
        for (id, series) in &expected {
            for range in probe_ranges(&series.timestamps) {
                let (ts, vs) = reader
                    .read_series(*id, range)
                    .map_err(|e| format!("{name}: {e:?}"))?;
                let want = series.in_range(range);
                if (ts.clone(), vs.iter().map(|v| v.to_bits()).collect()) != want {
                    return Err(format!(
                        "{name}: series {} in {range:?}: got {ts:?}",
                        series.meta
                    ));
                }
                report.range_queries += 1;
            }
        }
        let absent = SeriesId(!expected.keys().next().map_or(0, |id| id.0));
        match reader.read_series(absent, TimeRange::ALL) {
            Ok((ts, _)) if ts.is_empty() => {}
            other => return Err(format!("{name}: absent series gave {other:?}")),
        }
        if let Some(config) = sweep {
            let case = sweep_exact(&bytes, &expected, config, |b| {
                let reader = open(b.to_vec()).map_err(ErrorText::of)?;
                read_contents(&reader).map_err(ErrorText::of)
            });
            if !case.is_clean() {
                return Err(format!("{name}: corruption sweep failed:\n{case}"));
            }
            report.corruption.merge(case);
        }
        report.files += 1;
    }
    Ok(report)
}
