//! Integration tests of skulk-codec: the shared conformance suites for every
//! registered codec, and real-data round trips.

mod adaptive;
mod conformance;
mod golden;
mod gorilla;
mod real_data;
