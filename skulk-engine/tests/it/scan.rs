//! The streaming scan returns exactly what a raw query returns, in the same
//! order, whatever the chunk size, with files, overlaps and memtables mixed.

use proptest::prelude::*;
use skulk_engine::{Engine, Query, SeriesResult, SeriesSelector, TimeRange};

use crate::common::{pt, quiet_config};

/// Concatenates consecutive pieces of one series into one result.
fn joined(chunks: Vec<Vec<SeriesResult>>) -> Vec<SeriesResult> {
    let mut out: Vec<SeriesResult> = Vec::new();
    for piece in chunks.into_iter().flatten() {
        match out.last_mut() {
            Some(last) if last.series == piece.series => {
                assert!(
                    last.timestamps.last() < piece.timestamps.first(),
                    "pieces of {} out of order",
                    piece.series
                );
                last.timestamps.extend(piece.timestamps);
                last.values.extend(piece.values);
            }
            _ => out.push(piece),
        }
    }
    out
}

fn bits(results: &[SeriesResult]) -> Vec<(String, Vec<i64>, Vec<u64>)> {
    results
        .iter()
        .map(|r| {
            (
                r.series.key(),
                r.timestamps.clone(),
                r.values.iter().map(|v| v.to_bits()).collect(),
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn scan_matches_raw_query(
        rounds in proptest::collection::vec(
            proptest::collection::vec((0u8..4, 0i64..3000, any::<u64>()), 1..400), 1..4),
        chunk in 1usize..700,
        lo in 0i64..1500,
        len in 1i64..3000,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(dir.path(), quiet_config()).unwrap();
        for (i, round) in rounds.iter().enumerate() {
            let points: Vec<_> = round
                .iter()
                .map(|(h, t, v)| pt("cpu", &format!("h{h}"), *t, f64::from_bits(*v)))
                .collect();
            engine.write_batch(&points).unwrap();
            // Every round but the last goes to files, so rounds overlap.
            if i + 1 < rounds.len() {
                engine.flush().unwrap();
            }
        }
        for range in [TimeRange::ALL, TimeRange::new(lo, lo + len).unwrap()] {
            let expected = engine.query(&Query::raw(SeriesSelector::all(), range)).unwrap();
            let scan = engine.scan(&SeriesSelector::all(), range).unwrap().with_chunk_points(chunk);
            let chunks: Vec<_> = scan.collect::<Result<_, _>>().unwrap();
            for c in &chunks {
                prop_assert!(!c.is_empty());
            }
            prop_assert_eq!(bits(&joined(chunks)), bits(&expected));

            // Values only: the same values, series by series, no timestamp.
            let scan = engine.scan(&SeriesSelector::all(), range).unwrap();
            let chunks: Vec<_> = scan
                .with_chunk_points(chunk)
                .values_only()
                .collect::<Result<_, _>>()
                .unwrap();
            let pieces: Vec<SeriesResult> = chunks.into_iter().flatten().collect();
            prop_assert!(pieces.iter().all(|p| p.timestamps.is_empty() && !p.is_empty()));
            prop_assert_eq!(values_by_series(&pieces), values_by_series(&expected));
        }
    }
}

/// Each series' values, pieces of one series joined, as bits.
fn values_by_series(results: &[SeriesResult]) -> Vec<(String, Vec<u64>)> {
    let mut out: Vec<(String, Vec<u64>)> = Vec::new();
    for r in results {
        let key = r.series.key();
        let bits = r.values.iter().map(|v| v.to_bits());
        match out.last_mut() {
            Some((last, values)) if *last == key => values.extend(bits),
            _ => out.push((key, bits.collect())),
        }
    }
    out
}

#[test]
fn a_large_series_is_split_and_chunks_stay_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = quiet_config();
    config.partition_duration = Some(std::time::Duration::from_secs(3600));
    let engine = Engine::open(dir.path(), config).unwrap();
    for round in 0..10 {
        let points: Vec<_> = (0..10_000)
            .map(|i| pt("cpu", "a", round * 10_000 + i, i as f64))
            .collect();
        engine.write_batch(&points).unwrap();
        engine.flush().unwrap();
    }
    let chunk = 20_000;
    let scan = engine
        .scan(&SeriesSelector::all(), TimeRange::ALL)
        .unwrap()
        .with_chunk_points(chunk);
    assert_eq!(scan.series().count(), 1);
    let chunks: Vec<_> = scan.collect::<Result<_, _>>().unwrap();
    assert!(chunks.len() >= 5, "{} chunks", chunks.len());
    let largest_block = 10_000;
    for c in &chunks {
        let points: usize = c.iter().map(|s| s.len()).sum();
        assert!(points <= chunk + largest_block, "chunk of {points} points");
    }
    let all = joined(chunks);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].timestamps, (0..100_000).collect::<Vec<i64>>());
}

/// Chunks of many points decode their series in parallel, small chunks on
/// the calling thread: both give what the raw query gives, from files and
/// memtables mixed, with the series interleaved in time.
#[test]
fn large_and_small_chunks_of_many_series_read_the_same_points() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    for round in 0..3i64 {
        let points: Vec<_> = (0..8)
            .flat_map(|h| {
                (0..3_000i64).map(move |i| {
                    let t = round * 3_000 + i;
                    pt("cpu", &format!("h{h}"), t, (t * 8 + h) as f64 * 0.1)
                })
            })
            .collect();
        engine.write_batch(&points).unwrap();
        if round < 2 {
            engine.flush().unwrap();
        }
    }
    for range in [TimeRange::ALL, TimeRange::new(1_500, 7_500).unwrap()] {
        let expected = engine
            .query(&Query::raw(SeriesSelector::all(), range))
            .unwrap();
        assert_eq!(expected.len(), 8);
        // 72,000 points in one chunk, then chunks of a few hundred.
        for chunk in [1 << 20, 500] {
            let chunks: Vec<_> = engine
                .scan(&SeriesSelector::all(), range)
                .unwrap()
                .with_chunk_points(chunk)
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(chunk == 500, chunks.len() > 1, "chunk of {chunk} points");
            assert_eq!(bits(&joined(chunks)), bits(&expected), "chunk of {chunk}");
        }
    }
}

#[test]
fn a_scan_keeps_its_snapshot_while_writes_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    engine.write(&pt("cpu", "a", 1, 1.0)).unwrap();
    let scan = engine.scan(&SeriesSelector::all(), TimeRange::ALL).unwrap();
    engine.write(&pt("cpu", "a", 2, 2.0)).unwrap();
    engine.write(&pt("cpu", "b", 2, 2.0)).unwrap();
    engine.flush().unwrap();
    let all = joined(scan.collect::<Result<_, _>>().unwrap());
    assert_eq!(
        bits(&all),
        vec![("cpu{host=\"a\"}".to_string(), vec![1], vec![1f64.to_bits()])]
    );
}

#[test]
fn an_invalid_regex_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    let selector = SeriesSelector::parse(r#"cpu{host=~"("}"#).unwrap();
    assert!(engine.scan(&selector, TimeRange::ALL).is_err());
}

#[test]
fn a_split_scan_reads_each_series_once_from_one_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    let points: Vec<_> = (0..7)
        .flat_map(|h| (0..50).map(move |t| pt("cpu", &format!("h{h}"), t * 10, f64::from(h))))
        .collect();
    engine.write_batch(&points).unwrap();
    engine.flush().unwrap();
    let whole = engine
        .query(&Query::raw(SeriesSelector::all(), TimeRange::ALL))
        .unwrap();

    // Read two chunks, then split what is left: a series half read goes on.
    let mut scan = engine
        .scan(&SeriesSelector::all(), TimeRange::ALL)
        .unwrap()
        .with_chunk_points(60);
    let mut read: Vec<Vec<SeriesResult>> = vec![scan.next_chunk().unwrap().unwrap()];
    let parts = scan.split(3);
    assert_eq!(parts.len(), 3);
    // Writes after the split are not seen by its parts.
    engine.write(&pt("cpu", "h9", 1, 9.0)).unwrap();
    for part in parts {
        read.extend(part.collect::<Result<Vec<_>, _>>().unwrap());
    }
    let mut got = joined_any_order(read);
    got.sort_by(|a, b| a.series.cmp(&b.series));
    assert_eq!(bits(&got), bits(&whole));

    let few = engine
        .scan(&SeriesSelector::metric("nope"), TimeRange::ALL)
        .unwrap()
        .split(4);
    assert_eq!(few.len(), 1, "no empty parts beyond the first");
}

/// Joins the pieces of each series, whatever order the series come in.
fn joined_any_order(chunks: Vec<Vec<SeriesResult>>) -> Vec<SeriesResult> {
    let mut by_series: std::collections::BTreeMap<String, SeriesResult> = Default::default();
    for piece in chunks.into_iter().flatten() {
        match by_series.get_mut(&piece.series.key()) {
            Some(s) => {
                s.timestamps.extend(piece.timestamps);
                s.values.extend(piece.values);
            }
            None => {
                by_series.insert(piece.series.key(), piece);
            }
        }
    }
    let mut out: Vec<SeriesResult> = by_series.into_values().collect();
    for s in &mut out {
        let mut pairs: Vec<(i64, f64)> = s
            .timestamps
            .iter()
            .copied()
            .zip(s.values.iter().copied())
            .collect();
        pairs.sort_by_key(|p| p.0);
        s.timestamps = pairs.iter().map(|p| p.0).collect();
        s.values = pairs.iter().map(|p| p.1).collect();
    }
    out
}
