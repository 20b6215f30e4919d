//! Record batches hold exactly the engine's points, whatever the batch and
//! chunk sizes, projection and limit.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, TimestampNanosecondType};
use arrow_array::{Array, RecordBatch};
use proptest::prelude::*;
use skulk_arrow::{RecordBatchScan, ScanRequest, TableLayout};
use skulk_engine::{DataPoint, Engine, EngineConfig, Query, SeriesSelector, SyncMode, TimeRange};

fn config() -> EngineConfig {
    let mut config = EngineConfig::default();
    config.wal.sync_mode = SyncMode::None;
    config.partition_duration = Some(std::time::Duration::from_nanos(1000));
    config.background = false;
    config
}

fn point(metric: &str, host: Option<u8>, t: i64, v: f64) -> DataPoint {
    let labels = host
        .map(|h| vec![("host".to_string(), format!("h{h}"))])
        .unwrap_or_default();
    DataPoint::new(metric, labels, t, v)
}

/// A row as comparable text: metric, host, time, value bits.
type Row = (String, Option<String>, i64, u64);

fn rows_of(batches: &[RecordBatch]) -> Vec<Row> {
    let mut rows = Vec::new();
    for b in batches {
        let time = b.column(0).as_primitive::<TimestampNanosecondType>();
        let value = b.column(1).as_primitive::<Float64Type>();
        let metric = b.column(2).as_dictionary::<Int32Type>();
        let metric_words = metric.values().as_string::<i32>();
        let host = b.column(3).as_dictionary::<Int32Type>();
        let host_words = host.values().as_string::<i32>();
        for i in 0..b.num_rows() {
            assert!(!time.is_null(i) && !value.is_null(i) && !metric.is_null(i));
            let m = metric_words
                .value(metric.keys().value(i) as usize)
                .to_string();
            let h = (!host.is_null(i))
                .then(|| host_words.value(host.keys().value(i) as usize).to_string());
            rows.push((m, h, time.value(i), value.value(i).to_bits()));
        }
    }
    rows
}

fn expected(engine: &Engine, range: TimeRange) -> Vec<Row> {
    let mut rows = Vec::new();
    for s in engine
        .query(&Query::raw(SeriesSelector::all(), range))
        .unwrap()
    {
        for (t, v) in s.timestamps.iter().zip(&s.values) {
            let host = s.series.label("host").map(str::to_string);
            rows.push((s.series.metric().to_string(), host, *t, v.to_bits()));
        }
    }
    rows
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn batches_hold_the_engine_points(
        points in proptest::collection::vec((0u8..2, proptest::option::of(0u8..3), 0i64..4000, any::<u64>()), 1..600),
        flush_at in 0usize..600,
        batch_rows in 1usize..300,
        chunk_points in 1usize..500,
        limit in proptest::option::of(0usize..700),
        lo in 0i64..2000,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(dir.path(), config()).unwrap();
        let metrics = ["cpu", "mem"];
        let written: Vec<_> = points
            .iter()
            .map(|(m, h, t, v)| point(metrics[*m as usize], *h, *t, f64::from_bits(*v)))
            .collect();
        let (first, rest) = written.split_at(flush_at.min(written.len()));
        engine.write_batch(first).unwrap();
        engine.flush().unwrap();
        engine.write_batch(rest).unwrap();

        let layout = TableLayout::points(engine.label_names(&SeriesSelector::all()).unwrap());
        let range = TimeRange::new(lo, lo + 2500).unwrap();
        let mut request = ScanRequest::new(SeriesSelector::all(), range);
        request.batch_rows = batch_rows;
        request.chunk_points = chunk_points;
        request.limit = limit;
        let batches: Vec<_> = RecordBatchScan::new(&engine, &layout, &request)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for b in &batches {
            prop_assert!(b.num_rows() <= batch_rows && b.num_rows() > 0);
        }
        let mut want = expected(&engine, range);
        if let Some(limit) = limit {
            want.truncate(limit);
        }
        prop_assert_eq!(rows_of(&batches), want.clone());

        // Without `time`, blocks are decoded without their timestamps: the
        // other columns must not change.
        request.projection = Some(vec![1, 2, 3]);
        let batches: Vec<_> = RecordBatchScan::new(&engine, &layout, &request)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let want: Vec<_> = want.into_iter().map(|(m, h, _, v)| (m, h, v)).collect();
        prop_assert_eq!(rows_without_time(&batches), want);
    }
}

/// Rows of batches of the columns value, metric, host.
fn rows_without_time(batches: &[RecordBatch]) -> Vec<(String, Option<String>, u64)> {
    let mut rows = Vec::new();
    for b in batches {
        let value = b.column(0).as_primitive::<Float64Type>();
        let metric = b.column(1).as_dictionary::<Int32Type>();
        let metric_words = metric.values().as_string::<i32>();
        let host = b.column(2).as_dictionary::<Int32Type>();
        let host_words = host.values().as_string::<i32>();
        for i in 0..b.num_rows() {
            let m = metric_words
                .value(metric.keys().value(i) as usize)
                .to_string();
            let h = (!host.is_null(i))
                .then(|| host_words.value(host.keys().value(i) as usize).to_string());
            rows.push((m, h, value.value(i).to_bits()));
        }
    }
    rows
}

#[test]
fn a_projection_builds_only_its_columns() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), config()).unwrap();
    engine
        .write_batch(&[
            point("cpu", Some(1), 5, -0.0),
            point("cpu", None, 6, f64::NAN),
        ])
        .unwrap();
    let layout = TableLayout::points(["host"]);
    let mut request = ScanRequest::new(SeriesSelector::metric("cpu"), TimeRange::ALL);
    request.projection = Some(vec![3, 1]);
    let scan = RecordBatchScan::new(&engine, &layout, &request).unwrap();
    let names: Vec<_> = scan
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(names, ["host", "value"]);
    let batches: Vec<_> = scan.collect::<Result<_, _>>().unwrap();
    assert_eq!(batches.len(), 1);
    let host = batches[0].column(0).as_dictionary::<Int32Type>();
    // Series come in key order: `cpu` (no host) before `cpu{host="h1"}`.
    assert!(host.is_null(0) && !host.is_null(1));
    let value = batches[0].column(1).as_primitive::<Float64Type>();
    assert_eq!(value.value(0).to_bits(), f64::NAN.to_bits());
    assert_eq!(value.value(1).to_bits(), (-0.0f64).to_bits());

    request.projection = Some(vec![]);
    let rows: usize = RecordBatchScan::new(&engine, &layout, &request)
        .unwrap()
        .map(|b| b.unwrap().num_rows())
        .sum();
    assert_eq!(rows, 2, "a projection of no column still counts rows");

    request.projection = Some(vec![9]);
    let err = RecordBatchScan::new(&engine, &layout, &request).unwrap_err();
    assert!(err.to_string().contains("column 9"), "{err}");
}
