//! Deletes: hidden at once, never resurrecting older values, kept across
//! restarts, crashes and read-only opens, physically removed by compaction.

use skulk_engine::{
    DataPoint, Engine, EngineError, LabelMatcher, MatchOp, OpenOptions, SeriesSelector, TimeRange,
};

use crate::common::{Contents, apply, contents, pt, quiet_config};

fn open(dir: &std::path::Path) -> Engine {
    Engine::open(dir, quiet_config()).unwrap()
}

fn host(name: &str) -> SeriesSelector {
    SeriesSelector::Matchers(vec![LabelMatcher::new("host", MatchOp::Equal, name)])
}

fn range(start: i64, end: i64) -> TimeRange {
    TimeRange::new(start, end).unwrap()
}

/// Drops from `model` what a delete of `host` in `[start, end)` removes.
fn forget(model: &mut Contents, host: &str, start: i64, end: i64) {
    let key = format!("cpu{{host=\"{host}\"}}");
    model.retain(|(k, ts), _| *k != key || !(start..end).contains(ts));
}

fn batch(host: &str, from: i64, to: i64, value: f64) -> Vec<DataPoint> {
    (from..to)
        .map(|t| pt("cpu", host, t * 10, value + t as f64))
        .collect()
}

#[test]
fn a_delete_hides_every_older_value_and_keeps_later_writes() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path());
    let mut model = Contents::new();
    for (points, flush) in [
        (batch("a", 0, 300, 0.0), true),
        (batch("a", 100, 200, 1000.0), true),
        (batch("b", 0, 300, 0.5), true),
        (batch("a", 150, 250, 2000.0), false),
    ] {
        engine.write_batch(&points).unwrap();
        apply(&mut model, &points);
        if flush {
            engine.flush().unwrap();
        }
    }
    let stats = engine.delete(&host("a"), range(500, 2500)).unwrap();
    assert_eq!(stats.series, 1);
    assert!(stats.files_covered >= 2, "{stats:?}");
    forget(&mut model, "a", 500, 2500);
    assert_eq!(
        contents(&engine),
        model,
        "hidden at once, no older value shows"
    );
    let later = batch("a", 120, 130, 9.0);
    engine.write_batch(&later).unwrap();
    apply(&mut model, &later);
    assert_eq!(contents(&engine), model, "writes after the delete are kept");
    engine.close().unwrap();
    let engine = open(dir.path());
    assert_eq!(contents(&engine), model, "after a restart");
    let reader = Engine::open_read_only(OpenOptions::existing(dir.path())).unwrap();
    assert_eq!(contents(&reader), model, "a read-only open too");
}

#[test]
fn compaction_removes_deleted_points_and_then_the_tombstone() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path());
    let mut model = Contents::new();
    for h in ["a", "b"] {
        let points = batch(h, 0, 5000, 0.25);
        engine.write_batch(&points).unwrap();
        apply(&mut model, &points);
    }
    engine.flush().unwrap();
    let before: u64 = engine.stats().bytes_on_disk;
    engine.delete(&host("a"), TimeRange::ALL).unwrap();
    forget(&mut model, "a", i64::MIN, i64::MAX);
    let compacted = engine.compact().unwrap();
    assert_eq!(compacted.tombstones_dropped, 1, "{compacted:?}");
    assert!(compacted.files_written >= 1);
    let after = engine.stats().bytes_on_disk;
    assert!(
        after * 10 < before * 6,
        "{before} bytes before, {after} after"
    );
    assert_eq!(contents(&engine), model);
    let again = engine.compact().unwrap();
    assert_eq!(again.files_written, 0, "nothing left to purge: {again:?}");
    drop(engine);
    let engine = open(dir.path());
    assert_eq!(contents(&engine), model, "after a crash and reopen");
}

/// Compaction rewrites a file a delete covers into a fresh generation;
/// a newer file's overwrite of the same time must stay on top of it.
#[test]
fn purging_a_deleted_range_keeps_later_overwrites_on_top() {
    let dir = tempfile::tempdir().unwrap();
    // Files never span more than a partition, and a partition's files are
    // merged only once there are 4: the two files below stay apart.
    let config = skulk_engine::EngineConfig {
        compaction_max_span: Some(std::time::Duration::from_nanos(1000)),
        ..quiet_config()
    };
    let engine = Engine::open(dir.path(), config.clone()).unwrap();
    let mut model = Contents::new();
    // One partition, two files: the first holds `a` and `b`, the second
    // overwrites `a`.
    for points in [
        [batch("a", 0, 50, 0.0), batch("b", 0, 50, 0.5)].concat(),
        batch("a", 0, 50, 1000.0),
    ] {
        engine.write_batch(&points).unwrap();
        apply(&mut model, &points);
        engine.flush().unwrap();
    }
    // Covers the first file only (the second holds no `b`).
    let stats = engine.delete(&host("b"), range(100, 200)).unwrap();
    assert_eq!(stats.files_covered, 1, "{stats:?}");
    forget(&mut model, "b", 100, 200);
    assert_eq!(contents(&engine), model);
    // A clean close compacts: the covered file is rewritten.
    engine.close().unwrap();
    let engine = Engine::open(dir.path(), config).unwrap();
    assert_eq!(
        contents(&engine),
        model,
        "the overwrite of `a` stays on top after the rewrite"
    );
}

#[test]
fn bad_deletes_are_refused_and_unknown_series_delete_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path());
    engine.write_batch(&batch("a", 0, 10, 1.0)).unwrap();
    let empty = engine.delete(&host("a"), range(5, 5));
    assert!(
        matches!(empty, Err(EngineError::InvalidArgument(_))),
        "{empty:?}"
    );
    let none = engine.delete(&host("zzz"), TimeRange::ALL).unwrap();
    assert_eq!(none.series, 0);
    assert_eq!(contents(&engine).len(), 10);
}
