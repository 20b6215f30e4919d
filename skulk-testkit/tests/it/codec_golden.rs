//! The codec golden vectors' file layout and checks. Whether `skulk-codec`'s
//! own codecs decode and re-encode the vectors is tested in
//! `codec_vectors.rs`; here: every file parses, a cut or extended file
//! is refused, and the reader check catches a decoder that gets one point
//! wrong.

use skulk_codec::{CodecId, GorillaTimestamps, Result, TimestampCodec};
use skulk_testkit::codec_golden::{
    CodecUnderTest, check_decoder, golden_codec_files, parse_vector_file,
};

#[test]
fn every_vector_file_parses_and_names_its_codec() {
    for file in golden_codec_files() {
        let bytes = file.bytes().unwrap();
        let parsed = parse_vector_file(&bytes).unwrap();
        assert_eq!(parsed.codec, file.codec.as_u8(), "{}", file.name);
        assert_eq!(parsed.records.len(), file.case_count(), "{}", file.name);
    }
}

#[test]
fn every_cut_or_extended_vector_file_is_refused() {
    for file in golden_codec_files() {
        let mut bytes = file.bytes().unwrap();
        for len in 0..bytes.len() {
            let err = parse_vector_file(&bytes[..len]).unwrap_err();
            assert!(
                err.contains("truncated"),
                "{}, cut to {len} bytes: {err}",
                file.name
            );
        }
        bytes.push(0);
        let err = parse_vector_file(&bytes).unwrap_err();
        assert!(err.contains("1 bytes after the last record"), "{err}");
    }
}

/// Gorilla timestamps, except that the last point of a block of 600 is one
/// nanosecond late.
struct OffByOne;

impl TimestampCodec for OffByOne {
    fn id(&self) -> CodecId {
        GorillaTimestamps.id()
    }
    fn max_encoded_len(&self, points: usize) -> usize {
        GorillaTimestamps.max_encoded_len(points)
    }
    fn encode(&self, timestamps: &[i64], out: &mut Vec<u8>) -> Result<()> {
        GorillaTimestamps.encode(timestamps, out)
    }
    fn decode(&self, input: &[u8], count: usize, out: &mut Vec<i64>) -> Result<usize> {
        let used = GorillaTimestamps.decode(input, count, out)?;
        if let (600, Some(last)) = (count, out.last_mut()) {
            *last += 1;
        }
        Ok(used)
    }
}

#[test]
fn a_decoder_that_gets_one_point_wrong_fails_the_check() {
    let failure = check_decoder(CodecUnderTest::Timestamps(&OffByOne)).unwrap_err();
    assert!(
        failure.contains("large_block") && failure.contains("point 599"),
        "{failure}"
    );
}
