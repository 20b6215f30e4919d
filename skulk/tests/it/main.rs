//! Integration tests of the `skulk` facade: the examples run here, so CI
//! runs them.

mod examples;
mod facade;
