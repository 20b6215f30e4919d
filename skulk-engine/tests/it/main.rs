//! Integration tests of skulk-engine: one binary, one module per area.

mod common;
mod concurrent;
mod config;
mod corruption;
mod crash;
mod e2e;
mod failure;
mod file_faults;
mod lifecycle;
mod model;
mod power;
mod query;
mod windows;
