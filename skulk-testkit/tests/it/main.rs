//! The integration tests of skulk-testkit: the kit used on Skulk itself.

mod codec_golden;
#[cfg(feature = "engine")]
mod crash_harness;
mod dir_sweep;
#[cfg(feature = "engine")]
mod engine;
#[cfg(feature = "engine")]
mod engine_golden;
#[cfg(feature = "engine")]
mod engine_model;
mod format_conformance;
mod fuzz_replay;
mod tsm_corruption;
mod tsm_faults;
mod tsm_golden;
mod wal;
mod wal_corruption;
