//! Fuzz target `format_tsm_reader`: see `skulk_testkit::fuzz::format_tsm_reader` for the input layout
//! and the checked contract.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    skulk_testkit::fuzz::format_tsm_reader(data);
});
