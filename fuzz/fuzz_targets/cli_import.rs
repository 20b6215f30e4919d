//! Fuzz target `cli_import`: see `skulk_cli::fuzzing::cli_import` for the input
//! layout and the checked contract.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    skulk_cli::fuzzing::cli_import(data);
});
