//! Fuzz target `cli_selector`: see `skulk_cli::fuzzing::cli_selector` for the input
//! layout and the checked contract.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    skulk_cli::fuzzing::cli_selector(data);
});
