//! Targets of the TSM format: the reader on arbitrary bytes, and written
//! files damaged in one place.

use std::sync::Arc;

use skulk_codec::CodecChoice;
use skulk_format::{FormatVersion, TimeRange, TsmReader, TsmWriter, TsmWriterOptions};

use super::input::{Input, damage, series_from};
use crate::format_suite::{TsmContents, read_contents};
use crate::sim_fs::SimFs;

/// A TSM file from arbitrary bytes: open, list every series, read every
/// block and every series, verify. A block that reads must hold what the
/// index says; a file that verifies must read completely.
pub fn format_tsm_reader(data: &[u8]) {
    let Ok(reader) = TsmReader::open(data) else {
        return;
    };
    let verified = reader.verify().is_ok();
    check_postings(&reader);
    for entry in reader.series() {
        assert_eq!(
            entry.meta.id(),
            entry.id,
            "the index must hold the series' own id"
        );
        // An owned copy is as long as the canonical bytes, which shared
        // strings can make far longer than the file.
        if entry.meta.canonical_len() <= 1 << 20 {
            assert_eq!(
                entry.meta.to_meta().id(),
                entry.id,
                "the metadata read in place must be the canonical one"
            );
        }
        let mut total = 0usize;
        for block in entry.blocks {
            let (mut ts, mut vs) = (Vec::new(), Vec::new());
            match reader.read_block(block, &mut ts, &mut vs) {
                Ok(()) => {
                    assert_eq!(ts.len(), block.point_count as usize, "block point count");
                    assert_eq!(vs.len(), ts.len());
                    assert!(ts.iter().all(|t| (block.min_ts..=block.max_ts).contains(t)));
                    total += ts.len();
                }
                Err(e) => {
                    assert!(!verified, "a verified file fails to read a block: {e}");
                    assert!(ts.is_empty() && vs.is_empty(), "a failed read left output");
                }
            }
        }
        if let Ok((ts, vs)) = reader.read_series(entry.id, TimeRange::ALL) {
            assert_eq!(
                (ts.len(), vs.len()),
                (total, total),
                "read_series vs read_block"
            );
        }
    }
}

/// A file's postings (version 3) list exactly the series carrying each
/// pair: a selection made from them is the one a scan of the series makes.
fn check_postings(reader: &TsmReader<&[u8]>) {
    let (Some(postings), Some(table)) = (reader.postings(), reader.label_table()) else {
        return;
    };
    let series: Vec<_> = reader.series().collect();
    let mut listed = vec![0usize; series.len()];
    for (pair, positions) in postings {
        let (name, value) = table.pair(pair).expect("postings of a pair in the table");
        let mut previous = None;
        for position in positions {
            assert!(previous < Some(position), "postings ascend");
            previous = Some(position);
            let entry = series
                .get(position as usize)
                .expect("a listed series exists");
            assert_eq!(
                entry.meta.label(name),
                Some(value),
                "a listed series carries the pair"
            );
            if let Some(n) = listed.get_mut(position as usize) {
                *n += 1;
            }
        }
    }
    for (entry, n) in series.iter().zip(listed) {
        assert_eq!(
            entry.meta.labels().count(),
            n,
            "each label of a series is listed"
        );
    }
}

/// Arbitrary series written with `TsmWriter` (in memory), then one byte
/// flipped or the file truncated, then opened and read completely: the
/// undamaged file must read back exactly, a damaged one must give a typed
/// error or exactly the written data. This reaches past the checksums that
/// stop [`format_tsm_reader`].
///
/// Input: damage (u16 offset, u8 mask, u8 truncate-if-0-mod-8), options
/// (u8: block size, codec and format version), then the series.
pub fn format_tsm_roundtrip(data: &[u8]) {
    let mut input = Input(data);
    let damage_input = input.bytes::<4>();
    let options_byte = input.u8();
    let series = series_from(&mut input);
    let options = TsmWriterOptions {
        max_points_per_block: 1 + usize::from(options_byte % 16),
        codec: if options_byte & 0x80 == 0 {
            CodecChoice::Adaptive
        } else {
            CodecChoice::RAW
        },
        bloom_false_positive_rate: 0.01,
        version: match options_byte & 0x60 {
            0x40 => FormatVersion::V1,
            0x20 => FormatVersion::V2,
            _ => FormatVersion::V3,
        },
    };
    let storage = SimFs::labelled("fuzz");
    let path = std::path::Path::new("roundtrip.tsm");
    let mut writer = TsmWriter::create_in(Arc::new(storage.clone()), path, options)
        .unwrap_or_else(|e| panic!("create: {e}"));
    for s in &series {
        let values: Vec<f64> = s.value_bits.iter().map(|b| f64::from_bits(*b)).collect();
        writer
            .write_series(&s.meta, &s.timestamps, &values)
            .unwrap_or_else(|e| panic!("write: {e}"));
    }
    writer.finish().unwrap_or_else(|e| panic!("finish: {e}"));
    let mut bytes = storage
        .get(path)
        .unwrap_or_else(|| panic!("no file was published"));
    let expected: TsmContents = series.into_iter().map(|s| (s.meta.id(), s)).collect();
    let read = |b: &[u8]| {
        TsmReader::open(b).and_then(|r| {
            check_postings(&r);
            read_contents(&r)
        })
    };
    let clean = read(&bytes).unwrap_or_else(|e| panic!("the undamaged file fails: {e}"));
    assert!(clean == expected, "the undamaged file reads back wrong");
    if let Some(done) = damage(&mut Input(&damage_input), &mut bytes)
        && let Ok(got) = read(&bytes)
    {
        assert!(got == expected, "{done:?} gave wrong data without an error");
    }
}
