//! The write-ahead log's tests that run on the simulated disk (power loss,
//! failing syncs, torn tails, truncation, group commit) and its golden
//! segments.

mod common;
mod concurrency;
mod golden;
mod poison;
mod power_loss;
mod roundtrip;
mod sim;
mod torn;
mod truncate;
