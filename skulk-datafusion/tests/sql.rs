//! SQL through the provider against the engine's own answers, and against
//! DataFusion filtering the same points with nothing pushed down.

use std::sync::Arc;

use datafusion::arrow::array::AsArray;
use datafusion::arrow::array::{
    Array, ArrayRef, Float64Array, RecordBatch, StringArray, TimestampNanosecondArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int32Type};
use datafusion::arrow::datatypes::{Float64Type, TimestampNanosecondType};
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use proptest::prelude::*;
use skulk_datafusion::{Error, PreparedQuery, SkulkTable};
use skulk_engine::{DataPoint, Engine, EngineConfig, Query, SeriesSelector, SyncMode, TimeRange};

fn config() -> EngineConfig {
    let mut config = EngineConfig::default();
    config.wal.sync_mode = SyncMode::None;
    config.partition_duration = Some(std::time::Duration::from_nanos(1000));
    config.background = false;
    config
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn sql(ctx: &SessionContext, query: &str) -> Result<Vec<RecordBatch>, Error> {
    Ok(ctx.sql(query).await?.collect().await?)
}

/// Every cell as text, floats as their bits, so that NaN payloads and
/// `-0.0` compare exactly.
fn cells(batches: &[RecordBatch]) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for b in batches {
        for i in 0..b.num_rows() {
            let row = b.columns().iter().map(|c| cell(c, i)).collect();
            rows.push(row);
        }
    }
    rows
}

fn cell(column: &ArrayRef, i: usize) -> String {
    if column.is_null(i) {
        return "NULL".into();
    }
    match column.data_type() {
        DataType::Float64 => format!(
            "f{:016x}",
            column.as_primitive::<Float64Type>().value(i).to_bits()
        ),
        DataType::Timestamp(..) => column
            .as_primitive::<TimestampNanosecondType>()
            .value(i)
            .to_string(),
        DataType::Dictionary(..) => {
            let d = column.as_dictionary::<Int32Type>();
            d.values()
                .as_string::<i32>()
                .value(d.keys().value(i) as usize)
                .to_string()
        }
        _ => datafusion::arrow::util::display::array_value_to_string(column, i).unwrap(),
    }
}

/// The engine's points as an in-memory table with the provider's schema:
/// DataFusion alone filters it, the reference for every pushed filter.
fn reference(engine: &Engine, provider: &SkulkTable) -> MemTable {
    reference_of(engine, provider, SeriesSelector::all())
}

/// [`reference`] of the series `selector` picks.
fn reference_of(engine: &Engine, provider: &SkulkTable, selector: SeriesSelector) -> MemTable {
    let schema = provider.layout().schema().clone();
    let series = engine.query(&Query::raw(selector, TimeRange::ALL)).unwrap();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for field in schema.fields() {
        let column: ArrayRef = match field.name().as_str() {
            "time" => Arc::new(
                TimestampNanosecondArray::from(
                    series
                        .iter()
                        .flat_map(|s| s.timestamps.clone())
                        .collect::<Vec<_>>(),
                )
                .with_timezone("UTC"),
            ),
            "value" => Arc::new(Float64Array::from(
                series
                    .iter()
                    .flat_map(|s| s.values.clone())
                    .collect::<Vec<_>>(),
            )),
            name => {
                let words: Vec<Option<String>> = series
                    .iter()
                    .flat_map(|s| {
                        let word = if name == "metric" {
                            Some(s.series.metric().to_string())
                        } else {
                            s.series.label(name).map(str::to_string)
                        };
                        std::iter::repeat_n(word, s.len())
                    })
                    .collect();
                cast(&StringArray::from(words), field.data_type()).unwrap()
            }
        };
        columns.push(column);
    }
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    MemTable::try_new(schema, vec![vec![batch]]).unwrap()
}

/// Filters SQL may put on the `points` table; `{t}` and `{u}` become times.
const FILTERS: &[&str] = &[
    "time >= {t}",
    "time < {t}",
    "time <= {t}",
    "time > {t}",
    "time = {t}",
    "time BETWEEN {t} AND {u}",
    "{t} <= time",
    "time <> {t}",
    "host = 'h1'",
    "host <> 'h1'",
    "host = ''",
    "host IN ('h0', 'h2')",
    "host NOT IN ('h0', 'h2')",
    "host LIKE 'h%'",
    "host LIKE '_1'",
    "host NOT LIKE '%2'",
    "host ILIKE 'H1'",
    "host ~ '1'",
    "host ~* 'H[12]'",
    "host !~ '^h0$'",
    "host !~* 'H0'",
    "host IS NULL",
    "dc IS NOT NULL",
    "dc = 'x' OR host = 'h1'",
    "host = 'h1' OR host LIKE '%2'",
    "host = 'h0' OR host = 'h2' OR host ~ '^h1'",
    "metric = 'cpu' OR metric = 'mem'",
    "(host = 'h1' OR host = 'h2') OR host <> 'h0'",
    "metric = 'cpu'",
    "metric <> 'cpu'",
    "metric IN ('mem')",
    "metric LIKE 'c%'",
    "value > 0.5",
    "NOT (host = 'h1')",
    "CAST(host AS VARCHAR) = 'h2'",
];

/// An engine holding `points` (metric, host, dc, time, value), those
/// before `flush_at` flushed to a file, the others in the memtable.
#[allow(clippy::type_complexity)]
fn engine_with(
    dir: &std::path::Path,
    points: &[(u8, Option<u8>, Option<u8>, i64, f64)],
    flush_at: usize,
) -> Arc<Engine> {
    let engine = Arc::new(Engine::open(dir, config()).unwrap());
    let written: Vec<_> = points
        .iter()
        .map(|(m, h, d, t, v)| {
            let mut l = Vec::new();
            if let Some(h) = h {
                l.push(("host".to_string(), format!("h{h}")));
            }
            if let Some(d) = d {
                l.push(("dc".to_string(), ["x", "y"][*d as usize].to_string()));
            }
            DataPoint::new(["cpu", "mem"][*m as usize], l, *t, *v)
        })
        .collect();
    let (first, rest) = written.split_at(flush_at.min(written.len()));
    engine.write_batch(first).unwrap();
    engine.flush().unwrap();
    engine.write_batch(rest).unwrap();
    engine
}

fn time_literal(t: i64) -> String {
    format!("arrow_cast({t}, 'Timestamp(Nanosecond, Some(\"UTC\"))')")
}

fn filter_text(index: usize, t: i64, u: i64) -> String {
    FILTERS[index % FILTERS.len()]
        .replace("{t}", &time_literal(t))
        .replace("{u}", &time_literal(u))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn pushed_filters_give_the_rows_sql_gives(
        points in proptest::collection::vec(
            (0u8..2, proptest::option::of(0u8..3), proptest::option::of(0u8..2), 0i64..3000, any::<u64>()),
            1..300),
        flush_at in 0usize..300,
        filters in proptest::collection::vec((0usize..FILTERS.len(), 0i64..3000, 0i64..3000), 0..4),
        limit in proptest::option::of(0usize..50),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let points: Vec<_> = points.into_iter().map(|(m, h, d, t, v)| (m, h, d, t, f64::from_bits(v))).collect();
        let engine = engine_with(dir.path(), &points, flush_at);
        // Every table has both label columns, whatever the points above.
        engine.write(&DataPoint::new("disk", labels(&[("host", "h9"), ("dc", "z")]), 1, 0.0)).unwrap();

        let ctx = skulk_datafusion::session(Arc::clone(&engine)).unwrap();
        let provider = SkulkTable::points(Arc::clone(&engine)).unwrap().with_batch_rows(7);
        ctx.register_table("skulk_points", Arc::new(provider)).unwrap();
        let provider = SkulkTable::points(Arc::clone(&engine)).unwrap();
        let columns: Vec<String> = provider.layout().schema().fields().iter().map(|f| format!("\"{}\"", f.name())).collect();
        let memory = datafusion::prelude::SessionContext::new();
        memory.register_table("points", Arc::new(reference(&engine, &provider))).unwrap();

        let mut query = format!("SELECT {} FROM {{table}}", columns.join(", "));
        let conditions: Vec<String> = filters.iter().map(|(i, t, u)| filter_text(*i, *t, *u)).collect();
        if !conditions.is_empty() {
            query.push_str(&format!(" WHERE {}", conditions.join(" AND ")));
        }
        // Ordered by every column (values by their bits), so row order is fixed.
        let order: Vec<String> = provider.layout().schema().fields().iter().map(|f| {
            if f.name() == "value" { "arrow_cast(value, 'Int64') IS NULL, value".to_string() } else { format!("\"{}\"", f.name()) }
        }).collect();
        let _ = order;
        let rt = runtime();
        let got = rt.block_on(sql(&ctx, &query.replace("{table}", "points"))).unwrap();
        let via_registered = rt.block_on(sql(&ctx, &query.replace("{table}", "skulk_points"))).unwrap();
        let want = rt.block_on(sql(&memory, &query.replace("{table}", "points"))).unwrap();
        let mut got_rows = cells(&got);
        let mut want_rows = cells(&want);
        let mut registered_rows = cells(&via_registered);
        got_rows.sort();
        want_rows.sort();
        registered_rows.sort();
        prop_assert_eq!(&got_rows, &want_rows, "{}", query);
        prop_assert_eq!(&registered_rows, &want_rows, "{}", query);
        // Prepared, the same rows on every run.
        let prepared = rt.block_on(PreparedQuery::new(&ctx, &query.replace("{table}", "points"))).unwrap();
        for _ in 0..2 {
            let mut rows = cells(&rt.block_on(prepared.collect()).unwrap());
            rows.sort();
            prop_assert_eq!(&rows, &want_rows, "prepared {}", query);
        }

        if let Some(limit) = limit {
            let limited = format!("{} LIMIT {limit}", query.replace("{table}", "points"));
            let rows = cells(&rt.block_on(sql(&ctx, &limited)).unwrap());
            prop_assert_eq!(rows.len(), want_rows.len().min(limit), "{}", limited);
            for row in &rows {
                prop_assert!(want_rows.binary_search(row).is_ok(), "{} gave a row SQL does not", limited);
            }
        }
    }
}

/// A temporary engine holding [`devops`], a session over it and a
/// runtime; the folder lives as long as the first element.
fn devops_session(
    config: SessionConfig,
) -> (
    tempfile::TempDir,
    Arc<Engine>,
    SessionContext,
    tokio::runtime::Runtime,
) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Arc::new(Engine::open(dir.path(), self::config()).unwrap());
    devops(&engine);
    let ctx = skulk_datafusion::session_with(Arc::clone(&engine), config).unwrap();
    (dir, engine, ctx, runtime())
}

fn devops(engine: &Engine) {
    let mut points = Vec::new();
    for host in 0..4 {
        for t in 0..600i64 {
            let region = if host % 2 == 0 { "eu" } else { "us" };
            let l = labels(&[("host", &format!("h{host}")), ("region", region)]);
            points.push(DataPoint::new(
                "cpu",
                l.clone(),
                t * 1_000_000_000,
                (host * 10) as f64 + (t % 7) as f64,
            ));
            points.push(DataPoint::new("mem", l, t * 1_000_000_000, 1e9 + t as f64));
        }
    }
    engine.write_batch(&points).unwrap();
}

#[test]
fn tables_are_the_metrics_and_points() {
    let (_dir, engine, ctx, rt) = devops_session(SessionConfig::new());
    let tables = cells(&rt.block_on(sql(&ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name")).unwrap_or_else(|_| Vec::new()));
    let _ = tables;
    let cols = rt.block_on(ctx.sql("SELECT * FROM cpu LIMIT 1")).unwrap();
    let names: Vec<_> = cols
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(names, ["time", "value", "host", "region"]);
    let cols = rt
        .block_on(ctx.sql("SELECT * FROM points LIMIT 1"))
        .unwrap();
    let names: Vec<_> = cols
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(names, ["time", "value", "metric", "host", "region"]);

    // A metric written later is a table at once.
    engine
        .write(&DataPoint::new("disk", vec![], 1, 1.0))
        .unwrap();
    let rows = cells(&rt.block_on(sql(&ctx, "SELECT count(*) FROM disk")).unwrap());
    assert_eq!(rows, [["1"]]);
}

#[test]
fn aggregates_match_the_engine() {
    let (_dir, engine, ctx, rt) = devops_session(SessionConfig::new());
    engine.flush().unwrap();

    let rows = cells(&rt.block_on(sql(&ctx, "SELECT host, count(*), sum(value) FROM cpu WHERE time >= '1970-01-01T00:01:40Z' AND time < '1970-01-01T00:05:00Z' GROUP BY host ORDER BY host")).unwrap());
    let range = TimeRange::new(100_000_000_000, 300_000_000_000).unwrap();
    let series = engine
        .query(&Query::raw(SeriesSelector::metric("cpu"), range))
        .unwrap();
    assert_eq!(rows.len(), series.len());
    for (row, s) in rows.iter().zip(&series) {
        assert_eq!(row[0], s.series.label("host").unwrap());
        assert_eq!(row[1], s.len().to_string());
        let sum: f64 = s.values.iter().sum();
        assert_eq!(row[2], format!("f{:016x}", sum.to_bits()));
    }

    let rows = cells(&rt.block_on(sql(&ctx, "SELECT region, date_bin(INTERVAL '1 minute', time) AS minute, avg(value) FROM cpu GROUP BY region, minute ORDER BY region, minute")).unwrap());
    assert_eq!(rows.len(), 2 * 10);
    let rows = cells(&rt.block_on(sql(&ctx, "SELECT approx_percentile_cont(0.5) WITHIN GROUP (ORDER BY value) FROM cpu WHERE host = 'h0'")).unwrap());
    assert_eq!(rows.len(), 1);
    let rows = cells(&rt.block_on(sql(&ctx, "SELECT c.host, count(*) FROM cpu c JOIN mem m ON c.host = m.host AND c.time = m.time GROUP BY c.host ORDER BY c.host")).unwrap());
    assert_eq!(
        rows,
        [["h0", "600"], ["h1", "600"], ["h2", "600"], ["h3", "600"]]
    );
    let rows = cells(&rt.block_on(sql(&ctx, "SELECT host, value - lag(value) OVER (PARTITION BY host ORDER BY time) AS d FROM cpu WHERE host = 'h1' ORDER BY time LIMIT 2")).unwrap());
    assert_eq!(rows[0][1], "NULL");
    assert_eq!(rows[1][1], format!("f{:016x}", 1f64.to_bits()));
}

#[test]
fn explain_shows_what_the_engine_was_given() {
    let (_dir, _engine, ctx, rt) = devops_session(SessionConfig::new());
    let plan = |q: &str| {
        let rows = cells(&rt.block_on(sql(&ctx, &format!("EXPLAIN {q}"))).unwrap());
        rows.iter()
            .map(|r| r.join(" "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let p = plan(
        "SELECT value FROM cpu WHERE host IN ('h1', 'h2') AND region != 'eu' AND time >= '1970-01-01T00:00:10Z' LIMIT 3",
    );
    assert!(
        p.contains(r#"matchers=[__name__="cpu", host=~"h1|h2", region!="eu", region=~"(?s:.+)"]"#),
        "{p}"
    );
    assert!(!p.contains("FilterExec"), "every filter pushed: {p}");
    assert!(p.contains("time=[10000000000, ∞)"), "{p}");
    assert!(p.contains("projection=[value]"), "{p}");
    assert!(p.contains("limit=3"), "{p}");
    let p = plan("SELECT value FROM cpu WHERE value > 3 LIMIT 3");
    assert!(
        p.contains("FilterExec"),
        "an unpushed filter stays in the plan: {p}"
    );
    assert!(
        !p.contains("limit=3"),
        "no limit under an unpushed filter: {p}"
    );
    let p = plan(
        "SELECT value FROM cpu WHERE time < '1970-01-01T00:00:00Z' AND time > '1970-01-01T00:00:01Z'",
    );
    assert!(p.contains("empty"), "{p}");
}

#[test]
fn bad_queries_are_errors() {
    let (_dir, _engine, ctx, rt) = devops_session(SessionConfig::new());
    for (query, says) in [
        ("SELEC 1", "SELEC"),
        ("SELECT * FROM nope", "nope"),
        ("SELECT nope FROM cpu", "nope"),
        ("SELECT * FROM cpu WHERE host ~ '('", "regex"),
        ("SELECT sum(host) FROM cpu", "sum"),
    ] {
        let err = rt.block_on(sql(&ctx, query)).unwrap_err();
        let line = err.one_line();
        assert!(!line.contains('\n'), "{line}");
        assert!(
            line.to_lowercase().contains(&says.to_lowercase()),
            "{query}: {line}"
        );
    }
}

#[test]
fn tables_can_be_registered_beside_the_engine() {
    let (_dir, _engine, ctx, rt) = devops_session(SessionConfig::new());
    rt.block_on(sql(
        &ctx,
        "CREATE TABLE owners (host VARCHAR, team VARCHAR) AS VALUES ('h0', 'red'), ('h1', 'blue')",
    ))
    .unwrap();
    let rows = cells(&rt.block_on(sql(&ctx, "SELECT o.team, count(*) FROM cpu JOIN owners o ON cpu.host = o.host GROUP BY o.team ORDER BY o.team")).unwrap());
    assert_eq!(rows, [["blue", "600"], ["red", "600"]]);
    let err = rt
        .block_on(sql(&ctx, "CREATE TABLE cpu (x INT)"))
        .unwrap_err();
    assert!(err.one_line().contains("cpu"), "{}", err.one_line());
}

#[test]
fn a_read_only_engine_serves_sql_while_another_writes() {
    let dir = tempfile::tempdir().unwrap();
    let writer = Engine::open(dir.path(), config()).unwrap();
    devops(&writer);
    writer.flush().unwrap();
    let options = skulk_engine::OpenOptions::existing(dir.path()).config(config());
    let reader = Arc::new(Engine::open_read_only(options).unwrap());
    let ctx = skulk_datafusion::session(Arc::clone(&reader)).unwrap();
    let rt = runtime();
    let rows = cells(
        &rt.block_on(sql(&ctx, "SELECT count(*) FROM cpu WHERE region = 'eu'"))
            .unwrap(),
    );
    assert_eq!(rows, [["1200"]]);
    writer.close().unwrap();
}

/// Values whose sums do not depend on the order of addition beyond
/// rounding: small numbers and every special value.
fn aggregate_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        (-1000i32..1000).prop_map(|v| f64::from(v) / 8.0),
        Just(f64::NAN),
        Just(f64::from_bits(0x7ff4_0000_dead_beef)),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        Just(5e-324),
    ]
}

/// Group keys exactly; floats equal up to the rounding of a different
/// order of addition (NaN equal to NaN, infinities exact).
fn same_aggregates(got: &[Vec<String>], want: &[Vec<String>]) -> bool {
    let float = |cell: &str| {
        cell.strip_prefix('f')
            .and_then(|hex| u64::from_str_radix(hex, 16).ok())
            .map(f64::from_bits)
    };
    got.len() == want.len()
        && got.iter().zip(want).all(|(g, w)| {
            g.len() == w.len()
                && g.iter().zip(w).all(|(a, b)| match (float(a), float(b)) {
                    (Some(x), Some(y)) if x.is_nan() || y.is_nan() => x.is_nan() && y.is_nan(),
                    (Some(x), Some(y)) if x.is_infinite() || y.is_infinite() => x == y,
                    (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
                    _ => a == b,
                })
        })
}

/// Filters for the aggregate test: the engine takes all but the last.
const AGGREGATE_FILTERS: &[&str] = &[
    "time >= {t}",
    "time < {t}",
    "host = 'h1'",
    "host <> 'h1'",
    "host IN ('h0', 'h2')",
    "dc IS NOT NULL",
    "value > 0.5",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn pushed_aggregates_give_what_datafusion_gives(
        points in proptest::collection::vec(
            (0u8..2, proptest::option::of(0u8..3), proptest::option::of(0u8..2),
             prop_oneof![8 => -3000i64..3000, 1 => Just(i64::MIN), 1 => Just(i64::MAX), 1 => Just(i64::MIN + 1)],
             aggregate_value()),
            0..300),
        flush_at in 0usize..300,
        on_points in any::<bool>(),
        by_host in any::<bool>(),
        by_dc in any::<bool>(),
        by_metric in any::<bool>(),
        bin in 0usize..5,
        aggregates in proptest::sample::subsequence(vec!["avg(value)", "sum(value)", "count(*)", "count(value)", "count(time)"], 1..4),
        filters in proptest::collection::vec((0usize..AGGREGATE_FILTERS.len(), -3000i64..3000), 0..3),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine_with(dir.path(), &points, flush_at);
        // Both tables exist and have both label columns.
        engine.write(&DataPoint::new("cpu", labels(&[("host", "h9"), ("dc", "z")]), 1, 2.0)).unwrap();
        engine.write(&DataPoint::new("mem", labels(&[("host", "h9"), ("dc", "z")]), 1, 2.0)).unwrap();

        let table = if on_points { "points" } else { "cpu" };
        let mut groups = Vec::new();
        if by_host { groups.push("host".to_string()); }
        if by_dc { groups.push("dc".to_string()); }
        if by_metric && on_points { groups.push("metric".to_string()); }
        match bin {
            0 => {}
            1 => groups.push("date_bin(INTERVAL '1 nanosecond', time)".to_string()),
            2 => groups.push("date_bin(INTERVAL '7 nanoseconds', time)".to_string()),
            3 => groups.push("date_bin(INTERVAL '1 minute', time)".to_string()),
            _ => groups.push(format!("date_bin(INTERVAL '100 nanoseconds', time, {})", time_literal(-13))),
        }
        let mut query = format!("SELECT {} FROM {{table}}",
            groups.iter().cloned().chain(aggregates.iter().map(|a| a.to_string())).collect::<Vec<_>>().join(", "));
        let conditions: Vec<String> = filters.iter()
            .map(|(i, t)| AGGREGATE_FILTERS[*i].replace("{t}", &time_literal(*t)))
            .collect();
        if !conditions.is_empty() {
            query.push_str(&format!(" WHERE {}", conditions.join(" AND ")));
        }
        if !groups.is_empty() {
            query.push_str(&format!(" GROUP BY {}", groups.join(", ")));
        }

        let ctx = skulk_datafusion::session(Arc::clone(&engine)).unwrap();
        let provider = if on_points {
            SkulkTable::points(Arc::clone(&engine)).unwrap()
        } else {
            SkulkTable::metric(Arc::clone(&engine), "cpu").unwrap()
        };
        let memory = datafusion::prelude::SessionContext::new();
        let selector = if on_points { SeriesSelector::all() } else { SeriesSelector::metric("cpu") };
        let reference = reference_of(&engine, &provider, selector);
        memory.register_table(table, Arc::new(reference)).unwrap();
        let rt = runtime();
        let query = query.replace("{table}", table);
        let mut got = cells(&rt.block_on(sql(&ctx, &query)).unwrap());
        let mut want = cells(&rt.block_on(sql(&memory, &query)).unwrap());
        got.sort();
        want.sort();
        prop_assert!(same_aggregates(&got, &want), "{}\n got: {:?}\nwant: {:?}", query, got, want);

        let plan = cells(&rt.block_on(sql(&ctx, &format!("EXPLAIN {query}"))).unwrap())
            .iter().map(|r| r.join(" ")).collect::<Vec<_>>().join("\n");
        let pushable = filters.iter().all(|(i, _)| *i + 1 < AGGREGATE_FILTERS.len());
        prop_assert_eq!(plan.contains("SkulkBinnedExec"), pushable, "{}\n{}", query, plan);
    }
}

#[test]
fn explain_shows_an_aggregate_the_engine_does_its_part_of() {
    let (_dir, _engine, ctx, rt) = devops_session(SessionConfig::new());
    let query = "SELECT host, date_bin(INTERVAL '1 minute', time) AS minute, avg(value) AS mean \
                 FROM cpu WHERE region = 'eu' GROUP BY host, minute";
    let rows = cells(&rt.block_on(sql(&ctx, &format!("EXPLAIN {query}"))).unwrap());
    let plan = rows
        .iter()
        .map(|r| r.join(" "))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        plan.contains(r#"SkulkBinnedExec: table=cpu, matchers=[__name__="cpu", region="eu"], bins=60000000000ns from 0, per series: sum, count; groups=[host]"#),
        "{plan}"
    );
    // Two hosts in `eu`, ten minutes each; the same rows without the rule.
    let mut got = cells(&rt.block_on(sql(&ctx, query)).unwrap());
    assert_eq!(got.len(), 20);
    assert!(ctx.remove_optimizer_rule(skulk_datafusion::AggregatePushdown::NAME));
    let plain = cells(&rt.block_on(sql(&ctx, &format!("EXPLAIN {query}"))).unwrap());
    assert!(
        !plain
            .iter()
            .flatten()
            .any(|c| c.contains("SkulkBinnedExec"))
    );
    let mut want = cells(&rt.block_on(sql(&ctx, query)).unwrap());
    got.sort();
    want.sort();
    assert_eq!(got, want);
}

/// A prepared query's run and a fresh `ctx.sql` of the same text, now.
fn prepared_and_fresh(
    rt: &tokio::runtime::Runtime,
    ctx: &SessionContext,
    query: &PreparedQuery,
) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let mut got = cells(&rt.block_on(query.collect()).unwrap());
    let mut want = cells(&rt.block_on(sql(ctx, query.sql())).unwrap());
    got.sort();
    want.sort();
    (got, want)
}

#[test]
fn a_prepared_query_reads_the_data_of_each_run() {
    let (_dir, engine, ctx, rt) = devops_session(SessionConfig::new().with_target_partitions(3));
    let texts = [
        "SELECT count(*), sum(value) FROM points",
        "SELECT host, date_bin(INTERVAL '1 minute', time) AS minute, avg(value) FROM cpu \
         WHERE region = 'eu' GROUP BY host, minute",
        "SELECT time, value, host FROM cpu WHERE host IN ('h1', 'h3') AND time >= '1970-01-01T00:01:40Z'",
        // A join: its hash table is built once per run, not once per plan.
        "SELECT c.host, count(*) FROM cpu c JOIN mem m ON c.host = m.host AND c.time = m.time \
         GROUP BY c.host",
        "SELECT * FROM cpu ORDER BY value DESC, time, host LIMIT 5",
    ];
    let queries: Vec<PreparedQuery> = texts
        .iter()
        .map(|t| rt.block_on(PreparedQuery::new(&ctx, t)).unwrap())
        .collect();
    for round in 0..3i64 {
        for query in &queries {
            assert!(!query.plans_every_run(), "{}", query.sql());
            let (got, want) = prepared_and_fresh(&rt, &ctx, query);
            assert!(!want.is_empty(), "{}", query.sql());
            assert_eq!(got, want, "round {round}: {}", query.sql());
        }
        // More points for every series and a new host, some of them on disk.
        let mut points = Vec::new();
        for host in 0..5 {
            let l = labels(&[("host", &format!("h{host}")), ("region", "eu")]);
            for t in 0..50i64 {
                let t = (600 + round * 50 + t) * 1_000_000_000;
                points.push(DataPoint::new("cpu", l.clone(), t, 100.0 + round as f64));
                points.push(DataPoint::new("mem", l.clone(), t, 1.0));
            }
        }
        engine.write_batch(&points).unwrap();
        if round == 1 {
            engine.flush().unwrap();
        }
    }
}

#[test]
fn a_prepared_query_plans_again_when_its_columns_change() {
    let (_dir, engine, ctx, rt) = devops_session(SessionConfig::new());
    let query = rt
        .block_on(PreparedQuery::new(&ctx, "SELECT * FROM cpu"))
        .unwrap();
    let names = |q: &PreparedQuery| -> Vec<String> {
        q.schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    };
    assert_eq!(names(&query), ["time", "value", "host", "region"]);
    engine
        .write(&DataPoint::new(
            "cpu",
            labels(&[("host", "h9"), ("rack", "r1")]),
            1,
            1.0,
        ))
        .unwrap();
    let (got, want) = prepared_and_fresh(&rt, &ctx, &query);
    assert_eq!(got, want);
    assert_eq!(names(&query), ["time", "value", "host", "rack", "region"]);
    assert!(got.iter().any(|row| row.contains(&"r1".to_string())));
}

#[test]
fn a_prepared_query_that_reads_the_clock_plans_every_run() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Arc::new(Engine::open(dir.path(), config()).unwrap());
    let ctx = skulk_datafusion::session(Arc::clone(&engine)).unwrap();
    let rt = runtime();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i64;
    // A point 300 ms ahead of the clock: not yet `<= now()`, then so.
    engine
        .write(&DataPoint::new("cpu", vec![], now + 300_000_000, 1.0))
        .unwrap();
    let query = rt
        .block_on(PreparedQuery::new(
            &ctx,
            "SELECT count(*) FROM cpu WHERE time <= now()",
        ))
        .unwrap();
    assert!(query.plans_every_run());
    assert_eq!(cells(&rt.block_on(query.collect()).unwrap()), [["0"]]);
    std::thread::sleep(std::time::Duration::from_millis(400));
    assert_eq!(cells(&rt.block_on(query.collect()).unwrap()), [["1"]]);
}

#[test]
fn only_queries_can_be_prepared() {
    let (_dir, _engine, ctx, rt) = devops_session(SessionConfig::new());
    for text in [
        "CREATE TABLE t AS VALUES (1)",
        "SET datafusion.execution.batch_size = 7",
        "SELECT * FROM nope",
        "SELEC 1",
    ] {
        let err = rt.block_on(PreparedQuery::new(&ctx, text)).unwrap_err();
        assert!(!err.to_string().is_empty(), "{text}");
    }
    assert!(rt.block_on(sql(&ctx, "SELECT * FROM t")).is_err());
}

#[test]
fn prepared_runs_may_overlap() {
    let (_dir, _engine, ctx, rt) = devops_session(SessionConfig::new().with_target_partitions(4));
    let query = rt
        .block_on(PreparedQuery::new(
            &ctx,
            "SELECT time, value, host FROM cpu",
        ))
        .unwrap();
    let (_, want) = prepared_and_fresh(&rt, &ctx, &query);
    // Both runs start (every partition of both takes its part) before
    // either is read.
    let mut runs = rt.block_on(async {
        let a = query.execute().await.unwrap();
        let b = query.execute().await.unwrap();
        [a, b]
    });
    for run in &mut runs {
        let batches: Vec<RecordBatch> = rt.block_on(async {
            use futures::TryStreamExt;
            run.try_collect().await.unwrap()
        });
        let mut got = cells(&batches);
        got.sort();
        assert_eq!(got, want);
    }
}

#[test]
fn a_prepared_query_over_another_table_plans_every_run() {
    let (_dir, engine, ctx, rt) = devops_session(SessionConfig::new());
    rt.block_on(sql(
        &ctx,
        "CREATE TABLE owners (host VARCHAR, team VARCHAR) AS VALUES ('h0', 'red')",
    ))
    .unwrap();
    rt.block_on(sql(
        &ctx,
        "CREATE VIEW eu AS SELECT * FROM cpu WHERE region = 'eu'",
    ))
    .unwrap();
    let joined = rt
        .block_on(PreparedQuery::new(
            &ctx,
            "SELECT o.team, count(*) FROM cpu JOIN owners o ON cpu.host = o.host GROUP BY o.team",
        ))
        .unwrap();
    // An in-memory table's plan holds its rows: planned every run.
    assert!(joined.plans_every_run());
    let (got, want) = prepared_and_fresh(&rt, &ctx, &joined);
    assert_eq!((got, want.len()), (want, 1));
    rt.block_on(sql(&ctx, "INSERT INTO owners VALUES ('h1', 'blue')"))
        .unwrap();
    let (got, want) = prepared_and_fresh(&rt, &ctx, &joined);
    assert_eq!((got, want.len()), (want, 2));
    // A view of the engine's tables reads the engine when it runs.
    let view = rt
        .block_on(PreparedQuery::new(&ctx, "SELECT count(*) FROM eu"))
        .unwrap();
    assert!(!view.plans_every_run());
    engine
        .write(&DataPoint::new(
            "cpu",
            labels(&[("host", "h0"), ("region", "eu")]),
            1_000_000_000_000,
            1.0,
        ))
        .unwrap();
    let (got, want) = prepared_and_fresh(&rt, &ctx, &view);
    assert_eq!((got, want.clone()), (want, vec![vec!["1201".to_string()]]));
}

#[test]
fn a_prepared_query_follows_a_name_given_to_another_table() {
    let (_dir, engine, ctx, rt) = devops_session(SessionConfig::new());
    let table = |metric: &str| Arc::new(SkulkTable::metric(Arc::clone(&engine), metric).unwrap());
    ctx.register_table("t", table("cpu")).unwrap();
    let query = rt
        .block_on(PreparedQuery::new(&ctx, "SELECT sum(value) FROM t"))
        .unwrap();
    assert!(!query.plans_every_run());
    // The same columns from another metric, then from memory: each run
    // reads what the name means now.
    for (replacement, plans_every_run) in [
        (
            table("mem") as Arc<dyn datafusion::datasource::TableProvider>,
            false,
        ),
        (
            Arc::new(reference_of(
                &engine,
                &table("cpu"),
                SeriesSelector::metric("cpu"),
            )),
            true,
        ),
        (table("cpu"), false),
    ] {
        ctx.deregister_table("t").unwrap();
        ctx.register_table("t", replacement).unwrap();
        let (got, want) = prepared_and_fresh(&rt, &ctx, &query);
        assert_eq!(got, want);
        assert_eq!(query.plans_every_run(), plans_every_run);
    }
}
