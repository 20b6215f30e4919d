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
//! - for timestamp codecs, on every payload that decodes (whole or with a
//!   flipped byte), [`TimestampCodec::decode_sorted`] decodes what
//!   `decode` does and calls the timestamps sorted only when they are
//!   non-decreasing (a block takes the first and last as their bounds on
//!   that word);
//! - a `count` above [`skulk_codec::MAX_BLOCK_POINTS`] is `TooManyPoints`,
//!   and a huge `count` with a tiny input fails without allocating for
//!   `count`.

use proptest::prelude::*;
use skulk_codec::{TimestampCodec, ValueCodec};

mod block;
mod column;
mod report;

use column::{flip, run_column_suite};

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
