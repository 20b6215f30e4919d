//! Readers and writers at the same time.

use std::sync::atomic::{AtomicBool, Ordering};

use skulk_engine::{DataPoint, Engine, Query, SeriesSelector, TimeRange};

use crate::common::{contents, pt, quiet_config};

const WRITERS: usize = 3;
const BATCHES: i64 = 60;
const BATCH: i64 = 50;

fn value(writer: usize, ts: i64) -> f64 {
    (writer as f64) * 1e6 + ts as f64
}

#[test]
fn readers_see_consistent_snapshots_while_writers_flush_and_compact() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let engine = &engine;
                s.spawn(move || {
                    let host = format!("w{w}");
                    for b in 0..BATCHES {
                        let points: Vec<DataPoint> = (0..BATCH)
                            .map(|i| {
                                let ts = b * BATCH + i;
                                pt("m", &host, ts, value(w, ts))
                            })
                            .collect();
                        engine.write_batch(&points).unwrap();
                    }
                })
            })
            .collect();
        s.spawn(|| {
            while !done.load(Ordering::SeqCst) {
                engine.flush().unwrap();
                engine.compact().unwrap();
            }
        });
        for _ in 0..2 {
            s.spawn(|| {
                let q = Query::raw(SeriesSelector::metric("m"), TimeRange::ALL);
                while !done.load(Ordering::SeqCst) {
                    for r in engine.query(&q).unwrap() {
                        let w: usize = r.series.label("host").unwrap()[1..].parse().unwrap();
                        // Each writer appends in order, so a snapshot holds a
                        // prefix of its points: 0..n, every value right.
                        for (i, (t, v)) in r.timestamps.iter().zip(&r.values).enumerate() {
                            assert_eq!(*t, i as i64, "gap or duplicate in snapshot");
                            assert_eq!(v.to_bits(), value(w, *t).to_bits());
                        }
                    }
                }
            });
        }
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, Ordering::SeqCst);
    });
    let all = contents(&engine);
    assert_eq!(all.len(), WRITERS * (BATCHES * BATCH) as usize);
    drop(engine);
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    assert_eq!(contents(&engine), all);
}

/// Writers racing on the same series and timestamps: whatever value a
/// query returns before a crash is the one recovery returns after it (the
/// write with the highest LSN), so the memtable applies writes in LSN
/// order.
#[test]
fn racing_writes_to_one_key_resolve_by_lsn_before_and_after_a_crash() {
    const RACERS: usize = 4;
    const KEYS: i64 = 400;
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    std::thread::scope(|s| {
        for w in 0..RACERS {
            let engine = &engine;
            s.spawn(move || {
                for ts in 0..KEYS {
                    let batch: Vec<DataPoint> = (0..8)
                        .map(|k| pt("race", "a", ts * 8 + k, value(w, ts)))
                        .collect();
                    engine.write_batch(&batch).unwrap();
                }
            });
        }
    });
    let before = contents(&engine);
    assert_eq!(before.len(), (KEYS * 8) as usize);
    drop(engine);
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    let after = contents(&engine);
    let differing = before
        .iter()
        .filter(|(k, v)| after.get(k) != Some(v))
        .count();
    assert_eq!(
        differing, 0,
        "{differing} keys read differently after recovery"
    );
}
