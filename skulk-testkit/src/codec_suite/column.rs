//! The column suite: one timestamp or value codec against the edge cases,
//! the damage sweeps and proptest inputs, each broken rule reported with
//! its case and input.

use std::fmt::Debug;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestError, TestRunner};
use skulk_codec::{CodecError, MAX_BLOCK_POINTS, TimestampCodec, ValueCodec};

use super::report::{first_difference, no_panic, show_input};
use super::{CASES, FLIP_MASKS};

/// One column codec under test: the common ground of the two codec traits.
pub(super) trait Column {
    type Item: Copy + Debug;
    fn describe(&self) -> String;
    fn max_encoded_len(&self, points: usize) -> usize;
    fn encode(&self, items: &[Self::Item], out: &mut Vec<u8>) -> Result<(), CodecError>;
    fn decode(
        &self,
        input: &[u8],
        count: usize,
        out: &mut Vec<Self::Item>,
    ) -> Result<usize, CodecError>;
    fn bits(item: Self::Item) -> u64;
    /// Checks what the codec promises beyond decoding `input` (a payload,
    /// whole or damaged, that decodes): nothing unless overridden.
    fn check_promises(&self, _input: &[u8], _count: usize) -> Result<(), Broken> {
        Ok(())
    }
}

impl Column for &dyn TimestampCodec {
    type Item = i64;
    fn describe(&self) -> String {
        self.id().to_string()
    }
    fn max_encoded_len(&self, points: usize) -> usize {
        TimestampCodec::max_encoded_len(*self, points)
    }
    fn encode(&self, items: &[i64], out: &mut Vec<u8>) -> Result<(), CodecError> {
        TimestampCodec::encode(*self, items, out)
    }
    fn decode(&self, input: &[u8], count: usize, out: &mut Vec<i64>) -> Result<usize, CodecError> {
        TimestampCodec::decode(*self, input, count, out)
    }
    fn bits(item: i64) -> u64 {
        item as u64
    }
    /// `decode_sorted` decodes as `decode` does, and calls the timestamps
    /// sorted only when they are non-decreasing (a block takes the first
    /// and last for their bounds on that word).
    fn check_promises(&self, input: &[u8], count: usize) -> Result<(), Broken> {
        let mut plain = Vec::new();
        let what = || "decode".to_string();
        let decoded = no_panic(what, || {
            TimestampCodec::decode(*self, input, count, &mut plain)
        })?;
        let mut claimed = Vec::new();
        let what = || "decode_sorted".to_string();
        let sorted = no_panic(what, || self.decode_sorted(input, count, &mut claimed))?;
        match (decoded, sorted) {
            (Ok(consumed), Ok((same, sorted))) => {
                rule(consumed == same && plain == claimed, || {
                    "decode_sorted decoded other timestamps than decode".to_string()
                })?;
                let ordered = claimed.windows(2).all(|w| w.first() <= w.get(1));
                rule(!sorted || ordered, || {
                    "decode_sorted called timestamps that go back sorted".to_string()
                })
            }
            (Err(_), Err(_)) => Ok(()),
            _ => Err("decode and decode_sorted disagree on whether the input decodes".to_string()),
        }
    }
}

impl Column for &dyn ValueCodec {
    type Item = f64;
    fn describe(&self) -> String {
        self.id().to_string()
    }
    fn max_encoded_len(&self, points: usize) -> usize {
        ValueCodec::max_encoded_len(*self, points)
    }
    fn encode(&self, items: &[f64], out: &mut Vec<u8>) -> Result<(), CodecError> {
        ValueCodec::encode(*self, items, out)
    }
    fn decode(&self, input: &[u8], count: usize, out: &mut Vec<f64>) -> Result<usize, CodecError> {
        ValueCodec::decode(*self, input, count, out)
    }
    fn bits(item: f64) -> u64 {
        item.to_bits()
    }
}

/// A broken rule, described for the report.
type Broken = String;

/// `Err` with `message` unless `ok`.
fn rule(ok: bool, message: impl FnOnce() -> String) -> Result<(), Broken> {
    if ok { Ok(()) } else { Err(message()) }
}

/// Encodes `items` after a guard prefix, checks the prefix and the bound,
/// and returns the bare payload.
fn encode_checked<C: Column>(codec: &C, items: &[C::Item]) -> Result<Vec<u8>, Broken> {
    let guard = [0xa5u8, 0x5a, 0xc3];
    let mut out = guard.to_vec();
    no_panic(|| "encode".into(), || codec.encode(items, &mut out))?
        .map_err(|e| format!("encode failed: {e}"))?;
    rule(out.get(..3) == Some(&guard[..]), || {
        "encode touched bytes already in its output".into()
    })?;
    let payload = out.split_off(3);
    let bound = codec.max_encoded_len(items.len());
    rule(payload.len() <= bound, || {
        format!("{} bytes > max_encoded_len {bound}", payload.len())
    })?;
    Ok(payload)
}

/// Round trip with a prefilled output and with trailing bytes after the
/// payload; returns the payload.
fn round_trip<C: Column>(codec: &C, items: &[C::Item]) -> Result<Vec<u8>, Broken> {
    let payload = encode_checked(codec, items)?;
    let mut with_tail = payload.clone();
    with_tail.extend_from_slice(&[0xff, 0x00, 0x5a]);
    for (input, how) in [
        (&payload, "payload"),
        (&with_tail, "payload + 3 trailing bytes"),
    ] {
        let mut out = items.get(..1).map(<[_]>::to_vec).unwrap_or_default();
        let what = || format!("decode of the {how}");
        let consumed = no_panic(what, || codec.decode(input, items.len(), &mut out))?
            .map_err(|e| format!("decode of the {how} failed: {e}"))?;
        rule(consumed == payload.len(), || {
            format!(
                "decode of the {how} consumed {consumed} of {} payload bytes",
                payload.len()
            )
        })?;
        let decoded = out.get(items.len().min(1)..).unwrap_or_default();
        if let Some(difference) = first_difference(items, decoded, C::bits) {
            return Err(format!("decode of the {how} differs: {difference}"));
        }
        codec
            .check_promises(input, items.len())
            .map_err(|broken| format!("the {how}: {broken}"))?;
    }
    Ok(payload)
}

/// Every strict prefix fails; every single-byte flip returns without panicking.
fn damage<C: Column>(codec: &C, payload: &[u8], count: usize) -> Result<(), Broken> {
    for cut in 0..payload.len() {
        let prefix = payload.get(..cut).unwrap_or_default();
        let what = || {
            format!(
                "decode of the first {cut} of {} payload bytes",
                payload.len()
            )
        };
        let result = no_panic(what, || codec.decode(prefix, count, &mut Vec::new()))?;
        rule(result.is_err(), || {
            format!(
                "a prefix of {cut} of {} payload bytes decoded",
                payload.len()
            )
        })?;
    }
    let mut damaged = payload.to_vec();
    for i in 0..damaged.len() {
        for mask in FLIP_MASKS {
            flip(&mut damaged, i, mask);
            let mut out = Vec::new();
            let what = || format!("decode with byte {i} of the payload xor {mask:#04x}");
            let result = no_panic(what, || codec.decode(&damaged, count, &mut out))?;
            if let Ok(consumed) = result {
                let flipped = || format!("with byte {i} xor {mask:#04x}, decode");
                rule(consumed <= damaged.len(), || {
                    format!(
                        "{} consumed {consumed} of {} bytes",
                        flipped(),
                        damaged.len()
                    )
                })?;
                rule(out.len() == count, || {
                    format!(
                        "{} returned Ok with {} of {count} items",
                        flipped(),
                        out.len()
                    )
                })?;
                codec
                    .check_promises(&damaged, count)
                    .map_err(|broken| format!("with byte {i} xor {mask:#04x}: {broken}"))?;
            }
            flip(&mut damaged, i, mask);
        }
    }
    Ok(())
}

pub(super) fn flip(bytes: &mut [u8], index: usize, mask: u8) {
    if let Some(b) = bytes.get_mut(index) {
        *b ^= mask;
    }
}

/// Counts the input cannot hold are refused before allocating for them.
fn huge_counts<C: Column>(codec: &C, tiny: &[u8]) -> Result<(), Broken> {
    let too_many = MAX_BLOCK_POINTS + 1;
    let what = || format!("decode of a count of {too_many}");
    let result = no_panic(what, || codec.decode(tiny, too_many, &mut Vec::new()))?;
    rule(
        matches!(result, Err(CodecError::TooManyPoints { .. })),
        || format!("a count above MAX_BLOCK_POINTS gave {result:?}"),
    )?;
    for input in [tiny, &[][..]] {
        let mut out = Vec::new();
        let what = || {
            format!(
                "decode of {MAX_BLOCK_POINTS} items from {} bytes",
                input.len()
            )
        };
        let result = no_panic(what, || codec.decode(input, MAX_BLOCK_POINTS, &mut out))?;
        rule(result.is_err(), || {
            format!("{} bytes decoded {MAX_BLOCK_POINTS} items", input.len())
        })?;
        let bound = input.len() * 8 + 64;
        rule(out.capacity() <= bound, || {
            format!(
                "allocated {} items for a {}-byte input",
                out.capacity(),
                input.len()
            )
        })?;
    }
    Ok(())
}

/// Runs every check on `codec`; the error names the case, the rule that
/// broke and the input.
fn check_column<C: Column>(
    codec: &C,
    cases: Vec<(&'static str, Vec<C::Item>)>,
    strategy: impl Strategy<Value = Vec<C::Item>>,
) -> Result<(), Broken> {
    let name = codec.describe();
    let mut tiny = Vec::new();
    for (label, items) in &cases {
        let in_case = |broken: Broken| {
            format!(
                "{name}, case \"{label}\": {broken}; input: {}",
                show_input(items)
            )
        };
        let payload = round_trip(codec, items).map_err(in_case)?;
        damage(codec, &payload, items.len()).map_err(in_case)?;
        if tiny.is_empty() && !payload.is_empty() {
            tiny = payload.iter().copied().take(16).collect();
        }
    }
    huge_counts(codec, &tiny).map_err(|broken| format!("{name}: {broken}"))?;
    let config = Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let outcome = runner.run(&strategy, |items| {
        round_trip(codec, &items)
            .map(drop)
            .map_err(TestCaseError::fail)
    });
    outcome.map_err(|e| match e {
        TestError::Fail(broken, items) => format!(
            "{name}, case \"proptest input\" (shrunk): {broken}; input: {}",
            show_input(&items)
        ),
        other => format!("{name}, proptest: {other}"),
    })
}

pub(super) fn run_column_suite<C: Column>(
    codec: &C,
    cases: Vec<(&'static str, Vec<C::Item>)>,
    strategy: impl Strategy<Value = Vec<C::Item>>,
) {
    if let Err(report) = check_column(codec, cases, strategy) {
        panic!("{report}");
    }
}
