//! Integration tests of skulk-format: one binary, one module per concern.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod bloom;
mod common;
mod corruption;
mod lock;
mod props;
mod roundtrip;
mod writer;
