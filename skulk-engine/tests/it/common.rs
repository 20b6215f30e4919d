//! Helpers shared by the test modules.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use skulk_engine::{
    DataPoint, Engine, EngineConfig, Query, SeriesSelector, SyncMode, TimeRange, WalConfig,
};

/// Nothing automatic, no syncing: tests decide when anything happens.
pub fn quiet_config() -> EngineConfig {
    EngineConfig {
        wal: WalConfig {
            sync_mode: SyncMode::None,
            ..WalConfig::default()
        },
        partition_duration: Some(Duration::from_nanos(1000)),
        flush_points: 0,
        flush_size_bytes: 0,
        flush_age: None,
        max_active_partitions: 0,
        background: false,
        ..EngineConfig::default()
    }
}

/// `metric{host=host}`.
pub fn pt(metric: &str, host: &str, ts: i64, value: f64) -> DataPoint {
    DataPoint::new(
        metric,
        vec![("host".to_string(), host.to_string())],
        ts,
        value,
    )
}

/// Every point the engine holds: (series key, timestamp) -> value bits.
pub type Contents = BTreeMap<(String, i64), u64>;

pub fn contents(engine: &Engine) -> Contents {
    let results = engine
        .query(&Query::raw(SeriesSelector::all(), TimeRange::ALL))
        .expect("query everything");
    let mut out = BTreeMap::new();
    for r in results {
        assert!(
            r.timestamps.windows(2).all(|w| w[0] < w[1]),
            "timestamps not strictly increasing"
        );
        assert_eq!(r.timestamps.len(), r.values.len());
        for (t, v) in r.timestamps.iter().zip(&r.values) {
            let fresh = out.insert((r.series.key(), *t), v.to_bits()).is_none();
            assert!(fresh, "series {} listed twice", r.series);
        }
    }
    out
}

/// Writes `points` into a model the same way the engine resolves them.
pub fn apply(model: &mut Contents, points: &[DataPoint]) {
    for p in points {
        model.insert((p.series.key(), p.timestamp), p.value.to_bits());
    }
}

/// Number of `.tsm` files in the data directory `dir` (in `tsm/`, and in
/// the partition folders of a version-1 directory).
pub fn tsm_files(dir: &Path) -> usize {
    let count = |folder: &Path| {
        std::fs::read_dir(folder).map_or(0, |entries| {
            entries
                .filter(|e| {
                    let path = e.as_ref().unwrap().path();
                    path.extension().is_some_and(|x| x == "tsm")
                })
                .count()
        })
    };
    let mut n = count(&dir.join("tsm"));
    if let Ok(parts) = std::fs::read_dir(dir.join("partitions")) {
        for part in parts {
            n += count(&part.unwrap().path());
        }
    }
    n
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
