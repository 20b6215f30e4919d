#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod codec_golden;
pub mod codec_suite;
pub mod corruption;
#[cfg(feature = "engine")]
pub mod crash;
pub mod datasets;
#[cfg(feature = "engine")]
pub mod dir_sweep;
#[cfg(feature = "engine")]
pub mod engine_golden;
#[cfg(feature = "engine")]
pub mod engine_suite;
pub mod format_suite;
pub mod fuzz;
pub mod generators;
pub mod golden;
#[cfg(feature = "engine")]
pub mod power_cut;
pub mod sim_fs;
pub mod wal_suite;
