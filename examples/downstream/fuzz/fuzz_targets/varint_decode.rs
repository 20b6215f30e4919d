//! The downstream codec's decoder on arbitrary bytes, checked by Skulk's
//! generic entry point.
#![no_main]

use skulk_downstream_example::VarintDeltaTimestamps;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    skulk_testkit::fuzz::timestamp_codec_decode(&VarintDeltaTimestamps, data);
});
