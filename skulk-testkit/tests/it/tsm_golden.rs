//! Golden files of the TSM format in `skulk-testkit/vectors/tsm/v<N>`.
//!
//! The files, their inputs, the writer options and the codec ids their
//! blocks recorded are defined once, in `skulk-testkit`'s `format_suite`
//! (`golden_tsm_files`); this module holds the checks.
//!
//! Append-only: each listed file was written once with
//! `SKULK_WRITE_GOLDEN=1 cargo test -p skulk-testkit --test it tsm_golden`, which
//! only creates files that are missing and never overwrites one. Without the
//! variable, every listed file must exist, decode to its input, and carry
//! the codec ids listed for it: the fixed pair of its [`CodecChoice`] in
//! every block or, under an adaptive choice, the per-block choices in
//! `adaptive_codecs`. A file marked `reproduced` must also equal byte for
//! byte a file freshly written from the same input and options, so an
//! accidental change of the format, a pinned codec or the adaptive
//! selector fails here (a selector change twice: the ids, then the bytes).
//!
//! A deliberate writer change never rewrites a file: its entry gets
//! `reproduced: false`, which keeps the decode and codec-id checks and drops
//! the byte comparison (a read-compatibility case), and the new output goes
//! into a new file under a new name (e.g. `adaptive_small_2.tsm`).

use std::sync::Once;

use skulk_codec::{BlockView, CodecChoice, CodecId};
use skulk_format::TsmReader;
use skulk_testkit::format_suite::{GoldenTsm, golden_tsm_files, read_contents};
use skulk_testkit::golden::write_missing_once;

use skulk_format::{SeriesMeta, TsmWriter, TsmWriterOptions};
use skulk_testkit::sim_fs::SimFs;

/// One series to write: metadata, timestamps, values.
type Series = (SeriesMeta, Vec<i64>, Vec<f64>);

/// Under `SKULK_WRITE_GOLDEN=1`, writes the listed files that are missing.
/// Once per test run: every test that reads the golden files calls it
/// first, and waits until the writing is done.
fn write_missing() {
    static ONCE: Once = Once::new();
    write_missing_once(&ONCE, write_missing_files);
}

fn write_missing_files() {
    for golden in golden_tsm_files().iter().filter(|g| g.reproduced) {
        let path = golden.path();
        if !path.exists() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, fresh_bytes(golden)).unwrap();
            println!("wrote golden file {}", path.display());
        }
    }
}

/// The input of `golden` as the writer takes it.
fn input(golden: &GoldenTsm) -> Vec<Series> {
    (golden.series)()
        .into_iter()
        .map(|s| {
            let values = s.values();
            (s.meta, s.timestamps, values)
        })
        .collect()
}

fn fresh_bytes(golden: &GoldenTsm) -> Vec<u8> {
    write(&input(golden), golden.options)
}

/// Writes `series` to a file on a simulated disk and returns its bytes.
fn write(series: &[Series], options: TsmWriterOptions) -> Vec<u8> {
    let disk = SimFs::new();
    let mut writer =
        TsmWriter::create_in(std::sync::Arc::new(disk.clone()), "f.tsm", options).unwrap();
    for (meta, ts, vs) in series {
        writer.write_series(meta, ts, vs).unwrap();
    }
    let handle = writer.finish().unwrap();
    let bytes = disk.get("f.tsm").unwrap();
    assert_eq!(handle.stats.file_size, bytes.len() as u64);
    bytes
}

/// The (timestamp, value) codec ids recorded in each block, in file order.
fn block_codecs(
    reader: &TsmReader<&[u8]>,
    bytes: &[u8],
) -> Result<Vec<(CodecId, CodecId)>, String> {
    // Inline blocks (one point in a version-2 index) have no codecs.
    let mut blocks: Vec<_> = reader
        .series()
        .flat_map(|entry| entry.blocks.iter().copied())
        .filter(|block| !block.is_inline())
        .collect();
    blocks.sort_by_key(|block| block.offset);
    blocks
        .iter()
        .map(|block| {
            // The compressed block follows the series id and block length
            // and precedes the CRC (FORMAT.md, "Data section: block records").
            let start = block.offset as usize + 12;
            let end = (block.offset + u64::from(block.len)) as usize - 4;
            let view = BlockView::parse(&bytes[start..end])
                .map_err(|e| format!("block at {}: {e}", block.offset))?;
            Ok((view.header().timestamp_codec, view.header().value_codec))
        })
        .collect()
}

fn expected_codecs(golden: &GoldenTsm, blocks: usize) -> Vec<(CodecId, CodecId)> {
    match golden.options.codec {
        CodecChoice::Fixed { timestamps, values } => vec![(timestamps, values); blocks],
        CodecChoice::Adaptive | CodecChoice::AdaptiveV1 => golden.adaptive_codecs.to_vec(),
    }
}

/// Checks `bytes`, the contents of `golden`'s file (or a copy of them, to
/// show that a check fails). Returns the first failure.
fn check(golden: &GoldenTsm, bytes: &[u8]) -> Result<(), String> {
    let name = golden.name;
    if bytes.get(..4) != Some(b"ATSM") || bytes.get(4) != Some(&golden.version) {
        return Err(format!("{name}: not a TSM v{} file", golden.version));
    }
    let reader = TsmReader::open_named(bytes, golden.path()).map_err(|e| format!("{e}"))?;
    reader.verify().map_err(|e| format!("{e}"))?;
    let got = read_contents(&reader).map_err(|e| format!("{e}"))?;
    let series = reader.stats().series_count;
    if got != golden.expected() || series != (golden.series)().len() as u64 {
        return Err(format!("{name}: the contents differ from the input"));
    }
    let codecs = block_codecs(&reader, bytes)?;
    if codecs != expected_codecs(golden, codecs.len()) {
        return Err(format!("{name}: the blocks' codecs changed: {codecs:?}"));
    }
    if golden.reproduced && bytes != fresh_bytes(golden) {
        return Err(format!("{name}: the writer's output changed"));
    }
    Ok(())
}

#[test]
fn golden_files_decode_to_their_input_and_match_the_writer_byte_for_byte() {
    write_missing();
    let files = golden_tsm_files();
    assert!(files.iter().any(|g| g.reproduced));
    for golden in &files {
        let path = golden.path();
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        check(golden, &bytes).unwrap_or_else(|failure| panic!("{failure}"));
    }
}

#[test]
fn every_listed_golden_file_exists_and_every_file_is_listed() {
    write_missing();
    let files = golden_tsm_files();
    let mut dirs: Vec<_> = files
        .iter()
        .map(|g| g.path().parent().unwrap().to_path_buf())
        .collect();
    dirs.sort();
    dirs.dedup();
    for golden in &files {
        assert!(
            golden.path().is_file(),
            "golden file {} is missing",
            golden.name
        );
    }
    for dir in dirs {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let readme = path.file_name().is_some_and(|n| n == "README.md");
            assert!(
                readme || files.iter().any(|g| g.path() == path),
                "{} has no test",
                path.display()
            );
        }
    }
}

fn listed(name: &str) -> GoldenTsm {
    golden_tsm_files()
        .into_iter()
        .find(|g| g.name == name)
        .unwrap()
}

/// Another writer option gives other bytes: the byte comparison fails, and
/// only it, so `reproduced: false` lets the same file pass.
#[test]
fn the_byte_comparison_fails_for_other_options_unless_the_file_is_not_reproduced() {
    write_missing();
    let mut golden = listed("raw_many_series.tsm");
    let bytes = golden.bytes().unwrap();
    golden.options.bloom_false_positive_rate = 0.01;
    let failure = check(&golden, &bytes).unwrap_err();
    assert!(failure.contains("the writer's output changed"), "{failure}");
    golden.reproduced = false;
    check(&golden, &bytes).unwrap();
}

#[test]
fn a_changed_codec_list_or_input_fails_the_check() {
    write_missing();
    let mut golden = listed("adaptive_small.tsm");
    let bytes = golden.bytes().unwrap();
    golden.adaptive_codecs = &golden.adaptive_codecs[1..];
    let failure = check(&golden, &bytes).unwrap_err();
    assert!(failure.contains("the blocks' codecs changed"), "{failure}");

    let mut golden = listed("raw_small.tsm");
    let bytes = golden.bytes().unwrap();
    golden.series = Vec::new;
    let failure = check(&golden, &bytes).unwrap_err();
    assert!(failure.contains("the contents differ"), "{failure}");
}
