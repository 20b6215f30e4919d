//! The entry points of the command-line tool's fuzz targets, shared with
//! the replay of their corpora in this crate's tests.
//!
//! Each function takes arbitrary bytes, drives one of the tool's parsers
//! of user text the way the tool does, and panics only when a contract is
//! broken: a parser panicking on its own, a refused line that still added
//! points, or a value that does not read back. Typed errors are the
//! expected answer to bad input.
//!
//! `fuzz/fuzz_targets/<name>.rs` (for every name in [`TARGETS`]) calls the
//! function of the same name; `tests/it/fuzz_replay.rs` feeds every file
//! of `fuzz/corpus/<name>/` and `skulk-cli/bad_data/<name>/` through
//! [`run`], so a crash found once stays fixed without cargo-fuzz. See
//! `fuzz/README.md` for what each target checks.
//!
//! Public so that the out-of-workspace fuzz crate can call it; not a
//! stable API.
#![expect(
    clippy::panic,
    reason = "a fuzz entry point reports a broken contract by panicking"
)]

mod args;
mod import;

pub use args::{cli_selector, cli_time};
pub use import::{cli_import, cli_openmetrics};

/// A fuzz target: its name and its entry point.
pub type Target = (&'static str, fn(&[u8]));

/// Every target of this crate, by the name of its
/// `fuzz/fuzz_targets/<name>.rs` file.
pub const TARGETS: &[Target] = &[
    ("cli_import", cli_import),
    ("cli_openmetrics", cli_openmetrics),
    ("cli_selector", cli_selector),
    ("cli_time", cli_time),
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
}
