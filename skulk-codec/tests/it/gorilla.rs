//! Gorilla-specific behaviour: nanosecond intervals that 32-bit
//! delta-of-delta implementations corrupt, and appender equivalence.

use proptest::prelude::*;
use skulk_codec::{
    Appender, CodecChoice, CompressedBlock, GorillaTimestampAppender, GorillaTimestamps,
    GorillaValueAppender, GorillaValues, TimestampCodec, ValueCodec,
};

const HOUR_NS: i64 = 3_600_000_000_000;
const DAY_NS: i64 = 24 * HOUR_NS;

fn assert_ts_round_trip(ts: &[i64]) {
    let block =
        CompressedBlock::encode_with(ts, &vec![1.0; ts.len()], CodecChoice::GORILLA).unwrap();
    let (decoded, _) = block.decode().unwrap();
    assert_eq!(decoded, ts);
}

/// A 32-bit delta-of-delta silently wraps for jumps between 1 h and 1 day
/// steps in ns (a dod of 8.28e13 ns); these must be exact.
#[test]
fn hour_and_day_steps_in_ns_round_trip() {
    let start = 1_700_000_000_000_000_000i64;
    let hours: Vec<i64> = (0..100).map(|i| start + i * HOUR_NS).collect();
    let days: Vec<i64> = (0..100).map(|i| start + i * DAY_NS).collect();
    let mixed: Vec<i64> = (0..100)
        .scan(start, |t, i| {
            *t += if i % 3 == 0 { DAY_NS } else { HOUR_NS };
            Some(*t)
        })
        .collect();
    for ts in [hours, days, mixed] {
        assert_ts_round_trip(&ts);
    }
}

/// Random gaps from 1 ns to 2^62 ns, which no 32-bit bucket can hold.
#[test]
fn random_gaps_round_trip() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut t = i64::MIN / 2;
    let ts: Vec<i64> = (0..5000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let bits = (state % 63) as u32;
            t = t.wrapping_add(((state >> 8) & ((1u64 << bits) - 1)) as i64);
            t
        })
        .collect();
    assert_ts_round_trip(&ts);
}

proptest! {
    #[test]
    fn appenders_equal_block_encoders(
        ts in proptest::collection::vec(any::<i64>(), 0..200),
        bits in proptest::collection::vec(any::<u64>(), 0..200),
    ) {
        let vs: Vec<f64> = bits.into_iter().map(f64::from_bits).collect();
        let mut ta = GorillaTimestampAppender::new();
        ts.iter().for_each(|&t| ta.push(t).unwrap());
        let mut va = GorillaValueAppender::new();
        vs.iter().for_each(|&v| va.push(v).unwrap());
        let (mut tb, mut vb) = (Vec::new(), Vec::new());
        GorillaTimestamps.encode(&ts, &mut tb).unwrap();
        GorillaValues.encode(&vs, &mut vb).unwrap();
        prop_assert_eq!(ta.encoded_len(), tb.len());
        prop_assert_eq!(va.encoded_len(), vb.len());
        prop_assert_eq!(ta.finish(), tb);
        prop_assert_eq!(va.finish(), vb);
    }
}
