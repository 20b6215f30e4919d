//! Fuzz target `format_tsm_roundtrip`: see `skulk_testkit::fuzz::format_tsm_roundtrip` for the input layout
//! and the checked contract.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    skulk_testkit::fuzz::format_tsm_roundtrip(data);
});
