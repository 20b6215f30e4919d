//! Fuzz target `engine_manifest`: see `skulk_testkit::fuzz::engine_manifest`
//! for the input layout and the checked contract.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    skulk_testkit::fuzz::engine_manifest(data);
});
