//! Writing missing golden files, for every golden test in the workspace.
//!
//! Golden files are written once, on request, and never regenerated:
//! `SKULK_WRITE_GOLDEN=1 cargo test ...` creates the files that are missing.
//! Tests of one binary run in parallel, so every test that reads golden
//! files calls [`write_missing_once`] first with the same `Once`: the
//! writing runs once and the others wait for it.

use std::sync::Once;

/// The environment variable that turns writing on when it is `1`.
pub const WRITE_GOLDEN_VAR: &str = "SKULK_WRITE_GOLDEN";

/// Whether `SKULK_WRITE_GOLDEN=1` is set.
pub fn writing_golden() -> bool {
    std::env::var(WRITE_GOLDEN_VAR).as_deref() == Ok("1")
}

/// Runs `write` (which must only create missing files) once per process
/// when [`writing_golden`]; every caller passing the same `once` returns
/// only after it has run.
pub fn write_missing_once(once: &'static Once, write: impl FnOnce()) {
    if writing_golden() {
        once.call_once(write);
    }
}
