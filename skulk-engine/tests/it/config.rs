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
