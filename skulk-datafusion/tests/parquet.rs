//! The Parquet export read back by DataFusion's own Parquet reader (over
//! the Hive layout), every point compared bit for bit with the engine.

use std::collections::BTreeMap;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Float64Type, TimestampNanosecondType};
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use skulk_arrow::{ParquetOptions, export_parquet};
use skulk_engine::{DataPoint, Engine, EngineConfig, Query, SeriesSelector, SyncMode, TimeRange};

/// (metric, host, time) → value bits.
type Points = BTreeMap<(String, Option<String>, i64), u64>;

#[test]
fn datafusion_reads_back_every_bit() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = EngineConfig::default();
    config.wal.sync_mode = SyncMode::None;
    config.background = false;
    let engine = Engine::open(dir.path(), config).unwrap();
    let specials = [
        f64::NAN,
        f64::from_bits(0x7ff0_0000_0000_0001),
        f64::from_bits(0xfff8_0000_dead_beef),
        -0.0,
        0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MIN_POSITIVE / 8.0,
        f64::MAX,
        0.1,
    ];
    let day = 86_400_000_000_000i64;
    let mut points = Vec::new();
    for i in 0..3000i64 {
        let t = -day + i * 97_000_000_000 + i % 13;
        let v = specials[(i as usize) % specials.len()];
        let host = format!("h{}", i % 3);
        points.push(DataPoint::new("cpu", vec![("host".into(), host)], t, v));
        points.push(DataPoint::new("up", vec![], t, (i % 2) as f64));
    }
    engine.write_batch(&points).unwrap();
    engine.flush().unwrap();

    let out = dir.path().join("export");
    let summary = export_parquet(
        &engine,
        &SeriesSelector::all(),
        TimeRange::ALL,
        &out,
        &ParquetOptions {
            row_group_rows: 1000,
            ..ParquetOptions::default()
        },
    )
    .unwrap();
    assert!(summary.files.len() >= 4, "{:?}", summary.files);

    let mut want = Points::new();
    for s in engine
        .query(&Query::raw(SeriesSelector::all(), TimeRange::ALL))
        .unwrap()
    {
        for (t, v) in s.timestamps.iter().zip(&s.values) {
            let host = s.series.label("host").map(str::to_string);
            want.insert((s.series.metric().to_string(), host, *t), v.to_bits());
        }
    }

    let rt = tokio::runtime::Runtime::new().unwrap();
    let got = rt.block_on(async {
        let ctx = SessionContext::new();
        let mut got = Points::new();
        for metric in ["cpu", "up"] {
            let options = ParquetReadOptions::default()
                .table_partition_cols(vec![("date".to_string(), DataType::Utf8)]);
            let path = format!("{}/metric={metric}/", out.display());
            ctx.register_parquet(metric, &path, options).await.unwrap();
            let host = if metric == "cpu" {
                "host"
            } else {
                "NULL::varchar AS host"
            };
            let batches = ctx
                .sql(&format!("SELECT {host}, time, value, date FROM {metric}"))
                .await
                .unwrap()
                .collect()
                .await
                .unwrap();
            for b in batches {
                let host = datafusion::arrow::compute::cast(b.column(0), &DataType::Utf8).unwrap();
                let host = host.as_string::<i32>();
                let time = b.column(1).as_primitive::<TimestampNanosecondType>();
                let value = b.column(2).as_primitive::<Float64Type>();
                let date = datafusion::arrow::compute::cast(b.column(3), &DataType::Utf8).unwrap();
                let date = date.as_string::<i32>();
                for i in 0..b.num_rows() {
                    let t = time.value(i);
                    assert_eq!(
                        date.value(i),
                        skulk_arrow::hive::date_of_day(t.div_euclid(day))
                    );
                    let h = (!host.is_null(i)).then(|| host.value(i).to_string());
                    let old = got.insert((metric.to_string(), h, t), value.value(i).to_bits());
                    assert!(old.is_none());
                }
            }
        }
        got
    });
    assert_eq!(got.len(), want.len());
    assert_eq!(got, want);
}
