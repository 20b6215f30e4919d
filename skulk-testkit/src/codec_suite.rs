//! Conformance suites for codecs, generic over the public traits of
//! `skulk-codec`: any [`TimestampCodec`], [`ValueCodec`] or
//! [`skulk_codec::CodecChoice`] can be checked with one call from a test.
//!
//! Every suite panics on the first broken rule, with a report that names
//! the codec (its [`skulk_codec::CodecId`], an external id included), the
//! case, the rule, where a decoded sequence first differs from the input
//! (index, both values as numbers and as bits) and the input itself
//! (proptest inputs shrunk to their smallest failing form). A panic in the
//! codec under test is caught and reported the same way. Checked for each
//! codec:
//! - named edge cases and proptest-generated inputs round-trip bit-exactly;
//! - `encode` leaves what `out` already held untouched, `decode` appends;
//! - `consumed` equals the payload length, also with trailing bytes after it;
//! - the payload fits in `max_encoded_len`;
//! - every strict prefix of a payload is an error;
//! - every single-byte flip decodes to `Ok` or `Err` without panicking;
//! - a `count` above [`MAX_BLOCK_POINTS`] is `TooManyPoints`, and a huge
//!   `count` with a tiny input fails without allocating for `count`.

use std::fmt::Debug;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestError, TestRunner};
use skulk_codec::{CodecError, MAX_BLOCK_POINTS, TimestampCodec, ValueCodec};

mod block;
mod report;

use report::{first_difference, no_panic, show_input};

pub use block::{check_block_damage, decode_block_checked, run_block_suite};

/// Byte masks applied to each position by the flip sweeps.
const FLIP_MASKS: [u8; 9] = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff];
/// Proptest cases per suite.
const CASES: u32 = 256;

/// Named timestamp sequences every timestamp codec must round-trip.
pub fn timestamp_edge_cases() -> Vec<(&'static str, Vec<i64>)> {
    let ns = 1_700_000_000_000_000_000i64;
    let regular = |step: i64| {
        (0..300)
            .map(|i: i64| ns.wrapping_add(i.wrapping_mul(step)))
            .collect::<Vec<_>>()
    };
    vec![
        ("empty", vec![]),
        ("one point", vec![ns]),
        ("two points", vec![ns, ns + 1]),
        ("constant", vec![ns; 100]),
        (
            "alternating",
            (0..100)
                .map(|i| if i % 2 == 0 { i64::MIN } else { i64::MAX })
                .collect(),
        ),
        (
            "i64 extremes",
            vec![
                i64::MIN,
                i64::MAX,
                0,
                -1,
                1,
                i64::MIN + 1,
                i64::MAX - 1,
                i64::MIN,
            ],
        ),
        ("descending", (0..100).map(|i| ns - i * 7_919).collect()),
        ("duplicates", vec![5, 5, 5, 4, 4, 6, 6, 6, 6, 5]),
        ("1 ns steps", regular(1)),
        ("1 s steps in ns", regular(1_000_000_000)),
        ("1 h steps in ns", regular(3_600_000_000_000)),
        ("1 day steps in ns", regular(86_400_000_000_000)),
        ("1 year steps in ns", regular(31_557_600_000_000_000)),
        (
            "wrapping steps",
            (0..50).map(|i: i64| i.wrapping_mul(i64::MAX / 3)).collect(),
        ),
    ]
}

/// Named value sequences every value codec must round-trip bit-exactly.
pub fn value_edge_cases() -> Vec<(&'static str, Vec<f64>)> {
    let specials = special_values();
    let alternating = (0..100)
        .map(|i| if i % 2 == 0 { 1.5 } else { -2.25e300 })
        .collect();
    let mut every_pair = Vec::new();
    for &a in &specials {
        for &b in &specials {
            every_pair.extend([a, b]);
        }
    }
    vec![
        ("empty", vec![]),
        ("one point", vec![42.0]),
        ("two points", vec![f64::NAN, -0.0]),
        ("constant", vec![21.5; 100]),
        ("alternating", alternating),
        ("special values", specials.clone()),
        (
            "special values reversed",
            specials.iter().rev().copied().collect(),
        ),
        ("every pair of special values", every_pair),
        (
            "decimal walk",
            (0..300).map(|i| f64::from((i * 37) % 101) / 10.0).collect(),
        ),
        (
            "all bits set",
            vec![f64::from_bits(u64::MAX), 0.0, f64::from_bits(u64::MAX)],
        ),
    ]
}

/// NaN payloads of both signs, a signalling NaN, signed zeros, infinities,
/// subnormals and the extremes of `f64`.
pub fn special_values() -> Vec<f64> {
    vec![
        f64::NAN,
        -f64::NAN,
        f64::from_bits(0x7ff0_0000_0000_0001), // signalling NaN
        f64::from_bits(0xfff8_dead_beef_0001), // negative quiet NaN with payload
        f64::from_bits(0x7ff4_0000_0000_0000), // signalling NaN, high payload bit
        0.0,
        -0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::from_bits(1),                      // smallest subnormal
        -f64::from_bits(0x000f_ffff_ffff_ffff), // largest subnormal, negative
        f64::MIN_POSITIVE,
        f64::MAX,
        f64::MIN,
        f64::EPSILON,
        1.0,
        -1.0,
    ]
}

/// One column codec under test: the common ground of the two codec traits.
trait Column {
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
            }
            flip(&mut damaged, i, mask);
        }
    }
    Ok(())
}

fn flip(bytes: &mut [u8], index: usize, mask: u8) {
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

fn run_column_suite<C: Column>(
    codec: &C,
    cases: Vec<(&'static str, Vec<C::Item>)>,
    strategy: impl Strategy<Value = Vec<C::Item>>,
) {
    if let Err(report) = check_column(codec, cases, strategy) {
        panic!("{report}");
    }
}

/// Arbitrary timestamp sequences: any `i64`s, and regular series at
/// intervals from 1 ns to a year with jitter.
pub fn timestamp_sequences() -> impl Strategy<Value = Vec<i64>> {
    let intervals = prop::sample::select(vec![
        1i64,
        1_000,
        2_777_778,
        1_000_000_000,
        3_600_000_000_000,
        86_400_000_000_000,
        31_557_600_000_000_000,
    ]);
    let regular = (
        any::<i64>(),
        intervals,
        0i64..1_000_000,
        prop::collection::vec(any::<i64>(), 0..400),
    )
        .prop_map(|(start, step, jitter, noise)| {
            let mut ts = start;
            noise
                .iter()
                .map(|n| {
                    ts = ts.wrapping_add(step).wrapping_add(n % (jitter + 1));
                    ts
                })
                .collect()
        });
    prop_oneof![prop::collection::vec(any::<i64>(), 0..400), regular]
}

/// Arbitrary value sequences: any bit patterns, decimal random walks, and
/// mixes of the special values.
pub fn value_sequences() -> impl Strategy<Value = Vec<f64>> {
    let any_bits = prop::collection::vec(any::<u64>().prop_map(f64::from_bits), 0..400);
    let walk = (prop::collection::vec(-100i64..100, 0..400), 0u32..4).prop_map(|(steps, scale)| {
        let mut x = 0i64;
        let divisor = 10f64.powi(scale as i32);
        steps
            .iter()
            .map(|s| {
                x += s;
                x as f64 / divisor
            })
            .collect()
    });
    let specials = prop::collection::vec(prop::sample::select(special_values()), 0..200);
    prop_oneof![any_bits, walk, specials]
}

/// Runs the conformance suite against a timestamp codec. Panics on failure.
pub fn run_timestamp_codec_suite(codec: &dyn TimestampCodec) {
    run_column_suite(&codec, timestamp_edge_cases(), timestamp_sequences());
}

/// Runs the conformance suite against a value codec. Panics on failure.
pub fn run_value_codec_suite(codec: &dyn ValueCodec) {
    run_column_suite(&codec, value_edge_cases(), value_sequences());
}
