//! The entry points of the fuzz targets, shared with the corpus replay test.
//!
//! Each function takes arbitrary bytes, drives one decoder the way a user
//! would, and panics only when a contract is broken: a decoder panicking on
//! its own, returning more items than asked, or a round trip that is not
//! bit-exact. Typed errors are the expected answer to bad input.
//!
//! `fuzz/fuzz_targets/<name>.rs` calls [`run`] with its own name, and the
//! test `tests/it/fuzz_replay.rs` feeds every file of `fuzz/corpus/<name>/`
//! and `bad_data/<name>/` through the same function, so a crash found once
//! stays fixed without cargo-fuzz.
//!
//! Downstream crates fuzz their own codecs with the generic entry points
//! [`timestamp_codec_decode`], [`value_codec_decode`],
//! [`timestamp_codec_roundtrip`] and [`value_codec_roundtrip`] (one line in
//! a `fuzz_target!`), and this workspace's TSM reader and WAL recovery with
//! [`format_tsm_reader`] and [`wal_recovery`], on files their own code
//! wrote; `fuzz/README.md` shows a target.
//!
//! The command-line tool's targets (`cli_*`) live in `skulk_cli::fuzzing`
//! and are replayed by skulk-cli's own tests.

mod codec;
#[cfg(feature = "engine")]
mod engine;
mod format;
mod input;
mod wal;

pub use codec::{
    codec_block, codec_decode, codec_roundtrip, timestamp_codec_decode, timestamp_codec_roundtrip,
    value_codec_decode, value_codec_roundtrip,
};
#[cfg(feature = "engine")]
pub use engine::{
    checkpoint_bytes, config_toml, engine_checkpoint, engine_config, engine_manifest,
};
pub use format::{format_tsm_reader, format_tsm_roundtrip};
pub use wal::{records_bit_eq, wal_recovery, wal_roundtrip};

/// The name the `wal_recovery` target gives its input: the first segment of
/// a log that starts at LSN 1.
pub const WAL_SEGMENT_NAME: &str = "0000000000000001.wal";

/// A fuzz target: its name and its entry point.
pub type Target = (&'static str, fn(&[u8]));

/// Every target, by the name of its `fuzz/fuzz_targets/<name>.rs` file.
pub const TARGETS: &[Target] = &[
    ("codec_decode", codec_decode),
    ("codec_block", codec_block),
    ("codec_roundtrip", codec_roundtrip),
    ("format_tsm_reader", format_tsm_reader),
    ("wal_recovery", wal_recovery),
    ("format_tsm_roundtrip", format_tsm_roundtrip),
    ("wal_roundtrip", wal_roundtrip),
    #[cfg(feature = "engine")]
    ("engine_checkpoint", engine_checkpoint),
    #[cfg(feature = "engine")]
    ("engine_config", engine_config),
    #[cfg(feature = "engine")]
    ("engine_manifest", engine_manifest),
];

/// Runs the target called `name`; `false` when there is none.
pub fn run(name: &str, data: &[u8]) -> bool {
    match TARGETS.iter().find(|(n, _)| *n == name) {
        Some((_, target)) => {
            target(data);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_accept_empty_and_short_inputs() {
        for (name, _) in TARGETS {
            for data in [&[][..], &[0], &[1, 2], &[0xFF; 40]] {
                assert!(run(name, data));
            }
        }
        assert!(!run("no_such_target", &[]));
    }

    #[test]
    fn round_trip_target_covers_special_values() {
        let mut data = vec![0u8];
        for (t, v) in [
            (i64::MIN, f64::NAN),
            (0, -0.0),
            (i64::MAX, f64::INFINITY),
            (5, 1e-310),
        ] {
            data.extend_from_slice(&t.to_le_bytes());
            data.extend_from_slice(&v.to_bits().to_le_bytes());
        }
        for selector in 0..=255u8 {
            data[0] = selector;
            codec_roundtrip(&data);
        }
    }
}
