//! The directory the sweep damages: several series over many partitions,
//! flushed, compacted and with acknowledged writes only in the WAL, under
//! `fsync` and default segment sizes.

use std::sync::Arc;
use std::time::Duration;

use skulk_engine::{DataPoint, Engine, EngineConfig, OpenOptions};
use skulk_wal::SyncMode;

use crate::engine_suite::{Snapshot, read_engine};
use crate::generators::SplitMix64;
use crate::sim_fs::SimFs;

const HOUR: i64 = 3_600_000_000_000;

/// A closed data directory on a simulated disk, the settings it was
/// written with and everything it holds.
#[derive(Debug)]
pub struct SampleDirectory {
    /// The disk; the directory is its root.
    pub disk: SimFs,
    /// The settings to open it with.
    pub config: EngineConfig,
    /// Every point written (all acknowledged under `fsync`).
    pub data: Snapshot,
}

/// Writes the sample: `series` series with a point a minute over `hours`
/// one-hour partitions in four quarters: the first two flushed and
/// compacted, the third flushed, the last only in the WAL. Dropped without closing, so the WAL keeps
/// its records.
pub fn sample_directory(series: usize, hours: i64, seed: u64) -> SampleDirectory {
    let disk = SimFs::new();
    let mut config = EngineConfig {
        partition_duration: Some(Duration::from_secs(3600)),
        background: false,
        ..EngineConfig::default()
    };
    config.wal.sync_mode = SyncMode::Fsync;
    let options = OpenOptions::on(Arc::new(disk.clone())).config(config.clone());
    let engine = Engine::open_with(options).expect("a fresh engine on an empty disk opens");
    let mut rng = SplitMix64::new(seed);
    let minutes = hours * 60;
    for chunk in 0..4 {
        for minute in (chunk * minutes / 4)..((chunk + 1) * minutes / 4) {
            let batch: Vec<DataPoint> = (0..series)
                .map(|s| {
                    let host = format!("h{s}");
                    let value = (rng.gaussian() * 100.0).round() / 10.0;
                    DataPoint::new(
                        "cpu",
                        vec![("host".into(), host)],
                        minute * HOUR / 60,
                        value,
                    )
                })
                .collect();
            engine.write_batch(&batch).expect("write");
        }
        if chunk < 3 {
            engine.flush().expect("flush");
        }
        if chunk == 1 {
            engine.compact().expect("compact");
        }
    }
    let data = read_engine(&engine).expect("read back");
    drop(engine);
    SampleDirectory { disk, config, data }
}
