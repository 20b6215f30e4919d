//! Golden vectors of every codec in `skulk-testkit/vectors/codec/v1` and `v2`.
//!
//! Append-only: each listed file was written once with
//! `SKULK_WRITE_GOLDEN=1 cargo test -p skulk-testkit --test it codec_vectors`, which
//! only creates files that are missing and never overwrites one. Without the
//! variable, every payload of every listed file must decode to its input
//! bit for bit, and re-encoding every input must give the stored bytes, so
//! an accidental change of any codec's bitstream or encoder choices fails
//! here. A deliberate change takes a new codec id (`FORMAT.md`, "Versions").

use std::sync::Once;

use skulk_codec::{CodecId, GorillaValues, RawTimestamps};
use skulk_testkit::codec_golden::{
    Check, CodecUnderTest, GoldenCodecFile, check_decoder, check_encoder, check_vector_bytes,
    encode_vector_file, golden_codec_files, parse_vector_file,
};
use skulk_testkit::golden::{write_missing_once, writing_golden};

/// Under `SKULK_WRITE_GOLDEN=1`, writes the listed files that are missing.
/// Once per test run: the other tests calling it wait until it is done.
fn write_missing() {
    static ONCE: Once = Once::new();
    write_missing_once(&ONCE, write_missing_files);
}

fn write_missing_files() {
    for file in golden_codec_files() {
        let path = file.path();
        if !path.exists() {
            std::fs::create_dir_all(GoldenCodecFile::dir(file.version)).unwrap();
            std::fs::write(&path, encode_vector_file(&file).unwrap()).unwrap();
            println!("wrote golden file {}", path.display());
        }
    }
}

#[test]
fn golden_payloads_decode_to_their_inputs_bit_for_bit() {
    write_missing();
    for &id in CodecId::ALL {
        let codec = CodecUnderTest::registered(id).unwrap();
        let report = check_decoder(codec).unwrap_or_else(|failure| panic!("{failure}"));
        assert!(report.cases >= 14, "{id:?}: {report:?}");
        println!("{id:?}: decoded {report:?}");
    }
}

#[test]
fn golden_inputs_encode_to_the_stored_bytes() {
    write_missing();
    for &id in CodecId::ALL {
        let codec = CodecUnderTest::registered(id).unwrap();
        let report = check_encoder(codec).unwrap_or_else(|failure| panic!("{failure}"));
        assert!(report.points > 500, "{id:?}: {report:?}");
    }
}

#[test]
fn every_listed_codec_vector_exists_and_every_file_is_listed() {
    if writing_golden() {
        return; // the files are being written by the other tests
    }
    let files = golden_codec_files();
    for &id in CodecId::ALL {
        assert!(
            files.iter().any(|f| f.codec == id),
            "codec {id:?} has no golden vectors"
        );
    }
    let names: Vec<&str> = files.iter().map(|f| f.name).collect();
    for file in &files {
        assert!(
            file.path().is_file(),
            "golden file {} is missing",
            file.name
        );
    }
    let mut versions: Vec<u8> = files.iter().map(|f| f.version).collect();
    versions.sort_unstable();
    versions.dedup();
    let root = GoldenCodecFile::dir(1).parent().unwrap().to_path_buf();
    for entry in std::fs::read_dir(&root).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            versions.iter().any(|v| name == format!("v{v}")),
            "{name} in {} has no test",
            root.display()
        );
    }
    for version in versions {
        for entry in std::fs::read_dir(GoldenCodecFile::dir(version)).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            assert!(
                name == "README.md" || names.contains(&name.as_str()),
                "{name} has no test"
            );
        }
    }
}

fn listed(id: CodecId) -> GoldenCodecFile {
    golden_codec_files()
        .into_iter()
        .find(|f| f.codec == id)
        .unwrap()
}

#[test]
fn a_changed_payload_byte_fails_both_checks() {
    if writing_golden() {
        return;
    }
    let file = listed(CodecId::GorillaValues);
    let mut bytes = file.bytes().unwrap();
    let parsed = parse_vector_file(&bytes).unwrap();
    let record = parsed.records.iter().rev().find(|r| r.count > 10).unwrap();
    let at = record.offset + record.payload.len() / 2;
    bytes[at] ^= 0x10;
    let codec = CodecUnderTest::Values(&GorillaValues);
    for check in [Check::Decode, Check::Encode] {
        let failure = check_vector_bytes(&file, &bytes, codec, check).unwrap_err();
        assert!(failure.contains("case"), "{failure}");
    }
}

#[test]
fn a_vector_file_checked_with_another_codec_fails() {
    if writing_golden() {
        return;
    }
    let file = listed(CodecId::GorillaTimestamps);
    let bytes = file.bytes().unwrap();
    let codec = CodecUnderTest::Timestamps(&RawTimestamps);
    let failure = check_vector_bytes(&file, &bytes, codec, Check::Decode).unwrap_err();
    assert!(failure.contains("RawTimestamps"), "{failure}");
}
