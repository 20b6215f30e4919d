//! Fuzz target `engine_checkpoint`: see
//! `skulk_testkit::fuzz::engine_checkpoint` for the input layout and the
//! checked contract.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    skulk_testkit::fuzz::engine_checkpoint(data);
});
