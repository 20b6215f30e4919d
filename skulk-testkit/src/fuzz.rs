//! The entry points of the fuzz targets, shared with the corpus replay test.
//!
//! Each function takes arbitrary bytes, drives one decoder the way a user
//! would, and panics only when a contract is broken: a decoder panicking on
//! its own, returning more items than asked, or a round trip that is not
//! bit-exact. Typed errors are the expected answer to bad input.
//!
//! `fuzz/fuzz_targets/<name>.rs` calls [`run`] with its own name, and the
//! test `tests/it/fuzz_replay.rs` feeds every file of `fuzz/corpus/<name>/`
//! and `bad_data/<name>/` through the same function, so a crash found once
//! stays fixed without cargo-fuzz.

use std::sync::Arc;

use skulk_codec::{
    Appender, BlockView, CodecChoice, CodecId, CodecKind, CompressedBlock,
    GorillaTimestampAppender, GorillaValueAppender, MAX_BLOCK_POINTS, timestamp_codec, value_codec,
};
use skulk_format::{DataPoint, SeriesMeta, TimeRange, TsmReader, TsmWriter, TsmWriterOptions};
use skulk_wal::{Lsn, Wal, WalConfig, WalEntry};

use crate::format_suite::{SeriesContents, TsmContents, read_contents};
use crate::mem_dir::MemDir;
use crate::mem_tsm::MemTsmStorage;

/// The name the `wal_recovery` target gives its input: the first segment of
/// a log that starts at LSN 1.
pub const WAL_SEGMENT_NAME: &str = "0000000000000001.wal";

/// A fuzz target: its name and its entry point.
pub type Target = (&'static str, fn(&[u8]));

/// Every target, by the name of its `fuzz/fuzz_targets/<name>.rs` file.
pub const TARGETS: &[Target] = &[
    ("codec_decode", codec_decode),
    ("codec_block", codec_block),
    ("codec_roundtrip", codec_roundtrip),
    ("format_tsm_reader", format_tsm_reader),
    ("wal_recovery", wal_recovery),
    ("format_tsm_roundtrip", format_tsm_roundtrip),
    ("wal_roundtrip", wal_roundtrip),
    #[cfg(feature = "cli")]
    ("cli_import", cli_import),
];

/// Runs the target called `name`; `false` when there is none.
pub fn run(name: &str, data: &[u8]) -> bool {
    match TARGETS.iter().find(|(n, _)| *n == name) {
        Some((_, target)) => {
            target(data);
            true
        }
        None => false,
    }
}

fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// One registered codec's decoder on arbitrary bytes.
///
/// Input: byte 0 picks the codec from [`CodecId::ALL`], bytes 1..3 the point
/// count (u16, little-endian), the rest is the payload. When decoding
/// succeeds, exactly `count` items must come out from at most the input's
/// bytes, and re-encoding them must decode to the same bits.
pub fn codec_decode(data: &[u8]) {
    let [selector, lo, hi, payload @ ..] = data else {
        return;
    };
    let Some(&id) = CodecId::ALL.get(usize::from(*selector) % CodecId::ALL.len()) else {
        return;
    };
    let count = usize::from(u16::from_le_bytes([*lo, *hi]));
    match id.kind() {
        CodecKind::Timestamp => {
            let Ok(codec) = timestamp_codec(id) else {
                return;
            };
            let mut out = Vec::new();
            if let Ok(consumed) = codec.decode(payload, count, &mut out) {
                assert!(
                    consumed <= payload.len(),
                    "{id:?} consumed more than it was given"
                );
                assert_eq!(
                    out.len(),
                    count,
                    "{id:?} decoded the wrong number of timestamps"
                );
                let mut again = Vec::new();
                codec
                    .encode(&out, &mut again)
                    .unwrap_or_else(|e| panic!("{id:?} re-encode: {e}"));
                assert!(
                    again.len() <= codec.max_encoded_len(count),
                    "{id:?} exceeds its bound"
                );
                let mut back = Vec::new();
                let used = codec.decode(&again, count, &mut back);
                assert_eq!(used, Ok(again.len()), "{id:?} re-decode");
                assert_eq!(back, out, "{id:?} re-encoded timestamps differ");
            }
        }
        CodecKind::Value => {
            let Ok(codec) = value_codec(id) else { return };
            let mut out = Vec::new();
            if let Ok(consumed) = codec.decode(payload, count, &mut out) {
                assert!(
                    consumed <= payload.len(),
                    "{id:?} consumed more than it was given"
                );
                assert_eq!(
                    out.len(),
                    count,
                    "{id:?} decoded the wrong number of values"
                );
                let mut again = Vec::new();
                codec
                    .encode(&out, &mut again)
                    .unwrap_or_else(|e| panic!("{id:?} re-encode: {e}"));
                assert!(
                    again.len() <= codec.max_encoded_len(count),
                    "{id:?} exceeds its bound"
                );
                let mut back = Vec::new();
                let used = codec.decode(&again, count, &mut back);
                assert_eq!(used, Ok(again.len()), "{id:?} re-decode");
                assert_eq!(bits(&back), bits(&out), "{id:?} re-encoded values differ");
            }
        }
    }
}

/// [`BlockView::parse`] and decode of a whole block from arbitrary bytes.
/// A block that decodes must hold as many points as its header says, with
/// timestamps inside the header's min/max, and survive a copy.
pub fn codec_block(data: &[u8]) {
    let Ok(view) = BlockView::parse(data) else {
        return;
    };
    let (mut ts, mut vs) = (Vec::new(), Vec::new());
    if view.decode_into(&mut ts, &mut vs).is_err() {
        assert!(
            ts.is_empty() && vs.is_empty(),
            "a failed decode left partial output"
        );
        return;
    }
    let header = *view.header();
    assert_eq!(ts.len(), view.point_count());
    assert_eq!(vs.len(), view.point_count());
    assert!(
        ts.iter()
            .all(|t| (header.min_timestamp..=header.max_timestamp).contains(t))
    );
    let owned = view.to_owned();
    assert_eq!(
        owned.as_bytes(),
        data,
        "a decodable block must copy byte for byte"
    );
    let (ts2, vs2) = owned
        .decode()
        .unwrap_or_else(|e| panic!("copy fails to decode: {e}"));
    assert_eq!(ts2, ts);
    assert_eq!(bits(&vs2), bits(&vs));
}

/// Arbitrary points through every codec pair, the adaptive choice and the
/// streaming appenders: decoding must give back the input bit for bit.
///
/// Input: byte 0 picks the codec pair, then 16 bytes per point (i64
/// timestamp, f64 bits, little-endian); a ragged tail is ignored.
pub fn codec_roundtrip(data: &[u8]) {
    let [selector, rest @ ..] = data else { return };
    let (timestamps, values): (Vec<i64>, Vec<f64>) = rest
        .chunks_exact(16)
        .take(MAX_BLOCK_POINTS)
        .map(|c| {
            let (t, v) = c.split_at(8);
            let t = i64::from_le_bytes(t.try_into().unwrap_or_default());
            let v = f64::from_bits(u64::from_le_bytes(v.try_into().unwrap_or_default()));
            (t, v)
        })
        .unzip();
    let ts_ids: Vec<CodecId> = CodecId::ALL
        .iter()
        .copied()
        .filter(|id| id.kind() == CodecKind::Timestamp)
        .collect();
    let value_ids: Vec<CodecId> = CodecId::ALL
        .iter()
        .copied()
        .filter(|id| id.kind() == CodecKind::Value)
        .collect();
    let pick = usize::from(*selector);
    let choice = match (
        ts_ids.get(pick % ts_ids.len().max(1)),
        value_ids.get(pick / 16 % value_ids.len().max(1)),
    ) {
        (Some(&t), Some(&v)) if pick % 2 == 0 => CodecChoice::Fixed {
            timestamps: t,
            values: v,
        },
        _ => CodecChoice::Adaptive,
    };
    let block = CompressedBlock::encode_with(&timestamps, &values, choice)
        .unwrap_or_else(|e| panic!("encode {choice:?}: {e}"));
    let (ts, vs) = CompressedBlock::from_bytes(block.as_bytes())
        .and_then(|b| b.decode())
        .unwrap_or_else(|e| panic!("decode {choice:?}: {e}"));
    assert_eq!(ts, timestamps, "{choice:?} timestamps");
    assert_eq!(bits(&vs), bits(&values), "{choice:?} values");
    appenders_round_trip(&timestamps, &values);
}

/// A TSM file from arbitrary bytes: open, list every series, read every
/// block and every series, verify. A block that reads must hold what the
/// index says; a file that verifies must read completely.
pub fn format_tsm_reader(data: &[u8]) {
    let Ok(reader) = TsmReader::open(data) else {
        return;
    };
    let verified = reader.verify().is_ok();
    for entry in reader.series() {
        assert_eq!(
            entry.meta.id(),
            entry.id,
            "the index must hold the series' own id"
        );
        let mut total = 0usize;
        for block in &entry.blocks {
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

/// A WAL segment from arbitrary bytes, recovered read-only, then opened for
/// writing (which cuts a torn tail) and recovered again: both recoveries
/// must agree on the records, LSNs must increase, and the second must find
/// no torn tail.
pub fn wal_recovery(data: &[u8]) {
    let dir = MemDir::new("fuzz-wal");
    dir.insert(WAL_SEGMENT_NAME, data.to_vec());
    let Ok(first) = Wal::recover_in(&dir) else {
        return;
    };
    assert!(
        first.records().windows(2).all(|w| w[0].0 < w[1].0),
        "LSNs must increase"
    );
    assert!(
        first.torn_bytes() <= data.len() as u64,
        "cut more than the file"
    );
    let _ = first.series();
    let _ = first.data_points();
    let _ = first.last_checkpoint();
    let Ok((wal, reopened)) = Wal::open_in(Arc::new(dir.clone()), WalConfig::default()) else {
        return;
    };
    drop(wal);
    assert!(
        records_bit_eq(reopened.records(), first.records()),
        "open and recover disagree"
    );
    let again = Wal::recover_in(&dir).unwrap_or_else(|e| panic!("recovery after open: {e}"));
    assert!(
        records_bit_eq(again.records(), first.records()),
        "the cut changed the records"
    );
    assert_eq!(again.torn_bytes(), 0, "a torn tail survived opening");
}

/// True when both record lists are equal, values compared by their bits
/// (so NaN equals itself and `-0.0` differs from `0.0`).
pub fn records_bit_eq(a: &[(Lsn, WalEntry)], b: &[(Lsn, WalEntry)]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|((la, ea), (lb, eb))| {
            la == lb
                && match (ea, eb) {
                    (WalEntry::Points(pa), WalEntry::Points(pb)) => {
                        pa.len() == pb.len() && pa.iter().zip(pb).all(|(x, y)| x.bit_eq(y))
                    }
                    (ea, eb) => ea == eb,
                }
        })
}

/// Reads fuzzer bytes as numbers; zeros once they run out.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let n = N.min(self.0.len());
        let (head, tail) = self.0.split_at(n);
        out.get_mut(..n).unwrap_or_default().copy_from_slice(head);
        self.0 = tail;
        out
    }
    fn u8(&mut self) -> u8 {
        self.bytes::<1>()[0]
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.bytes())
    }
    fn i64(&mut self) -> i64 {
        i64::from_le_bytes(self.bytes())
    }
    fn f64(&mut self) -> f64 {
        f64::from_bits(u64::from_le_bytes(self.bytes()))
    }
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Up to 4 series of up to 48 points each, strictly increasing timestamps
/// from arbitrary starts and gaps, arbitrary value bits.
fn series_from(input: &mut Input<'_>) -> Vec<SeriesContents> {
    let mut out: Vec<SeriesContents> = Vec::new();
    for s in 0..=(input.u8() % 4) {
        let meta = SeriesMeta::new(
            format!("m{}", input.u8() % 8),
            vec![("s".into(), s.to_string())],
        );
        let (mut timestamps, mut values) = (Vec::new(), Vec::new());
        let mut ts = input.i64();
        for _ in 0..input.u8() % 48 {
            timestamps.push(ts);
            values.push(input.f64());
            let gap = i64::from(input.u16()) + 1;
            match ts.checked_add(gap.saturating_mul(if input.u8() % 4 == 0 { 1 << 40 } else { 1 }))
            {
                Some(next) => ts = next,
                None => break,
            }
        }
        if out.iter().all(|o| o.meta != meta) {
            out.push(SeriesContents::new(meta, timestamps, &values));
        }
    }
    out
}

/// Damage done to a file: a byte flipped, or the file cut, at `at`.
#[derive(Debug, Clone, Copy)]
struct Damage {
    at: usize,
    truncated: bool,
}

/// A damage instruction: byte offset (modulo the file's length) and XOR
/// mask (0: no damage), or a truncation.
fn damage(input: &mut Input<'_>, bytes: &mut Vec<u8>) -> Option<Damage> {
    let (offset, mask, truncate) = (usize::from(input.u16()), input.u8(), input.u8() % 8 == 0);
    if bytes.is_empty() || (mask == 0 && !truncate) {
        return None;
    }
    let at = offset % bytes.len();
    if truncate {
        bytes.truncate(at);
        return Some(Damage { at, truncated: true });
    }
    let byte = bytes.get_mut(at)?;
    *byte ^= mask;
    Some(Damage { at, truncated: false })
}

/// Arbitrary series written with `TsmWriter` (in memory), then one byte
/// flipped or the file truncated, then opened and read completely: the
/// undamaged file must read back exactly, a damaged one must give a typed
/// error or exactly the written data. This reaches past the checksums that
/// stop [`format_tsm_reader`].
///
/// Input: damage (u16 offset, u8 mask, u8 truncate-if-0-mod-8), options
/// (u8: block size and codec), then the series.
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
    };
    let storage = MemTsmStorage::new();
    let path = std::path::Path::new("fuzz/roundtrip.tsm");
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
    let read = |b: &[u8]| TsmReader::open(b).and_then(|r| read_contents(&r));
    let clean = read(&bytes).unwrap_or_else(|e| panic!("the undamaged file fails: {e}"));
    assert!(clean == expected, "the undamaged file reads back wrong");
    if let Some(done) = damage(&mut Input(&damage_input), &mut bytes) {
        if let Ok(got) = read(&bytes) {
            assert!(got == expected, "{done:?} gave wrong data without an error");
        }
    }
}

/// Arbitrary batches logged with `Wal` (in memory), then one byte of the
/// segment flipped or the segment truncated, then recovered: the
/// undamaged log must recover exactly; a damaged one must give a typed
/// error, the exact records, or (damage in the last record only) every
/// record but the last.
///
/// Input: damage (as in [`format_tsm_roundtrip`]), then batches of points.
pub fn wal_roundtrip(data: &[u8]) {
    let mut input = Input(data);
    let damage_input = input.bytes::<4>();
    let dir = MemDir::new("fuzz-wal");
    let Ok((wal, _)) = Wal::open_in(Arc::new(dir.clone()), WalConfig::default()) else {
        panic!("opening an empty log failed");
    };
    let mut last_start = 0;
    while !input.is_empty() {
        let batch: Vec<DataPoint> = series_from(&mut input)
            .into_iter()
            .flat_map(|s| {
                let meta = Arc::new(s.meta);
                let points: Vec<DataPoint> = s
                    .timestamps
                    .iter()
                    .zip(&s.value_bits)
                    .map(|(t, v)| DataPoint::for_series(Arc::clone(&meta), *t, f64::from_bits(*v)))
                    .collect();
                points
            })
            .collect();
        if batch.is_empty() {
            continue;
        }
        last_start = dir.get(WAL_SEGMENT_NAME).map_or(0, |b| b.len());
        wal.append_points(&batch)
            .unwrap_or_else(|e| panic!("append: {e}"));
    }
    drop(wal);
    let Some(mut bytes) = dir.get(WAL_SEGMENT_NAME) else {
        return;
    };
    let full = Wal::recover_in(&dir).unwrap_or_else(|e| panic!("the undamaged log fails: {e}"));
    let full = full.records();
    let Some(done) = damage(&mut Input(&damage_input), &mut bytes) else {
        return;
    };
    dir.insert(WAL_SEGMENT_NAME, bytes);
    if let Ok(got) = Wal::recover_in(&dir) {
        let got = got.records();
        let identical = records_bit_eq(got, full);
        // Recovery may cut a torn tail: after a truncation, or when a flip
        // lies in the last append (the exact rule, last record only, is
        // swept in `tests/it/wal_corruption.rs`).
        let tail = done.truncated || done.at >= last_start;
        let cut = tail
            && got.len() < full.len()
            && records_bit_eq(got, full.get(..got.len()).unwrap_or_default());
        assert!(
            identical || cut,
            "{done:?} (last append at {last_start}) gave wrong records"
        );
    }
}

/// The command-line tool's import parsers (Influx line protocol and CSV)
/// on an arbitrary stream: every line gives points or a line error, a
/// refused line appends nothing, and every point's id is its series' id.
///
/// Input: byte 0 picks the format and the timestamp precision, the rest is
/// the stream. Only with the feature `cli`.
#[cfg(feature = "cli")]
pub fn cli_import(data: &[u8]) {
    use skulk_cli::ingest::{PointReader, Precision};
    let [selector, stream @ ..] = data else {
        return;
    };
    let precision = match selector % 4 {
        0 => Precision::Nanoseconds,
        1 => Precision::Microseconds,
        2 => Precision::Milliseconds,
        _ => Precision::Seconds,
    };
    let mut reader = match (selector / 4) % 3 {
        0 => PointReader::line_protocol(stream, precision),
        1 => PointReader::csv(stream, Some(SeriesMeta::new("fuzz", vec![])), precision),
        _ => PointReader::csv(stream, None, precision),
    };
    let mut out = Vec::new();
    let mut lines = 0usize;
    loop {
        let before = out.len();
        let Ok(Some(result)) = reader.next_line(&mut out) else {
            break;
        };
        if result.is_err() {
            assert_eq!(out.len(), before, "a refused line appended points");
        }
        lines += 1;
        assert!(lines <= stream.len() + 1, "more lines than bytes");
    }
    assert!(
        out.iter().all(|p| p.series_id == p.series.id()),
        "a point with a foreign series id"
    );
}

fn appenders_round_trip(timestamps: &[i64], values: &[f64]) {
    let mut ts_appender = GorillaTimestampAppender::new();
    let mut value_appender = GorillaValueAppender::new();
    for (&t, &v) in timestamps.iter().zip(values) {
        if ts_appender.push(t).is_err() || value_appender.push(v).is_err() {
            return;
        }
    }
    let n = ts_appender.len();
    let (ts_id, value_id) = (ts_appender.id(), value_appender.id());
    let (ts_bytes, value_bytes) = (ts_appender.finish(), value_appender.finish());
    let mut ts = Vec::new();
    let mut vs = Vec::new();
    let ts_codec = timestamp_codec(ts_id).unwrap_or_else(|e| panic!("{e}"));
    let value_codec = value_codec(value_id).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        ts_codec.decode(&ts_bytes, n, &mut ts),
        Ok(ts_bytes.len()),
        "timestamp appender"
    );
    assert_eq!(
        value_codec.decode(&value_bytes, n, &mut vs),
        Ok(value_bytes.len()),
        "value appender"
    );
    assert_eq!(ts, timestamps.get(..n).unwrap_or_default());
    assert_eq!(bits(&vs), bits(values.get(..n).unwrap_or_default()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_accept_empty_and_short_inputs() {
        for (name, _) in TARGETS {
            for data in [&[][..], &[0], &[1, 2], &[0xFF; 40]] {
                assert!(run(name, data));
            }
        }
        assert!(!run("no_such_target", &[]));
    }

    #[test]
    fn round_trip_target_covers_special_values() {
        let mut data = vec![0u8];
        for (t, v) in [
            (i64::MIN, f64::NAN),
            (0, -0.0),
            (i64::MAX, f64::INFINITY),
            (5, 1e-310),
        ] {
            data.extend_from_slice(&t.to_le_bytes());
            data.extend_from_slice(&v.to_bits().to_le_bytes());
        }
        for selector in 0..=255u8 {
            data[0] = selector;
            codec_roundtrip(&data);
        }
    }
}
