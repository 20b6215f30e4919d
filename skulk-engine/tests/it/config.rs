//! Loading `EngineConfig` from TOML.

use std::time::Duration;

use skulk_engine::{EngineConfig, SyncMode};

#[test]
fn a_full_file_loads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("skulk.toml");
    std::fs::write(
        &path,
        r#"
        partition_duration = "2h"
        flush_points = 5000
        flush_size_bytes = 1048576
        flush_age = "30s"
        retention = "7days"
        compaction_min_files = 3
        block_points = 1024
        query_threads = 2
        background = false
        maintenance_interval = "1s"

        [wal]
        sync_mode = "none"
        batch_size = 16
        "#,
    )
    .unwrap();
    let c = EngineConfig::load(&path).unwrap();
    assert_eq!(c.partition_duration, Some(Duration::from_secs(7200)));
    assert_eq!(c.retention, Some(Duration::from_secs(7 * 86400)));
    assert_eq!(c.wal.sync_mode, SyncMode::None);
    assert_eq!(c.wal.batch_size, 16);
    assert_eq!(
        (c.compaction_min_files, c.block_points, c.query_threads),
        (3, 1024, 2)
    );
    assert!(!c.background);
}

#[test]
fn unknown_keys_are_errors_naming_the_key() {
    let err = EngineConfig::from_toml_str("[wal]\nsync_mod = \"none\"").unwrap_err();
    assert!(err.to_string().contains("sync_mod"), "{err}");
    let err = EngineConfig::from_toml_str("retension = \"1d\"").unwrap_err();
    assert!(err.to_string().contains("retension"), "{err}");
}

#[test]
fn bad_values_are_errors() {
    assert!(EngineConfig::from_toml_str("retention = \"soon\"").is_err());
    assert!(EngineConfig::from_toml_str("[wal]\nbatch_size = 0").is_err());
    assert!(EngineConfig::load("/nonexistent/skulk.toml").is_err());
}

#[test]
fn out_of_range_values_name_the_key_and_the_range() {
    for (toml, key) in [
        ("query_threads = 100000", "query_threads"),
        ("block_points = 0", "block_points"),
        ("maintenance_interval = \"0s\"", "maintenance_interval"),
        ("flush_points = 2000000000000", "flush_points"),
        ("compaction_min_files = 20000", "compaction_min_files"),
        ("[wal]\nbatch_size = 0", "wal.batch_size"),
        ("[wal]\nsegment_size = 100", "wal.segment_size"),
        ("[wal]\nbatch_timeout = \"1h\"", "wal.batch_timeout"),
    ] {
        let err = EngineConfig::from_toml_str(toml).unwrap_err();
        match &err {
            skulk_engine::EngineError::OutOfRange { key: k, range, .. } => {
                assert_eq!(k, key);
                assert!(err.to_string().contains(range.as_str()), "{err}");
            }
            other => panic!("{toml}: {other:?}"),
        }
    }
}

mod property {
    use std::time::Duration;

    use proptest::prelude::*;
    use skulk_engine::{Engine, EngineConfig, EngineError};

    /// Values from zero through each bound to the type's maximum.
    fn count() -> impl Strategy<Value = u64> {
        prop_oneof![
            0..4u64,
            0..1_000u64,
            any::<u64>(),
            Just(u64::MAX),
            Just(1 << 40),
            Just((1 << 40) + 1),
        ]
    }

    fn duration() -> impl Strategy<Value = Duration> {
        prop_oneof![
            Just(Duration::ZERO),
            (0..10_000u64).prop_map(Duration::from_nanos),
            (0..100_000u64).prop_map(Duration::from_secs),
            any::<u64>().prop_map(Duration::from_nanos),
            Just(Duration::MAX),
        ]
    }

    fn config() -> impl Strategy<Value = EngineConfig> {
        (
            (count(), count(), count(), count(), count(), count()),
            (count(), count()),
            (
                prop::option::of(duration()),
                prop::option::of(duration()),
                prop::option::of(duration()),
                prop::option::of(duration()),
                duration(),
                duration(),
            ),
        )
            .prop_map(|(counts, wal_counts, durations)| {
                let (flush_points, flush_bytes, active, min_files, block, threads) = counts;
                let (batch_size, segment_size) = wal_counts;
                let (partition, age, retention, span, interval, timeout) = durations;
                let mut c = EngineConfig {
                    partition_duration: partition,
                    flush_points,
                    flush_size_bytes: flush_bytes,
                    flush_age: age,
                    retention,
                    max_active_partitions: active as usize,
                    compaction_max_span: span,
                    compaction_min_files: min_files as usize,
                    block_points: block as usize,
                    query_threads: threads as usize,
                    background: false,
                    maintenance_interval: interval,
                    ..EngineConfig::default()
                };
                c.wal.batch_size = batch_size as usize;
                c.wal.segment_size = segment_size;
                c.wal.batch_timeout = timeout;
                c
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Any configuration is either refused with the key out of range,
        /// or opens (and closes) an engine.
        #[test]
        fn any_config_validates_or_is_refused(config in config()) {
            match config.validate() {
                Err(EngineError::OutOfRange { key, range, .. }) => {
                    prop_assert!(!key.is_empty() && !range.is_empty());
                }
                Err(other) => prop_assert!(false, "not a range error: {other:?}"),
                Ok(()) => {
                    let dir = tempfile::tempdir().unwrap();
                    let engine = Engine::open(dir.path(), config).unwrap();
                    engine.close().unwrap();
                }
            }
        }
    }
}
