//! Series lookup, label names and label values through the engine: any
//! label text the data model allows is found again, from memtables, from
//! files after a flush and a reopen, and forgotten when retention drops it.

use std::collections::BTreeSet;
use std::time::Duration;

use skulk_engine::{
    DataPoint, Engine, EngineConfig, LabelMatcher, ManualClock, OpenOptions, SeriesMeta,
    SeriesSelector,
};

use crate::common::quiet_config;

fn odd_series() -> Vec<SeriesMeta> {
    let texts = [
        "",
        "a",
        "h12",
        "h120",
        "größe",
        "say \"hi\"",
        "a=b,c",
        "{x}",
        "nl\nx",
        "tab\t",
        " lead",
        "\u{0}",
        "\u{10ffff}",
        "__name__",
    ];
    let mut out = Vec::new();
    for (i, metric) in texts.iter().enumerate() {
        for (j, name) in texts.iter().enumerate() {
            let value = texts[(i + j) % texts.len()];
            out.push(SeriesMeta::new(
                *metric,
                vec![
                    (name.to_string(), value.to_string()),
                    ("k".into(), format!("{i}-{j}")),
                ],
            ));
        }
    }
    out
}

fn write(engine: &Engine, series: &[SeriesMeta], ts: i64) {
    let points: Vec<DataPoint> = series
        .iter()
        .map(|m| DataPoint::for_series(std::sync::Arc::new(m.clone()), ts, 1.0))
        .collect();
    engine.write_batch(&points).unwrap();
}

fn sel(matchers: Vec<LabelMatcher>) -> SeriesSelector {
    SeriesSelector::Matchers(matchers)
}

fn check_everything_is_found(engine: &Engine, series: &[SeriesMeta]) {
    let all: BTreeSet<SeriesMeta> = series.iter().cloned().collect();
    let listed: BTreeSet<SeriesMeta> = engine
        .find_series(&SeriesSelector::all())
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(listed, all);
    assert_eq!(
        engine.series_ids(&SeriesSelector::all()).unwrap().len(),
        all.len()
    );
    for m in series {
        let mut matchers = vec![LabelMatcher::equal("__name__", m.metric())];
        for (k, v) in m.labels() {
            if k != "__name__" {
                matchers.push(LabelMatcher::equal(k.clone(), v.clone()));
            }
        }
        let found = engine.find_series(&sel(matchers)).unwrap();
        // Equality on every label can also match a series with more labels
        // whose value is empty; the exact one must be among them.
        assert!(found.contains(m), "{m:?} not found by its own labels");
        assert!(found.iter().all(|f| f.metric() == m.metric()));
        assert_eq!(
            engine
                .find_series(&SeriesSelector::Exact(m.clone()))
                .unwrap(),
            vec![m.clone()]
        );
    }
    let names: BTreeSet<String> = series
        .iter()
        .flat_map(|m| m.labels().iter().map(|(k, _)| k.clone()))
        .chain(["__name__".to_string()])
        .collect();
    assert_eq!(
        engine.label_names(&SeriesSelector::all()).unwrap(),
        names.into_iter().collect::<Vec<_>>()
    );
    let metrics: BTreeSet<String> = series.iter().map(|m| m.metric().to_string()).collect();
    assert_eq!(
        engine
            .label_values("__name__", &SeriesSelector::all())
            .unwrap(),
        metrics.into_iter().collect::<Vec<_>>()
    );
    let selector = SeriesSelector::metric("größe");
    let values: BTreeSet<String> = series
        .iter()
        .filter(|m| m.metric() == "größe")
        .filter_map(|m| m.label("k").map(str::to_string))
        .collect();
    assert_eq!(
        engine.label_values("k", &selector).unwrap(),
        values.into_iter().collect::<Vec<_>>()
    );
}

#[test]
fn odd_labels_are_found_in_memory_in_files_and_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let series = odd_series();
    let (flushed, fresh) = series.split_at(series.len() / 2);
    {
        let engine = Engine::open(dir.path(), quiet_config()).unwrap();
        write(&engine, flushed, 10);
        engine.flush().unwrap();
        write(&engine, fresh, 20);
        check_everything_is_found(&engine, &series);
        // Dropped without closing: the fresh half comes back from the WAL.
    }
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    check_everything_is_found(&engine, &series);
    engine.close().unwrap();
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    check_everything_is_found(&engine, &series);
}

#[test]
fn empty_matching_matchers_follow_prometheus() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    let m = |host: Option<&str>| {
        let labels = host.map(|h| vec![("host".to_string(), h.to_string())]);
        SeriesMeta::new("cpu", labels.unwrap_or_default())
    };
    let (a, b, none, empty) = (m(Some("a")), m(Some("b")), m(None), m(Some("")));
    write(
        &engine,
        &[a.clone(), b.clone(), none.clone(), empty.clone()],
        1,
    );
    let find = |ms: Vec<LabelMatcher>| -> BTreeSet<SeriesMeta> {
        engine.find_series(&sel(ms)).unwrap().into_iter().collect()
    };
    let set =
        |v: &[&SeriesMeta]| -> BTreeSet<SeriesMeta> { v.iter().map(|m| (*m).clone()).collect() };
    assert_eq!(
        find(vec![LabelMatcher::equal("host", "")]),
        set(&[&none, &empty])
    );
    assert_eq!(
        find(vec![LabelMatcher::not_equal("host", "")]),
        set(&[&a, &b])
    );
    assert_eq!(
        find(vec![LabelMatcher::not_equal("host", "a")]),
        set(&[&b, &none, &empty])
    );
    assert_eq!(
        find(vec![LabelMatcher::regex("host", "a|")]),
        set(&[&a, &none, &empty])
    );
    assert_eq!(
        find(vec![LabelMatcher::not_regex("host", "a|")]),
        set(&[&b])
    );
    assert_eq!(
        find(vec![LabelMatcher::regex("host", ".*")]),
        set(&[&a, &b, &none, &empty])
    );
    assert_eq!(
        find(vec![LabelMatcher::regex("host", ".+")]),
        set(&[&a, &b])
    );
    assert_eq!(find(vec![LabelMatcher::equal("missing", "")]).len(), 4);
    assert!(find(vec![LabelMatcher::equal("missing", "x")]).is_empty());
    assert!(
        engine
            .find_series(&sel(vec![LabelMatcher::regex("host", "(")]))
            .is_err()
    );
    assert!(
        engine
            .label_names(&sel(vec![LabelMatcher::regex("host", "(")]))
            .is_err()
    );
    assert_eq!(
        engine.label_values("host", &SeriesSelector::all()).unwrap(),
        ["", "a", "b"]
    );
    assert_eq!(
        engine
            .label_names(&sel(vec![LabelMatcher::equal("host", "")]))
            .unwrap(),
        ["__name__", "host"]
    );
}

#[test]
fn retention_forgets_dropped_series() {
    let dir = tempfile::tempdir().unwrap();
    let clock = std::sync::Arc::new(ManualClock::new(0));
    let config = EngineConfig {
        retention: Some(Duration::from_nanos(5000)),
        ..quiet_config()
    };
    let open = || {
        OpenOptions::new(dir.path())
            .and_then(|o| Engine::open_with(o.config(config.clone()).clock(clock.clone())))
            .unwrap()
    };
    let engine = open();
    let old = SeriesMeta::new("m", vec![("host".into(), "old".into())]);
    let new = SeriesMeta::new("m", vec![("host".into(), "new".into())]);
    write(&engine, std::slice::from_ref(&old), 10);
    engine.flush().unwrap();
    write(&engine, std::slice::from_ref(&new), 9000);
    assert_eq!(
        engine.label_values("host", &SeriesSelector::all()).unwrap(),
        ["new", "old"]
    );
    clock.set(10_000);
    engine.apply_retention().unwrap();
    assert_eq!(
        engine.label_values("host", &SeriesSelector::all()).unwrap(),
        ["new"]
    );
    assert_eq!(
        engine.find_series(&SeriesSelector::all()).unwrap(),
        vec![new.clone()]
    );
    engine.close().unwrap();
    let engine = open();
    assert_eq!(
        engine.label_values("host", &SeriesSelector::all()).unwrap(),
        ["new"]
    );
    assert_eq!(engine.stats().series, 1);
}

mod reopen {
    //! The index a reopen rebuilds answers every selection as the one the
    //! writes built did, and as a scan of every series written does, with
    //! data in memtables (from the WAL), in flushed files and in compacted
    //! ones, for a writer and a read-only engine.

    use std::collections::BTreeSet;
    use std::sync::Arc;

    use proptest::prelude::*;
    use skulk_engine::{DataPoint, Engine, LabelMatcher, MatchOp, OpenOptions, SeriesMeta};

    use super::sel;
    use crate::common::quiet_config;

    const NAMES: &[&str] = &["host", "dc", "", "a b"];
    const VALUES: &[&str] = &["", "a", "ab", "b", "h12", "h120", "x\ny"];
    const PATTERNS: &[&str] = &["a.*", "ab|b", "h12.*", "", "a|", "[ab]", ".+", "h1(2|20)"];

    fn series() -> impl Strategy<Value = SeriesMeta> {
        let label = (0..NAMES.len(), 0..VALUES.len())
            .prop_map(|(n, v)| (NAMES[n].to_string(), VALUES[v].to_string()));
        (0..3usize, proptest::collection::vec(label, 0..3))
            .prop_map(|(m, labels)| SeriesMeta::new(["cpu", "mem", "x"][m], labels))
    }

    fn matcher() -> impl Strategy<Value = LabelMatcher> {
        let op = prop_oneof![
            Just(MatchOp::Equal),
            Just(MatchOp::NotEqual),
            Just(MatchOp::Regex),
            Just(MatchOp::NotRegex),
        ];
        (0..NAMES.len() + 1, op, 0..VALUES.len(), 0..PATTERNS.len()).prop_map(|(n, op, v, p)| {
            let name = NAMES.get(n).copied().unwrap_or("__name__");
            let value = match op {
                MatchOp::Equal | MatchOp::NotEqual => VALUES[v],
                MatchOp::Regex | MatchOp::NotRegex => PATTERNS[p],
            };
            LabelMatcher::new(name, op, value)
        })
    }

    /// What `matchers` pick from `all`, by testing each series.
    fn scan(all: &BTreeSet<SeriesMeta>, matchers: &[LabelMatcher]) -> Vec<SeriesMeta> {
        let accepts = |m: &LabelMatcher, s: &SeriesMeta| {
            let value = if m.name == "__name__" {
                s.metric()
            } else {
                s.label(&m.name).unwrap_or("")
            };
            let re = || regex::Regex::new(&format!("^(?:{})$", m.value)).unwrap();
            match m.op {
                MatchOp::Equal => value == m.value,
                MatchOp::NotEqual => value != m.value,
                MatchOp::Regex => re().is_match(value),
                MatchOp::NotRegex => !re().is_match(value),
            }
        };
        all.iter()
            .filter(|s| matchers.iter().all(|m| accepts(m, s)))
            .cloned()
            .collect()
    }

    type Answers = Vec<(Vec<SeriesMeta>, Vec<String>, Vec<String>)>;

    fn answers(engine: &Engine, queries: &[Vec<LabelMatcher>]) -> Answers {
        queries
            .iter()
            .map(|q| {
                let s = sel(q.clone());
                (
                    engine.find_series(&s).unwrap(),
                    engine.label_names(&s).unwrap(),
                    engine.label_values("host", &s).unwrap(),
                )
            })
            .collect()
    }

    fn write(engine: &Engine, batch: &[SeriesMeta], ts: i64) {
        let points: Vec<DataPoint> = batch
            .iter()
            .map(|m| DataPoint::for_series(Arc::new(m.clone()), ts, 1.0))
            .collect();
        engine.write_batch(&points).unwrap();
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
        #[test]
        fn a_reopened_index_answers_as_a_scan(
            batches in proptest::collection::vec(proptest::collection::vec(series(), 1..12), 1..5),
            queries in proptest::collection::vec(proptest::collection::vec(matcher(), 1..3), 1..8),
            compact in any::<bool>(),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let all: BTreeSet<SeriesMeta> = batches.iter().flatten().cloned().collect();
            let expected: Vec<Vec<SeriesMeta>> = queries.iter().map(|q| scan(&all, q)).collect();
            let before = {
                let engine = Engine::open(dir.path(), quiet_config()).unwrap();
                let last = batches.len() - 1;
                for (i, batch) in batches.iter().enumerate() {
                    // Partitions of 1,000 ns: each batch its own.
                    write(&engine, batch, i as i64 * 1000);
                    if i < last {
                        engine.flush().unwrap();
                    }
                }
                if compact {
                    engine.compact().unwrap();
                }
                let before = answers(&engine, &queries);
                for (got, want) in before.iter().zip(&expected) {
                    prop_assert_eq!(&got.0, want);
                }
                before
                // Dropped without closing: the last batch is in the WAL only.
            };
            let reader = Engine::open_read_only(OpenOptions::new(dir.path()).unwrap().config(quiet_config())).unwrap();
            prop_assert_eq!(&answers(&reader, &queries), &before);
            drop(reader);
            let engine = Engine::open(dir.path(), quiet_config()).unwrap();
            prop_assert_eq!(&answers(&engine, &queries), &before);
            engine.flush().unwrap();
            engine.close().unwrap();
            let engine = Engine::open(dir.path(), quiet_config()).unwrap();
            prop_assert_eq!(&answers(&engine, &queries), &before);
        }
    }
}
