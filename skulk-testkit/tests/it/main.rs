//! The integration tests of skulk-testkit: the kit used on Skulk itself.

mod codec_adaptive;
mod codec_conformance;
mod codec_golden;
mod codec_real_data;
mod codec_reports;
mod codec_v2;
mod codec_vectors;
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
