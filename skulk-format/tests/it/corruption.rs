//! Every truncation and every single-byte change of a small valid file is a
//! typed error naming the damaged section; never a panic, never wrong data.

use skulk_codec::CodecChoice;
use skulk_format::{
    FOOTER_LEN, FormatError, FormatVersion, HEADER_LEN, TsmFooter, TsmReader, TsmWriterOptions,
};

use crate::common::{options, read_all, small_series, write};

fn small_file(codec: CodecChoice) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "small.tsm", &small_series(), options(3, codec))
}

/// The error expected when byte `i` of `bytes` (with `footer`) is changed.
fn expected_what(i: usize, len: usize, footer: &TsmFooter) -> &'static str {
    let i = i as u64;
    match i {
        0..4 => "header magic",
        4 => "version",
        5..32 => "header",
        _ if i < footer.index_offset => "block record",
        _ if i < footer.bloom_offset => "series index",
        _ if i < (len - FOOTER_LEN) as u64 => "bloom filter",
        _ if i < (len - 4) as u64 => "footer",
        _ => "footer magic",
    }
}

fn matches_region(err: &FormatError, what: &str) -> bool {
    match err {
        FormatError::Corrupt { what: found, .. } => found.starts_with(what),
        FormatError::UnsupportedVersion { .. } => what == "version",
        // A version byte changed to another known version: the header's
        // CRC, checked next, no longer matches.
        FormatError::ChecksumMismatch { what: found, .. } if what == "version" => {
            *found == "header"
        }
        FormatError::ChecksumMismatch { what: found, .. } => *found == what,
        _ => false,
    }
}

#[test]
fn every_single_byte_change_is_a_typed_error_of_its_section() {
    for codec in [CodecChoice::RAW, CodecChoice::GORILLA] {
        let bytes = small_file(codec);
        let footer = *TsmReader::open(bytes.as_slice()).unwrap().footer();
        assert!(
            bytes.len() > HEADER_LEN + FOOTER_LEN + 200,
            "the file has every section"
        );
        for i in 0..bytes.len() {
            for mask in [0x01u8, 0x80, 0xff] {
                let mut bad = bytes.clone();
                bad[i] ^= mask;
                let err = read_all(&bad).expect_err("a changed byte must not go unnoticed");
                let what = expected_what(i, bytes.len(), &footer);
                assert!(
                    matches_region(&err, what),
                    "byte {i} ^ {mask:#x}: {err} (want {what})"
                );
            }
        }
    }
}

#[test]
fn every_truncation_and_extension_is_refused_on_open() {
    let bytes = small_file(CodecChoice::GORILLA);
    for len in 0..bytes.len() {
        let err = TsmReader::open(&bytes[..len]).unwrap_err();
        assert!(
            matches!(
                err,
                FormatError::Truncated { .. } | FormatError::Corrupt { .. }
            ),
            "length {len}: {err}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(TsmReader::open(longer.as_slice()).is_err());
    let mut prefixed = vec![0u8];
    prefixed.extend_from_slice(&bytes);
    assert!(TsmReader::open(prefixed.as_slice()).is_err());
}

fn with_header_crc(mut bytes: Vec<u8>) -> Vec<u8> {
    let crc = crc32fast::hash(&bytes[..28]);
    bytes[28..32].copy_from_slice(&crc.to_le_bytes());
    bytes
}

#[test]
fn a_newer_version_is_refused_naming_the_version() {
    let mut bytes = small_file(CodecChoice::RAW);
    bytes[4] = 4;
    let bytes = with_header_crc(bytes);
    let err = TsmReader::open_named(bytes.as_slice(), "future.tsm").unwrap_err();
    assert!(
        matches!(&err, FormatError::UnsupportedVersion { found: 4, supported: 3, file: Some(f) }
            if f.to_str() == Some("future.tsm")),
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.contains("future.tsm") && message.contains("version 4"),
        "{message}"
    );
}

#[test]
fn unknown_flags_are_refused_even_with_a_valid_header_crc() {
    let mut bytes = small_file(CodecChoice::RAW);
    bytes[5] |= 0x80;
    let err = TsmReader::open(with_header_crc(bytes).as_slice()).unwrap_err();
    assert!(
        matches!(err, FormatError::Corrupt { offset: 5, .. }),
        "{err}"
    );
}

#[test]
fn a_header_disagreeing_with_the_index_is_refused_even_with_a_valid_crc() {
    let bytes = small_file(CodecChoice::RAW);
    let mut count = bytes.clone();
    count[8] += 1;
    let err = TsmReader::open(with_header_crc(count).as_slice()).unwrap_err();
    assert!(
        matches!(err, FormatError::Corrupt { offset: 8, .. }),
        "{err}"
    );
    let mut max = bytes.clone();
    max[20..28].copy_from_slice(&(i64::MAX - 1).to_le_bytes());
    let err = TsmReader::open(with_header_crc(max).as_slice()).unwrap_err();
    assert!(
        matches!(err, FormatError::Corrupt { offset: 12, .. }),
        "{err}"
    );
}

#[test]
fn a_corrupt_index_with_a_matching_crc_is_refused_without_huge_allocations() {
    let dir = tempfile::tempdir().unwrap();
    // The index starts with the series count in version 1, with the string
    // count from version 2 on.
    for (version, first) in [
        (FormatVersion::V1, "series count"),
        (FormatVersion::V2, "string count"),
        (FormatVersion::V3, "string count"),
    ] {
        let options = TsmWriterOptions {
            version,
            ..options(3, CodecChoice::RAW)
        };
        let bytes = write(dir.path(), "small.tsm", &small_series(), options);
        let footer = *TsmReader::open(bytes.as_slice()).unwrap().footer();
        let at = footer.index_offset as usize;
        let mut bad = bytes.clone();
        bad[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        let index = &bad[at..footer.bloom_offset as usize];
        let fixed = TsmFooter {
            index_crc: crc32fast::hash(index),
            ..footer
        };
        let footer_at = bad.len() - FOOTER_LEN;
        bad[footer_at..].copy_from_slice(&fixed.encode());
        let err = TsmReader::open(bad.as_slice()).unwrap_err();
        assert!(
            matches!(err, FormatError::Corrupt { what, .. } if what.contains(first)),
            "{version:?}: {err}"
        );
    }
}
