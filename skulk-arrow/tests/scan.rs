//! Record batches hold exactly the engine's points, whatever the batch and
//! chunk sizes, projection and limit.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, TimestampNanosecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use proptest::prelude::*;
use skulk_arrow::{LabelEncoding, RecordBatchScan, ScanRequest, TableLayout};
use skulk_engine::{DataPoint, Engine, EngineConfig, Query, SeriesSelector, SyncMode, TimeRange};

fn config() -> EngineConfig {
    let mut config = EngineConfig::default();
    config.wal.sync_mode = SyncMode::None;
    config.partition_duration = Some(std::time::Duration::from_nanos(1000));
    config.background = false;
    config
}

/// Hosts `h0`, `h1` and one longer than a view holds inline.
fn host_name(h: u8) -> String {
    if h == 2 {
        "a-host-name-longer-than-twelve-bytes".to_string()
    } else {
        format!("h{h}")
    }
}

fn point(metric: &str, host: Option<u8>, t: i64, v: f64) -> DataPoint {
    let labels = host
        .map(|h| vec![("host".to_string(), host_name(h))])
        .unwrap_or_default();
    DataPoint::new(metric, labels, t, v)
}

/// A row as comparable text: metric, host, time, value bits.
type Row = (String, Option<String>, i64, u64);

/// Row `i` of a metric or label column, dictionary or view encoded.
fn word(column: &dyn Array, i: usize) -> Option<String> {
    if column.is_null(i) {
        return None;
    }
    Some(match column.data_type() {
        DataType::Utf8View => column.as_string_view().value(i).to_string(),
        _ => {
            let d = column.as_dictionary::<Int32Type>();
            d.values()
                .as_string::<i32>()
                .value(d.keys().value(i) as usize)
                .to_string()
        }
    })
}

fn rows_of(batches: &[RecordBatch]) -> Vec<Row> {
    let mut rows = Vec::new();
    for b in batches {
        let time = b.column(0).as_primitive::<TimestampNanosecondType>();
        let value = b.column(1).as_primitive::<Float64Type>();
        for i in 0..b.num_rows() {
            assert!(!time.is_null(i) && !value.is_null(i));
            let m = word(b.column(2), i).expect("a metric on every row");
            let h = b.columns().get(3).and_then(|c| word(c, i));
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
        views in any::<bool>(),
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

        let encoding = if views { LabelEncoding::View } else { LabelEncoding::Dictionary };
        let layout = TableLayout::points(engine.label_names(&SeriesSelector::all()).unwrap())
            .with_label_encoding(encoding);
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
        // (Without any host, the layout has no host column.)
        request.projection = Some((1..layout.schema().fields().len()).collect());
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
        for i in 0..b.num_rows() {
            let m = word(b.column(1), i).expect("a metric on every row");
            let host = b.columns().get(2).and_then(|c| word(c, i));
            rows.push((m, host, value.value(i).to_bits()));
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

#[test]
fn view_columns_store_each_long_value_once_a_batch() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), config()).unwrap();
    let long = host_name(2);
    // Two small series sharing batches, one large series in its own.
    let mut points: Vec<_> = (0..40)
        .map(|t| point("cpu", Some(2), t, t as f64))
        .collect();
    points.extend((0..40).map(|t| point("cpu", Some(0), t, t as f64)));
    points.extend((0..500).map(|t| point("mem", Some(2), t, t as f64)));
    engine.write_batch(&points).unwrap();
    let layout = TableLayout::points(["host"]).with_label_encoding(LabelEncoding::View);
    assert_eq!(layout.schema().field(3).data_type(), &DataType::Utf8View);
    let mut request = ScanRequest::new(SeriesSelector::all(), TimeRange::ALL);
    request.batch_rows = 100;
    let batches: Vec<_> = RecordBatchScan::new(&engine, &layout, &request)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 580);
    for b in &batches {
        let host = b.column(3).as_string_view();
        let data: usize = host.data_buffers().iter().map(|d| d.len()).sum();
        let has_long = (0..b.num_rows()).any(|i| host.value(i) == long);
        // Sliced batches of one large series share its one buffer.
        assert_eq!(data, if has_long { long.len() } else { 0 }, "{b:?}");
    }
}
