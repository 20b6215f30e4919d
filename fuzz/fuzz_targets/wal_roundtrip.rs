//! Fuzz target `wal_roundtrip`: see `skulk_testkit::fuzz::wal_roundtrip` for the input layout
//! and the checked contract.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    skulk_testkit::fuzz::wal_roundtrip(data);
});
