//! The facade's names: the Alopex Skulk crate's module paths and root names.

use skulk::{DataPoint, SeriesId, SeriesMeta, TimePartition, TimeRange, Timestamp, TsmError};

/// The seed's name still works.
const _: fn(TsmError) -> skulk::Error = |e| e;

#[test]
fn original_paths_name_the_same_types() {
    let point: skulk::tsm::DataPoint = DataPoint::new("m", vec![], 1, 2.0);
    let id: SeriesId = point.series_id;
    assert_eq!(id, SeriesMeta::new("m", vec![]).id());
    let _: Timestamp = point.timestamp;
    let _config: skulk::wal::WalConfig = skulk::WalConfig::default();
    let _mode: skulk::wal::SyncMode = skulk::SyncMode::Fdatasync;
    let _engine_config: skulk::lifecycle::EngineConfig = skulk::EngineConfig::default();
    let block = skulk::CompressedBlock::encode(&[1, 2], &[0.5, f64::NAN]).unwrap();
    let _: &skulk::tsm::CompressedBlock = &block;
}

#[test]
fn every_layer_error_converts_into_tsm_error() {
    fn range() -> skulk::Result<TimeRange> {
        Ok(TimeRange::new(5, 1)?)
    }
    let err: TsmError = range().unwrap_err();
    assert!(matches!(err, TsmError::Format(_)));
    assert!(err.to_string().contains("after its end"), "{err}");
    let partition = TimePartition::new(0, std::time::Duration::ZERO).map_err(TsmError::from);
    assert!(partition.is_err());
    let wal = skulk::Wal::recover("/nonexistent/skulk/wal").map_err(TsmError::from);
    assert!(matches!(wal, Err(TsmError::Wal(_))));
}

#[test]
fn the_partition_lifecycle_is_reachable_where_the_seed_put_it() {
    use skulk::lifecycle::{PartitionManager, PartitionManagerConfig};
    let mut manager = PartitionManager::new(PartitionManagerConfig::default()).unwrap();
    manager
        .insert(&DataPoint::new("m", vec![], 1_000, 1.0))
        .unwrap();
    assert_eq!(manager.stats().points, 1);
    let same: skulk::tsm::PartitionManager = manager;
    drop(same);
}
