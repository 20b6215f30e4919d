//! Direct tests of `TimeSeriesMemTable`.

use std::sync::Arc;

use skulk_format::{DataPoint, SeriesId, SeriesMeta, TimeRange};
use skulk_memtable::{MemTableOptions, MemTableSnapshot, MemtableError, TimeSeriesMemTable};

use crate::support::{hour, series};

#[test]
fn out_of_order_and_duplicates_read_sorted_last_write_wins() {
    let meta = series(1).remove(0);
    let options = MemTableOptions::default()
        .with_tail_points(4)
        .with_chunk_points(8);
    let mut table = TimeSeriesMemTable::with_options(hour(), options).unwrap();
    let writes = [
        (50, 1.0),
        (10, 2.0),
        (30, 3.0),
        (10, 4.0),
        (70, 5.0),
        (20, 6.0),
        (30, 7.0),
    ];
    for (t, v) in writes
        .iter()
        .chain(&[(5, 8.0), (60, 9.0), (50, 10.0), (40, 11.0)])
    {
        table
            .insert(&DataPoint::for_series(meta.clone(), *t, *v))
            .unwrap();
    }
    let got: Vec<(i64, f64)> = table
        .scan_series(meta.id(), TimeRange::ALL)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let want = [
        (5, 8.0),
        (10, 4.0),
        (20, 6.0),
        (30, 7.0),
        (40, 11.0),
        (50, 10.0),
        (60, 9.0),
        (70, 5.0),
    ];
    assert_eq!(got, want);
    assert_eq!(table.point_count(), 8);
    assert_eq!(table.writes(), 11);
    assert_eq!(
        (table.min_timestamp(), table.max_timestamp()),
        (Some(5), Some(70))
    );
}

#[test]
fn every_bit_pattern_round_trips() {
    let meta = series(1).remove(0);
    let mut table = TimeSeriesMemTable::new(hour());
    let values = [
        f64::NAN,
        -f64::NAN,
        f64::from_bits(0x7ff0_0000_0000_0001),
        -0.0,
        0.0,
        f64::MIN_POSITIVE / 2.0,
    ];
    for (i, v) in values.iter().cycle().take(300).enumerate() {
        table
            .insert(&DataPoint::for_series(meta.clone(), i as i64, *v))
            .unwrap();
    }
    let columns = table.snapshot().series()[0]
        .columns(TimeRange::ALL)
        .unwrap();
    let bits: Vec<u64> = columns.values.iter().map(|v| v.to_bits()).collect();
    let want: Vec<u64> = values
        .iter()
        .cycle()
        .take(300)
        .map(|v| v.to_bits())
        .collect();
    assert_eq!(bits, want);
}

#[test]
fn colliding_and_mislabelled_series_are_refused() {
    let mut table = TimeSeriesMemTable::new(hour());
    let a = Arc::new(SeriesMeta::new("a", vec![]));
    table
        .insert(&DataPoint::for_series(a.clone(), 1, 1.0))
        .unwrap();
    // Forge a point of another series carrying `a`'s id.
    let mut forged = DataPoint::new("b", vec![], 2, 2.0);
    forged.series_id = a.id();
    assert!(matches!(
        table.insert(&forged),
        Err(MemtableError::SeriesIdCollision { .. })
    ));
    let mut wrong = DataPoint::new("c", vec![], 2, 2.0);
    wrong.series_id = SeriesId(7);
    assert!(matches!(
        table.insert(&wrong),
        Err(MemtableError::InvalidArgument(_))
    ));
    // Within one batch, before either series exists.
    let mut batch = vec![
        DataPoint::new("d", vec![], 3, 3.0),
        DataPoint::new("e", vec![], 3, 3.0),
    ];
    batch[1].series_id = batch[0].series_id;
    assert!(matches!(
        table.insert_batch(&batch),
        Err(MemtableError::SeriesIdCollision { .. })
    ));
    assert_eq!((table.point_count(), table.series_count()), (1, 1));
}

#[test]
fn invalid_options_are_refused() {
    for options in [
        MemTableOptions::default().with_tail_points(0),
        MemTableOptions::default().with_chunk_points(0),
        MemTableOptions::default().with_chunk_points(usize::MAX),
    ] {
        assert!(matches!(
            TimeSeriesMemTable::with_options(hour(), options),
            Err(MemtableError::InvalidArgument(_))
        ));
    }
}

fn assert_send_sync_static<T: Send + Sync + 'static>() {}

#[test]
fn snapshots_are_consistent_while_inserts_go_on_in_another_thread() {
    assert_send_sync_static::<MemTableSnapshot>();
    assert_send_sync_static::<TimeSeriesMemTable>();
    assert_send_sync_static::<skulk_memtable::PartitionManager>();
    assert_send_sync_static::<skulk_memtable::MergedScan>();
    let metas = series(10);
    let mut table = TimeSeriesMemTable::new(hour());
    for t in 0..500 {
        for m in &metas {
            table
                .insert(&DataPoint::for_series(m.clone(), t, t as f64))
                .unwrap();
        }
    }
    let snapshot = table.snapshot();
    let reader = std::thread::spawn(move || {
        let points: Vec<_> = snapshot.scan(TimeRange::ALL).map(Result::unwrap).collect();
        assert!(
            points
                .windows(2)
                .all(|w| (w[0].1, w[0].0) < (w[1].1, w[1].0))
        );
        points.len()
    });
    // Overwrite everything, add more: the snapshot must not see any of it.
    for t in 0..600 {
        for m in &metas {
            table
                .insert(&DataPoint::for_series(m.clone(), t, -1.0))
                .unwrap();
        }
    }
    assert_eq!(reader.join().unwrap(), 5000);
    assert_eq!(table.point_count(), 6000);
    let fresh = table.snapshot();
    assert!(fresh.scan(TimeRange::ALL).all(|r| r.unwrap().2 == -1.0));
}

#[test]
fn memory_accounting_matches_a_recount_and_is_compact() {
    let metas = series(100);
    let mut table = TimeSeriesMemTable::new(hour());
    let mut value = 20.0f64;
    for t in 0..1000i64 {
        for (i, m) in metas.iter().enumerate() {
            value += ((t * 31 + i as i64 * 17) % 7 - 3) as f64 * 0.01;
            let v = (value * 100.0).round() / 100.0;
            table
                .insert(&DataPoint::for_series(
                    m.clone(),
                    t * 10_000_000_000 % 3_600_000_000_000,
                    v,
                ))
                .unwrap();
        }
    }
    assert_eq!(table.approx_bytes(), table.memory_usage());
    let per_point = table.memory_usage() as f64 / table.point_count() as f64;
    // Uncompressed would be 16 B/pt before any overhead.
    assert!(per_point < 16.0, "{per_point} bytes per point");
}

/// Builds 50 series x 1,000 rounded random-walk points; with `late`, every
/// tenth point arrives 40 steps late (after its chunk was sealed).
fn walk_table(late: bool) -> TimeSeriesMemTable {
    let metas = series(50);
    let mut table = TimeSeriesMemTable::new(hour());
    let mut held = std::collections::VecDeque::new();
    let mut values = vec![20.0f64; metas.len()];
    for t in 0..1040usize {
        for (s, meta) in metas.iter().enumerate().filter(|_| t < 1000) {
            values[s] += (((t * 31 + s * 17) % 7) as f64 - 3.0) * 0.01;
            let v = (values[s] * 100.0).round() / 100.0;
            let p = DataPoint::for_series(meta.clone(), t as i64 * 1_000_000_000, v);
            if late && (t * 7 + s) % 10 == 0 {
                held.push_back((t + 40, p));
            } else {
                table.insert(&p).unwrap();
            }
        }
        while held.front().is_some_and(|(due, _)| *due <= t) {
            table.insert(&held.pop_front().unwrap().1).unwrap();
        }
    }
    table
}

#[test]
fn late_points_do_not_fragment_sealed_chunks() {
    let (in_order, late) = (walk_table(false), walk_table(true));
    assert_eq!(in_order.point_count(), 50_000);
    assert_eq!(late.point_count(), 50_000);
    let a: Vec<_> = in_order.scan(TimeRange::ALL).map(Result::unwrap).collect();
    let b: Vec<_> = late.scan(TimeRange::ALL).map(Result::unwrap).collect();
    assert_eq!(a, b);
    let ratio = late.memory_usage() as f64 / in_order.memory_usage() as f64;
    assert!(
        ratio < 1.3,
        "late data costs {ratio:.2}x the memory of in-order data"
    );
}
