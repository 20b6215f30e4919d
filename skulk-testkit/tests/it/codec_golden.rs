//! `skulk-codec`'s decoders against the codec golden vectors, and proof that
//! the reader check catches a decoder that gets one point wrong.

use skulk_codec::{CodecId, GorillaTimestamps, Result, TimestampCodec};
use skulk_testkit::codec_golden::{
    CodecUnderTest, check_decoder, golden_codec_files, parse_vector_file,
};

#[test]
fn every_registered_codec_decodes_its_vectors() {
    for &id in CodecId::ALL {
        let codec = CodecUnderTest::registered(id).unwrap();
        let report = check_decoder(codec).unwrap_or_else(|failure| panic!("{failure}"));
        assert_eq!(report.files, 1, "{id:?}");
        assert!(report.points > 1_000, "{id:?}: {report:?}");
    }
}

#[test]
fn every_vector_file_parses_and_names_its_codec() {
    for file in golden_codec_files() {
        let bytes = file.bytes().unwrap();
        let parsed = parse_vector_file(&bytes).unwrap();
        assert_eq!(parsed.codec, file.codec.as_u8(), "{}", file.name);
        assert_eq!(parsed.records.len(), file.case_count(), "{}", file.name);
        assert!(parse_vector_file(&bytes[..bytes.len() - 1]).is_err());
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
