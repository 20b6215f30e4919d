//! The downstream codec against Skulk's conformance suite, and what a
//! reader built without it does with its blocks.

use skulk_codec::{BlockView, CodecError, CompressedBlock, GorillaValues};
use skulk_downstream_example::{ID_BYTE, VarintDeltaTimestamps};
use skulk_testkit::codec_suite::run_timestamp_codec_suite;

#[test]
fn the_codec_passes_the_conformance_suite() {
    run_timestamp_codec_suite(&VarintDeltaTimestamps);
}

#[test]
fn a_block_names_the_codec_and_a_reader_without_it_says_so() {
    let (ts, vs) = ([i64::MIN, 0, i64::MAX], [1.5, f64::NAN, -0.0]);
    let block =
        CompressedBlock::encode_with_codecs(&ts, &vs, &VarintDeltaTimestamps, &GorillaValues)
            .expect("encodes");
    assert_eq!(block.header().timestamp_codec.as_u8(), ID_BYTE);
    assert_eq!(
        BlockView::parse(block.as_bytes()).err(),
        Some(CodecError::UnknownCodec { id: ID_BYTE })
    );
}

#[test]
fn the_fuzz_entry_point_accepts_what_the_fuzzer_will_send() {
    for data in [&[][..], &[3, 0, 0x80, 0x80], &[2, 0, 0x02, 0x04], &[0xff; 40]] {
        skulk_testkit::fuzz::timestamp_codec_decode(&VarintDeltaTimestamps, data);
        skulk_testkit::fuzz::timestamp_codec_roundtrip(&VarintDeltaTimestamps, data);
    }
}
