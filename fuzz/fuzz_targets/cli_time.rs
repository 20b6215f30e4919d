//! Fuzz target `cli_time`: see
//! `skulk_testkit::fuzz::cli_time` for the input layout and the
//! checked contract.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    skulk_testkit::fuzz::cli_time(data);
});
