//! Integration tests of skulk-engine: one binary, one module per area.

mod common;
mod concurrent;
mod config;
mod corruption;
mod crash;
mod delete;
mod e2e;
mod failure;
mod labels;
mod lifecycle;
mod manifest;
mod model;
mod query;
mod read_only;
mod scan;
mod windows;
