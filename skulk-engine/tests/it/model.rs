//! Model-based test: random operations against a `BTreeMap` reference.
//!
//! Operations: batches of writes (out of order, duplicates, several
//! partitions), flushes, compactions, retention passes with a moving clock,
//! clean restarts (close) and unclean ones (drop without close: the process
//! keeps what it wrote but flushes nothing). After every operation the
//! engine's full contents must equal the model.

use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use skulk_engine::{DataPoint, Engine, EngineConfig, ManualClock, OpenOptions};

use crate::common::{Contents, apply, contents, pt, quiet_config};

const TTL: i64 = 3000;
const PART: i64 = 1000;

#[derive(Debug, Clone)]
enum Op {
    Write(Vec<(u8, i64, f64)>),
    Flush,
    Compact,
    Retention(i64),
    Close,
    Crash,
}

fn op() -> impl Strategy<Value = Op> {
    let point = (0u8..3, 0i64..8000, any::<f64>());
    prop_oneof![
        6 => prop::collection::vec(point, 1..40).prop_map(Op::Write),
        2 => Just(Op::Flush),
        1 => Just(Op::Compact),
        1 => (0i64..12_000).prop_map(Op::Retention),
        1 => Just(Op::Close),
        1 => Just(Op::Crash),
    ]
}

fn config(query_threads: usize) -> EngineConfig {
    EngineConfig {
        query_threads,
        partition_duration: Some(Duration::from_nanos(PART as u64)),
        retention: Some(Duration::from_nanos(TTL as u64)),
        block_points: 7,
        ..quiet_config()
    }
}

fn to_points(raw: &[(u8, i64, f64)]) -> Vec<DataPoint> {
    raw.iter()
        .map(|&(s, ts, v)| pt("m", &format!("s{s}"), ts, v))
        .collect()
}

/// `query_threads` 1 reads the 3 series one by one (direct decoding); 0 uses
/// the global pool, which on 2+ cores decodes block by block.
fn run(ops: Vec<Op>, query_threads: usize) {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(0));
    let open = || {
        OpenOptions::new(dir.path())
            .and_then(|o| Engine::open_with(o.config(config(query_threads)).clock(clock.clone())))
            .unwrap()
    };
    let mut engine = Some(open());
    let mut model = Contents::new();
    for op in ops {
        let e = engine.as_ref().unwrap();
        match op {
            Op::Write(raw) => {
                let points = to_points(&raw);
                e.write_batch(&points).unwrap();
                apply(&mut model, &points);
            }
            Op::Flush => {
                e.flush().unwrap();
            }
            Op::Compact => {
                e.compact().unwrap();
            }
            Op::Retention(now) => {
                clock.set(now);
                e.apply_retention().unwrap();
                let cutoff = now - TTL;
                model.retain(|(_, ts), _| (ts.div_euclid(PART) + 1) * PART > cutoff);
            }
            Op::Close => {
                engine.take().unwrap().close().unwrap();
                engine = Some(open());
            }
            Op::Crash => {
                drop(engine.take());
                engine = Some(open());
            }
        }
        assert_eq!(contents(engine.as_ref().unwrap()), model);
    }
    drop(engine);
    assert_eq!(contents(&open()), model, "final reopen");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn engine_matches_a_btreemap(ops in prop::collection::vec(op(), 1..30)) {
        run(ops, 1);
    }

    #[test]
    fn engine_matches_a_btreemap_decoding_by_block(ops in prop::collection::vec(op(), 1..30)) {
        run(ops, 0);
    }
}
