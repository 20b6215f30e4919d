//! Read-only opens: no lock, no writes, a consistent snapshot beside a live
//! writer that ingests, flushes, compacts and applies retention.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use skulk_engine::{
    DataPoint, Engine, EngineConfig, EngineError, ManualClock, OpenOptions, Query, SeriesMeta,
    SeriesSelector, TimeRange,
};

use crate::common::{contents, pt, quiet_config};

#[test]
fn a_reader_opens_beside_the_writer_and_refreshes() {
    let dir = tempfile::tempdir().unwrap();
    let writer = Engine::open(dir.path(), quiet_config()).unwrap();
    writer.write(&pt("m", "a", 1, 1.0)).unwrap();
    writer.flush().unwrap();
    writer.write(&pt("m", "a", 2, 2.0)).unwrap();
    let reader = Engine::open_read_only(OpenOptions::existing(dir.path())).unwrap();
    assert!(reader.is_read_only());
    assert_eq!(contents(&reader), contents(&writer));
    writer.write(&pt("m", "a", 3, 3.0)).unwrap();
    writer.compact().unwrap();
    assert_eq!(contents(&reader).len(), 2, "a snapshot as of the open");
    reader.refresh().unwrap();
    assert_eq!(contents(&reader), contents(&writer));
    assert!(matches!(
        reader.write(&pt("m", "a", 4, 4.0)),
        Err(EngineError::ReadOnly)
    ));
    assert!(matches!(reader.flush(), Err(EngineError::ReadOnly)));
    reader.close().unwrap();
    writer.close().unwrap();
}

#[test]
fn a_directory_without_a_manifest_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = Engine::open_read_only(OpenOptions::existing(dir.path())).unwrap_err();
    assert!(err.to_string().contains("no MANIFEST"), "{err}");
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "wrote nothing"
    );
}

/// Series written by the loop below: each batch writes point `n` (at time
/// `n * STEP`, value `n`) of every series, so a consistent snapshot holds,
/// for every series, the same run of points with no gap.
const SERIES: usize = 6;
const STEP: i64 = 10;

fn batch(n: i64) -> Vec<DataPoint> {
    (0..SERIES)
        .map(|s| {
            let meta = Arc::new(SeriesMeta::new("c", vec![("s".into(), s.to_string())]));
            DataPoint::for_series(meta, n * STEP, n as f64)
        })
        .collect()
}

/// Checks one snapshot; returns the newest point number it holds.
fn check_snapshot(engine: &Engine, acked_before: i64, written_after: i64) -> i64 {
    let results = engine
        .query(&Query::raw(SeriesSelector::all(), TimeRange::ALL))
        .unwrap();
    if results.is_empty() {
        return -1;
    }
    assert_eq!(results.len(), SERIES, "every series or none");
    let mut newest = None;
    for r in &results {
        let numbers: Vec<i64> = r.timestamps.iter().map(|t| t / STEP).collect();
        assert!(
            numbers.windows(2).all(|w| w[1] == w[0] + 1),
            "{}: a gap in {numbers:?}",
            r.series
        );
        for (t, v) in r.timestamps.iter().zip(&r.values) {
            assert_eq!(*v, (t / STEP) as f64, "{}: value at {t}", r.series);
        }
        let last = *numbers.last().unwrap();
        assert_eq!(*newest.get_or_insert(last), last, "series end at one batch");
    }
    let newest = newest.unwrap();
    assert!(
        newest >= acked_before,
        "{newest} < acknowledged {acked_before}"
    );
    assert!(
        newest <= written_after,
        "{newest} > written {written_after}"
    );
    newest
}

#[test]
fn a_reader_beside_a_busy_writer_sees_only_consistent_snapshots() {
    let queries: usize = std::env::var("SKULK_READ_ONLY_QUERIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1500);
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(0));
    let config = EngineConfig {
        partition_duration: Some(Duration::from_nanos(200)),
        retention: Some(Duration::from_nanos(2000)),
        ..quiet_config()
    };
    let writer = OpenOptions::new(dir.path())
        .and_then(|o| Engine::open_with(o.config(config.clone()).clock(clock.clone())))
        .unwrap();
    let acked = Arc::new(AtomicI64::new(-1));
    let started = Arc::new(AtomicI64::new(-1));
    let stop = Arc::new(AtomicBool::new(false));
    let handle = {
        let (acked, started, stop) = (acked.clone(), started.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                started.store(n, Ordering::SeqCst);
                writer.write_batch(&batch(n)).unwrap();
                acked.store(n, Ordering::SeqCst);
                match n % 50 {
                    10 => {
                        writer.flush().unwrap();
                    }
                    30 => {
                        writer.compact().unwrap();
                    }
                    40 => {
                        clock.set(n * STEP);
                        writer.apply_retention().unwrap();
                    }
                    _ => {}
                }
                n += 1;
            }
            writer.close().unwrap();
        })
    };
    let reader = Engine::open_read_only(OpenOptions::existing(dir.path()).config(config)).unwrap();
    let mut seen = 0;
    // At least `queries` snapshots, and more until one shows the writer
    // past batch 60 (a loaded machine may starve the writer for a while);
    // bounded, so a reader that never sees progress fails below.
    for i in 0..queries * 100 {
        if i >= queries && seen > 60 {
            break;
        }
        let acked_before = acked.load(Ordering::SeqCst);
        reader.refresh().unwrap();
        let newest = check_snapshot(&reader, acked_before, started.load(Ordering::SeqCst));
        seen = seen.max(newest);
    }
    stop.store(true, Ordering::SeqCst);
    handle.join().unwrap();
    assert!(seen > 50, "the writer made progress: {seen}");
    eprintln!("{queries} snapshots read, the last one up to batch {seen}");
}
