//! Fuzz target `codec_block`: see `skulk_testkit::fuzz::codec_block` for the input layout
//! and the checked contract.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    skulk_testkit::fuzz::codec_block(data);
});
