//! The integration tests of skulk-wal on the real file system: one binary,
//! one module per concern. The tests that run on the simulated disk (power
//! loss, failing syncs, torn tails, truncation, group commit) and the golden
//! segments live in skulk-testkit (`tests/it/wal/`), which owns the
//! simulated file system.

mod common;
mod kill9;
mod lock;
mod repair;
