//! The integration tests of skulk-wal: one binary, one module per concern.

mod common;
mod concurrency;
mod golden;
mod kill9;
mod lock;
mod poison;
mod power_loss;
mod repair;
mod roundtrip;
mod sim;
mod torn;
mod truncate;
