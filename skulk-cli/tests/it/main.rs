//! Integration tests: run the `skulk` binary on real files.

mod analytics;
mod damage;
mod errors;
mod fuzz_replay;
mod inputs;
mod label_names;
mod losses;
mod outputs;
mod repair;
mod roundtrip;
mod series_index;
mod support;
mod tooling;
mod tools;
mod verify;
