//! Targets of the codec crate: decoders, blocks, round trips.

use skulk_codec::{
    Appender, BlockView, CodecChoice, CodecId, CodecKind, CompressedBlock,
    GorillaTimestampAppender, GorillaValueAppender, MAX_BLOCK_POINTS, TimestampCodec, ValueCodec,
    timestamp_codec, value_codec,
};

fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// One registered codec's decoder on arbitrary bytes.
///
/// Input: byte 0 picks the codec from [`CodecId::ALL`], the rest is the
/// input of [`timestamp_codec_decode`] or [`value_codec_decode`].
pub fn codec_decode(data: &[u8]) {
    let [selector, rest @ ..] = data else {
        return;
    };
    let Some(&id) = CodecId::ALL.get(usize::from(*selector) % CodecId::ALL.len()) else {
        return;
    };
    match id.kind() {
        CodecKind::Timestamp => {
            if let Ok(codec) = timestamp_codec(id) {
                timestamp_codec_decode(codec, rest);
            }
        }
        CodecKind::Value => {
            if let Ok(codec) = value_codec(id) {
                value_codec_decode(codec, rest);
            }
        }
    }
}

/// Splits a decoder target's input into the point count (u16,
/// little-endian, bytes 0..2) and the payload.
fn count_and_payload(data: &[u8]) -> Option<(usize, &[u8])> {
    let [lo, hi, payload @ ..] = data else {
        return None;
    };
    Some((usize::from(u16::from_le_bytes([*lo, *hi])), payload))
}

/// Any timestamp codec's decoder on arbitrary bytes: the entry point of a
/// downstream crate's own fuzz target for its codec.
///
/// Input: bytes 0..2 the point count (u16, little-endian), the rest the
/// payload. When decoding succeeds, exactly `count` items must come out
/// from at most the input's bytes, and re-encoding them must fit
/// `max_encoded_len` and decode to the same items. Panics only when one of
/// these breaks (or the codec panics).
///
/// ```
/// // fuzz/fuzz_targets/my_codec_decode.rs of a downstream crate:
/// // fuzz_target!(|data: &[u8]| timestamp_codec_decode(&MyCodec, data));
/// skulk_testkit::fuzz::timestamp_codec_decode(&skulk_codec::GorillaTimestamps, &[2, 0, 0xff]);
/// ```
pub fn timestamp_codec_decode(codec: &dyn TimestampCodec, data: &[u8]) {
    let Some((count, payload)) = count_and_payload(data) else {
        return;
    };
    check_decoder(
        codec.id(),
        payload,
        count,
        |input, n, out: &mut Vec<i64>| codec.decode(input, n, out),
        |items, out| codec.encode(items, out),
        codec.max_encoded_len(count),
        |ts| ts.to_vec(),
    );
}

/// Any value codec's decoder on arbitrary bytes; as
/// [`timestamp_codec_decode`], with values compared by bit pattern.
///
/// ```
/// skulk_testkit::fuzz::value_codec_decode(&skulk_codec::GorillaValues, &[1, 0, 0x40, 0x09]);
/// ```
pub fn value_codec_decode(codec: &dyn ValueCodec, data: &[u8]) {
    let Some((count, payload)) = count_and_payload(data) else {
        return;
    };
    check_decoder(
        codec.id(),
        payload,
        count,
        |input, n, out: &mut Vec<f64>| codec.decode(input, n, out),
        |items, out| codec.encode(items, out),
        codec.max_encoded_len(count),
        bits,
    );
}

/// Arbitrary timestamps (8 bytes each, little-endian; a ragged tail is
/// ignored) through any timestamp codec: the decode must give them back.
///
/// ```
/// skulk_testkit::fuzz::timestamp_codec_roundtrip(&skulk_codec::GorillaTimestamps, &7i64.to_le_bytes());
/// ```
pub fn timestamp_codec_roundtrip(codec: &dyn TimestampCodec, data: &[u8]) {
    let items: Vec<i64> = words(data).map(|w| w as i64).collect();
    check_round_trip(
        codec.id(),
        &items,
        |items, out| codec.encode(items, out),
        |input, n, out| codec.decode(input, n, out),
        |ts| ts.to_vec(),
    );
}

/// Arbitrary `f64` bit patterns (8 bytes each, little-endian; a ragged
/// tail is ignored) through any value codec: the decode must give back
/// every bit.
///
/// ```
/// skulk_testkit::fuzz::value_codec_roundtrip(&skulk_codec::GorillaValues, &(-0.0f64).to_le_bytes());
/// ```
pub fn value_codec_roundtrip(codec: &dyn ValueCodec, data: &[u8]) {
    let items: Vec<f64> = words(data).map(f64::from_bits).collect();
    check_round_trip(
        codec.id(),
        &items,
        |items, out| codec.encode(items, out),
        |input, n, out| codec.decode(input, n, out),
        bits,
    );
}

/// Encodes `items`, decodes them back and compares by `key` (the bit
/// patterns, for floats), whichever item type the codec takes.
fn check_round_trip<T, K: PartialEq + std::fmt::Debug>(
    id: CodecId,
    items: &[T],
    encode: impl Fn(&[T], &mut Vec<u8>) -> skulk_codec::Result<()>,
    decode: impl Fn(&[u8], usize, &mut Vec<T>) -> skulk_codec::Result<usize>,
    key: impl Fn(&[T]) -> K,
) {
    let mut payload = Vec::new();
    encode(items, &mut payload).unwrap_or_else(|e| panic!("{id} encode: {e}"));
    let mut back = Vec::new();
    let decoded = decode(&payload, items.len(), &mut back);
    assert_eq!(decoded, Ok(payload.len()), "{id} decode");
    assert_eq!(key(&back), key(items), "{id} round trip");
}

/// Little-endian 8-byte words of `data`, at most a block's worth.
fn words(data: &[u8]) -> impl Iterator<Item = u64> + '_ {
    data.chunks_exact(8)
        .take(MAX_BLOCK_POINTS)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
}

/// The checks of [`codec_decode`] for one codec, whichever item type it
/// decodes: `key` maps decoded items to what must compare equal (the bit
/// patterns, for floats).
fn check_decoder<T, K: PartialEq + std::fmt::Debug>(
    id: CodecId,
    payload: &[u8],
    count: usize,
    decode: impl Fn(&[u8], usize, &mut Vec<T>) -> skulk_codec::Result<usize>,
    encode: impl Fn(&[T], &mut Vec<u8>) -> skulk_codec::Result<()>,
    max_encoded_len: usize,
    key: impl Fn(&[T]) -> K,
) {
    let mut out = Vec::new();
    let Ok(consumed) = decode(payload, count, &mut out) else {
        return;
    };
    assert!(
        consumed <= payload.len(),
        "{id:?} consumed more than it was given"
    );
    assert_eq!(out.len(), count, "{id:?} decoded the wrong number of items");
    let mut again = Vec::new();
    encode(&out, &mut again).unwrap_or_else(|e| panic!("{id:?} re-encode: {e}"));
    assert!(again.len() <= max_encoded_len, "{id:?} exceeds its bound");
    let mut back = Vec::new();
    assert_eq!(
        decode(&again, count, &mut back),
        Ok(again.len()),
        "{id:?} re-decode"
    );
    assert_eq!(key(&back), key(&out), "{id:?} re-encoded items differ");
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
    // Bit 0: a fixed pair or an adaptive choice; a fixed pair's timestamp
    // codec from bits 1 and 2, its value codec from bits 3 and up; an
    // adaptive choice's candidates (current or version 1) from bit 1.
    let pick = usize::from(*selector);
    let choice = match (
        ts_ids.get(pick / 2 % ts_ids.len().max(1)),
        value_ids.get(pick / 8 % value_ids.len().max(1)),
    ) {
        (Some(&t), Some(&v)) if pick % 2 == 0 => CodecChoice::Fixed {
            timestamps: t,
            values: v,
        },
        _ if pick & 2 != 0 => CodecChoice::AdaptiveV1,
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
