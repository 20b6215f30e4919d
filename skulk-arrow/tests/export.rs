//! The Parquet export: its layout, and every point read back bit for bit
//! by the `parquet` crate's own Arrow reader.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, TimestampNanosecondType};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use skulk_arrow::hive::DAY_NANOS;
use skulk_arrow::{ParquetOptions, export_parquet};
use skulk_engine::{DataPoint, Engine, EngineConfig, Query, SeriesSelector, SyncMode, TimeRange};

fn engine(dir: &Path) -> Engine {
    let mut config = EngineConfig::default();
    config.wal.sync_mode = SyncMode::None;
    config.background = false;
    Engine::open(dir, config).unwrap()
}

/// (metric, labels, time) → value bits.
type Points = BTreeMap<(String, Vec<(String, String)>, i64), u64>;

fn from_engine(engine: &Engine) -> Points {
    let mut points = Points::new();
    for s in engine
        .query(&Query::raw(SeriesSelector::all(), TimeRange::ALL))
        .unwrap()
    {
        let labels: Vec<_> = s
            .series
            .labels()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (t, v) in s.timestamps.iter().zip(&s.values) {
            points.insert(
                (s.series.metric().to_string(), labels.clone(), *t),
                v.to_bits(),
            );
        }
    }
    points
}

/// Reads every file back; the metric comes from the file's metadata (and
/// must agree with its folder), the labels from its columns.
fn from_export(out: &Path, files: &[skulk_arrow::ExportedFile]) -> Points {
    let mut points = Points::new();
    for f in files {
        let file = File::open(out.join(&f.path)).unwrap();
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        let kv = builder
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .unwrap()
            .clone();
        let metric = kv
            .iter()
            .find(|k| k.key == "skulk.metric")
            .unwrap()
            .value
            .clone()
            .unwrap();
        assert_eq!(metric, f.metric);
        assert!(
            kv.iter()
                .any(|k| k.key == "skulk.schema_version" && k.value.as_deref() == Some("1"))
        );
        let mut rows = 0;
        for batch in builder.build().unwrap() {
            let batch = batch.unwrap();
            rows += batch.num_rows() as u64;
            let schema = batch.schema();
            let time = batch.column(0).as_primitive::<TimestampNanosecondType>();
            let value = batch.column(1).as_primitive::<Float64Type>();
            for i in 0..batch.num_rows() {
                let mut labels = Vec::new();
                for (c, field) in schema.fields().iter().enumerate().skip(2) {
                    let col = batch.column(c).as_dictionary::<Int32Type>();
                    if !col.is_null(i) {
                        let words = col.values().as_string::<i32>();
                        let name = field.name().trim_start_matches("label:").to_string();
                        labels.push((name, words.value(col.keys().value(i) as usize).to_string()));
                    }
                }
                labels.sort();
                let t = time.value(i);
                assert_eq!(
                    skulk_arrow::hive::date_of_day(t.div_euclid(DAY_NANOS)),
                    f.date
                );
                let old = points.insert((metric.clone(), labels, t), value.value(i).to_bits());
                assert!(old.is_none(), "a point exported twice");
            }
        }
        assert_eq!(rows, f.rows);
    }
    points
}

/// Every point, with the default options.
fn export_all(engine: &Engine, out: &Path) -> skulk_arrow::Result<skulk_arrow::ExportSummary> {
    export_parquet(
        engine,
        &SeriesSelector::all(),
        TimeRange::ALL,
        out,
        &ParquetOptions::default(),
    )
}

fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn every_point_comes_back_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    let specials = [
        f64::NAN,
        f64::from_bits(0x7ff8_dead_beef_0001),
        -0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        5e-324,
        f64::MAX,
    ];
    let mut points = Vec::new();
    for day in -1i64..3 {
        for i in 0..500i64 {
            let t = day * DAY_NANOS + i * 170_000_000_000;
            let v = specials[(i as usize) % specials.len()] * if i % 2 == 0 { 1.0 } else { -1.0 };
            points.push(DataPoint::new(
                "cpu",
                labels(&[("host", "a"), ("date", "x")]),
                t,
                v,
            ));
            points.push(DataPoint::new(
                "cpu",
                labels(&[("host", "b/c=d")]),
                t + 1,
                i as f64 / 3.0,
            ));
            points.push(DataPoint::new(
                if day == 2 { "disk io" } else { "disk/io%" },
                labels(&[("dev", "sda")]),
                t,
                f64::from(i as u32),
            ));
        }
    }
    engine.write_batch(&points).unwrap();
    engine.flush().unwrap();
    engine
        .write(&DataPoint::new(
            "cpu",
            labels(&[("host", "a"), ("date", "x")]),
            7,
            7.5,
        ))
        .unwrap();

    let out = dir.path().join("export");
    let options = ParquetOptions {
        file_rows: 300,
        ..ParquetOptions::default()
    };
    let summary = export_parquet(
        &engine,
        &SeriesSelector::all(),
        TimeRange::ALL,
        &out,
        &options,
    )
    .unwrap();
    assert_eq!(summary.points, points.len() as u64 + 1);
    let names: Vec<String> = summary
        .files
        .iter()
        .map(|f| f.path.display().to_string())
        .collect();
    assert!(
        names.contains(&"metric=cpu/date=1969-12-31/part-0.parquet".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"metric=cpu/date=1970-01-01/part-1.parquet".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"metric=disk io/date=1970-01-03/part-0.parquet".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"metric=disk%2Fio%25/date=1970-01-02/part-0.parquet".to_string()),
        "{names:?}"
    );
    for f in &summary.files {
        assert!(f.rows <= 300 + 500, "a part holds {} rows", f.rows);
        assert_eq!(std::fs::metadata(out.join(&f.path)).unwrap().len(), f.bytes);
    }
    assert_eq!(from_export(&out, &summary.files), from_engine(&engine));
    let leftovers: Vec<_> = walk(&out)
        .into_iter()
        .filter(|p| !p.ends_with(".parquet"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn walk(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path.display().to_string());
        }
    }
    files
}

#[test]
fn a_selection_and_range_export_only_their_points() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    for t in 0..100 {
        engine
            .write(&DataPoint::new("cpu", labels(&[("host", "a")]), t, 1.0))
            .unwrap();
        engine
            .write(&DataPoint::new("mem", vec![], t, 2.0))
            .unwrap();
    }
    let out = dir.path().join("out");
    let range = TimeRange::new(10, 20).unwrap();
    let summary = export_parquet(
        &engine,
        &SeriesSelector::metric("cpu"),
        range,
        &out,
        &ParquetOptions::default(),
    )
    .unwrap();
    assert_eq!(summary.points, 10);
    assert_eq!(summary.files.len(), 1);
    assert_eq!(summary.files[0].metric, "cpu");
}

#[test]
fn an_export_refuses_a_folder_that_holds_anything() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    engine
        .write(&DataPoint::new("cpu", vec![], 1, 1.0))
        .unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("keep.txt"), b"mine").unwrap();
    let err = export_all(&engine, &out).unwrap_err();
    assert!(err.to_string().contains("not empty"), "{err}");
    assert_eq!(std::fs::read(out.join("keep.txt")).unwrap(), b"mine");
}

#[test]
fn an_export_appends_to_an_earlier_one_without_replacing_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    let mut points = Vec::new();
    for i in 0..300i64 {
        let t = i * DAY_NANOS / 100;
        points.push(DataPoint::new("cpu", labels(&[("host", "a")]), t, i as f64));
        points.push(DataPoint::new("mem", vec![], t + 1, -(i as f64)));
    }
    engine.write_batch(&points).unwrap();
    let out = dir.path().join("lake");
    let export = |range: TimeRange, append: bool| {
        let options = ParquetOptions {
            append,
            ..ParquetOptions::default()
        };
        export_parquet(&engine, &SeriesSelector::all(), range, &out, &options)
    };
    let middle = DAY_NANOS + DAY_NANOS / 2;
    let first_half = TimeRange::new(0, middle).unwrap();
    let second_half = TimeRange::new(middle, 3 * DAY_NANOS).unwrap();
    let first = export(first_half, true).unwrap();
    let err = export(second_half, false).unwrap_err();
    assert!(err.to_string().contains("not empty"), "{err}");
    let before: Vec<Vec<u8>> = first
        .files
        .iter()
        .map(|f| std::fs::read(out.join(&f.path)).unwrap())
        .collect();
    // A file put in a later day's folder, of times outside that day:
    // numbering goes past it.
    let foreign = out.join("metric=cpu/date=1970-01-03/part-5.parquet");
    std::fs::create_dir_all(foreign.parent().unwrap()).unwrap();
    std::fs::copy(out.join(&first.files[0].path), &foreign).unwrap();
    let second = export(second_half, true).unwrap();
    let paths = |s: &skulk_arrow::ExportSummary| -> Vec<String> {
        s.files
            .iter()
            .map(|f| f.path.display().to_string())
            .collect()
    };
    assert_eq!(
        paths(&first),
        [
            "metric=cpu/date=1970-01-01/part-0.parquet",
            "metric=mem/date=1970-01-01/part-0.parquet",
            "metric=cpu/date=1970-01-02/part-0.parquet",
            "metric=mem/date=1970-01-02/part-0.parquet",
        ]
    );
    assert_eq!(
        paths(&second),
        [
            "metric=cpu/date=1970-01-02/part-1.parquet",
            "metric=mem/date=1970-01-02/part-1.parquet",
            "metric=cpu/date=1970-01-03/part-6.parquet",
            "metric=mem/date=1970-01-03/part-0.parquet",
        ]
    );
    for (file, bytes) in first.files.iter().zip(&before) {
        assert!(&std::fs::read(out.join(&file.path)).unwrap() == bytes);
    }
    assert_eq!(std::fs::read(&foreign).unwrap(), before[0]);
    let mut files = first.files.clone();
    files.extend(second.files.iter().cloned());
    assert_eq!(from_export(&out, &files), from_engine(&engine));
    assert_eq!(first.points + second.points, points.len() as u64);
    let on_disk = walk(&out);

    // The same times again would repeat points: refused, naming the file
    // that holds them, and nothing is written.
    let again = TimeRange::new(DAY_NANOS, 2 * DAY_NANOS).unwrap();
    let err = export(again, true).unwrap_err().to_string();
    assert!(
        err.contains("date=1970-01-02/part-")
            && err.contains(".parquet holds points from")
            && err.contains("twice"),
        "{err}"
    );
    assert_eq!(walk(&out), on_disk);
    // A file in a day's folder that is not Parquet: no telling what it
    // holds, so an append to that day is refused too.
    let junk = out.join("metric=mem/date=1970-01-03/part-9.parquet");
    std::fs::write(&junk, b"not ours").unwrap();
    let late = 3 * DAY_NANOS - 1;
    engine
        .write(&DataPoint::new("mem", vec![], late, 1.0))
        .unwrap();
    let err = export(TimeRange::new(late, late + 1).unwrap(), true)
        .unwrap_err()
        .to_string();
    assert!(err.contains("part-9.parquet"), "{err}");
    std::fs::remove_file(&junk).unwrap();
    let last = export(TimeRange::new(late, late + 1).unwrap(), true).unwrap();
    assert_eq!(paths(&last), ["metric=mem/date=1970-01-03/part-1.parquet"]);
}

#[test]
fn two_appends_at_once_never_write_a_point_twice() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    let points: Vec<DataPoint> = (0..2_000i64)
        .map(|i| DataPoint::new("cpu", vec![], i * DAY_NANOS / 500, i as f64))
        .collect();
    engine.write_batch(&points).unwrap();
    let out = dir.path().join("lake");
    for _ in 0..5 {
        let _ = std::fs::remove_dir_all(&out);
        let options = ParquetOptions {
            append: true,
            threads: 1,
            ..ParquetOptions::default()
        };
        let export = || {
            export_parquet(
                &engine,
                &SeriesSelector::all(),
                TimeRange::ALL,
                &out,
                &options,
            )
        };
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(export);
            let b = s.spawn(export);
            (a.join().unwrap(), b.join().unwrap())
        });
        let won: Vec<_> = [a, b].into_iter().filter_map(Result::ok).collect();
        assert_eq!(won.len(), 1, "exactly one of the two is published");
        let mut published: Vec<String> = won[0]
            .files
            .iter()
            .map(|f| out.join(&f.path).display().to_string())
            .collect();
        published.sort();
        let mut on_disk = walk(&out);
        on_disk.sort();
        assert_eq!(
            on_disk, published,
            "no other file, none under a temporary name"
        );
        assert_eq!(from_export(&out, &won[0].files), from_engine(&engine));
    }
}

#[test]
fn an_empty_selection_writes_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    engine
        .write(&DataPoint::new("cpu", vec![], 1, 1.0))
        .unwrap();
    let out = dir.path().join("out");
    let summary = export_parquet(
        &engine,
        &SeriesSelector::metric("nope"),
        TimeRange::ALL,
        &out,
        &ParquetOptions::default(),
    )
    .unwrap();
    assert_eq!(summary, skulk_arrow::ExportSummary::default());
}

#[test]
fn an_export_of_many_days_publishes_every_file_across_batches() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    // One point a day for more days than one batch publishes at once.
    let days = 1_100i64;
    let batch: Vec<DataPoint> = (0..days)
        .map(|d| DataPoint::new("daily", labels(&[("k", "v")]), d * DAY_NANOS + 7, d as f64))
        .collect();
    engine.write_batch(&batch).unwrap();
    let out = dir.path().join("out");
    let summary = export_all(&engine, &out).unwrap();
    assert_eq!(summary.files.len(), days as usize);
    assert_eq!(summary.points, days as u64);
    let dates: Vec<&str> = summary.files.iter().map(|f| f.date.as_str()).collect();
    let mut sorted = dates.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(dates, sorted, "one file a day, in date order");
    assert_eq!(from_export(&out, &summary.files), from_engine(&engine));
    let on_disk = walk(&out);
    assert_eq!(
        on_disk.len(),
        days as usize,
        "no file left under a temporary name"
    );

    // One thread writes the same files, byte for byte.
    let alone = dir.path().join("alone");
    let one = ParquetOptions {
        threads: 1,
        ..ParquetOptions::default()
    };
    let single = export_parquet(
        &engine,
        &SeriesSelector::all(),
        TimeRange::ALL,
        &alone,
        &one,
    )
    .unwrap();
    assert_eq!(single, summary);
    for file in &summary.files {
        let a = std::fs::read(out.join(&file.path)).unwrap();
        let b = std::fs::read(alone.join(&file.path)).unwrap();
        assert!(a == b, "{} differs", file.path.display());
    }
}

#[test]
fn a_failed_export_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let daily = || {
        let mut config = EngineConfig::default();
        config.wal.sync_mode = SyncMode::None;
        config.background = false;
        config.partition_duration = Some(std::time::Duration::from_secs(86_400));
        config.compaction_min_files = 0;
        Engine::open(dir.path(), config).unwrap()
    };
    {
        let engine = daily();
        // Day 0 and day 1 in two partitions' TSM files; the second is then
        // damaged.
        for day in 0..2i64 {
            let batch: Vec<DataPoint> = (0..5_000)
                .map(|i| {
                    let v = (i as f64 * 0.37).sin() * 1e6;
                    DataPoint::new("cpu", vec![], day * DAY_NANOS + i, v)
                })
                .collect();
            engine.write_batch(&batch).unwrap();
            engine.flush().unwrap();
        }
        engine.close().unwrap();
    }
    let mut tsm: Vec<_> = walk(&dir.path().join("tsm"))
        .into_iter()
        .filter(|p| p.ends_with(".tsm"))
        .collect();
    tsm.sort();
    assert_eq!(tsm.len(), 2, "{tsm:?}");
    let mut bytes = std::fs::read(&tsm[1]).unwrap();
    let middle = bytes.len() / 4;
    bytes[middle] ^= 0x5a;
    std::fs::write(&tsm[1], &bytes).unwrap();

    let engine = daily();
    let out = dir.path().join("out");
    let err = export_all(&engine, &out).unwrap_err();
    assert!(
        err.to_string().contains("tsm"),
        "names the damaged file: {err}"
    );
    // Day 0's file was written before the damage was met; it was never
    // published, and the failure removed it.
    assert_eq!(walk(&out), Vec::<String>::new());
}

/// The codec of every column chunk of an exported file (a file does not
/// record zstd's level).
fn codecs(path: &Path) -> Vec<&'static str> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
    builder
        .metadata()
        .row_groups()
        .iter()
        .flat_map(|g| g.columns().iter().map(|c| c.compression()))
        .map(|c| match c {
            parquet::basic::Compression::ZSTD(_) => "zstd",
            parquet::basic::Compression::UNCOMPRESSED => "none",
            _ => "other",
        })
        .collect()
}

#[test]
fn small_files_are_written_uncompressed_and_the_rest_in_zstd() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    let mut batch = Vec::new();
    // Day 0: 10 points of one series. Day 1: three series of 100 points,
    // so the file reaches the threshold on its third series. Day 2: 255
    // points, one short of it.
    for i in 0..10 {
        batch.push(DataPoint::new(
            "m",
            labels(&[("s", "a")]),
            i,
            0.1 * i as f64,
        ));
    }
    for s in ["a", "b", "c"] {
        for i in 0..100 {
            let t = DAY_NANOS + i;
            batch.push(DataPoint::new(
                "m",
                labels(&[("s", s)]),
                t,
                f64::from_bits(0x7ff8_0000_0000_0000 | i as u64),
            ));
        }
    }
    for i in 0..255 {
        batch.push(DataPoint::new(
            "m",
            labels(&[("s", "a")]),
            2 * DAY_NANOS + i,
            -(i as f64),
        ));
    }
    engine.write_batch(&batch).unwrap();

    let codecs_of = |out: &Path, summary: &skulk_arrow::ExportSummary| -> Vec<Vec<&str>> {
        assert_eq!(from_export(out, &summary.files), from_engine(&engine));
        summary
            .files
            .iter()
            .map(|f| codecs(&out.join(&f.path)))
            .collect()
    };
    let (zstd, none) = ("zstd", "none");
    let defaults = dir.path().join("defaults");
    let summary = export_all(&engine, &defaults).unwrap();
    assert_eq!(skulk_arrow::COMPRESS_MIN_ROWS, 256);
    let rows: Vec<u64> = summary.files.iter().map(|f| f.rows).collect();
    assert_eq!(rows, [10, 300, 255]);
    assert_eq!(
        codecs_of(&defaults, &summary),
        [vec![none; 3], vec![zstd; 3], vec![none; 3],]
    );

    // 0 compresses every file.
    let always = dir.path().join("always");
    let options = ParquetOptions {
        compress_min_rows: 0,
        ..ParquetOptions::default()
    };
    let summary = export_parquet(
        &engine,
        &SeriesSelector::all(),
        TimeRange::ALL,
        &always,
        &options,
    )
    .unwrap();
    assert_eq!(codecs_of(&always, &summary), vec![vec![zstd; 3]; 3]);

    // A full batch opens its file compressed even below the threshold.
    let batched = dir.path().join("batched");
    let options = ParquetOptions {
        compress_min_rows: 1_000,
        batch_rows: 64,
        ..ParquetOptions::default()
    };
    let summary = export_parquet(
        &engine,
        &SeriesSelector::all(),
        TimeRange::ALL,
        &batched,
        &options,
    )
    .unwrap();
    assert_eq!(
        codecs_of(&batched, &summary),
        [vec![none; 3], vec![zstd; 3], vec![zstd; 3],]
    );
}

#[test]
fn a_bad_zstd_level_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    engine
        .write_batch(&[DataPoint::new("m", labels(&[("s", "a")]), 1, 1.0)])
        .unwrap();
    let out = dir.path().join("out");
    let options = ParquetOptions {
        zstd_level: 99,
        ..ParquetOptions::default()
    };
    let err = export_parquet(
        &engine,
        &SeriesSelector::all(),
        TimeRange::ALL,
        &out,
        &options,
    )
    .unwrap_err();
    assert!(err.to_string().contains("zstd level 99"), "{err}");
    assert!(walk(&out).is_empty());
}
