//! Fuzz target `cli_time`: see `skulk_cli::fuzzing::cli_time` for the input
//! layout and the checked contract.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    skulk_cli::fuzzing::cli_time(data);
});
