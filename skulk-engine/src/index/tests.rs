//! The index against a plain scan: every selection, label name and label
//! value list equals what testing each series' metadata gives.

use std::collections::BTreeSet;

use proptest::prelude::*;
use skulk_format::SeriesMeta;

use super::{SeriesIndex, label_names, label_values, select};
use crate::query::{CompiledSelector, LabelMatcher, MatchOp, SeriesSelector};

const METRICS: &[&str] = &["cpu", "mem", "", "größe"];
const NAMES: &[&str] = &["host", "dc", "", "__name__", "a b", "é"];
const VALUES: &[&str] = &[
    "", "a", "ab", "abc", "b", "h12", "h120", "h2", "x\ny", "größe",
];
const PATTERNS: &[&str] = &[
    "a.*",
    "ab|b",
    "h12.*",
    ".*",
    "",
    "a|",
    "(h1|h2).*",
    "[ab]",
    "x.y",
    "a+",
    "g.*e",
    "(?i)A.*",
    "h1(2|20)",
    "(a",
    ".+",
];

fn series() -> impl Strategy<Value = SeriesMeta> {
    let label = (0..NAMES.len(), 0..VALUES.len())
        .prop_map(|(n, v)| (NAMES[n].to_string(), VALUES[v].to_string()));
    (0..METRICS.len(), proptest::collection::vec(label, 0..4))
        .prop_map(|(m, labels)| SeriesMeta::new(METRICS[m], labels))
}

fn matcher() -> impl Strategy<Value = LabelMatcher> {
    let name = prop_oneof![
        (0..NAMES.len()).prop_map(|i| NAMES[i].to_string()),
        Just("__name__".to_string()),
        Just("missing".to_string()),
    ];
    let op = prop_oneof![
        Just(MatchOp::Equal),
        Just(MatchOp::NotEqual),
        Just(MatchOp::Regex),
        Just(MatchOp::NotRegex),
    ];
    (name, op, 0..VALUES.len(), 0..PATTERNS.len()).prop_map(|(name, op, v, p)| {
        let value = match op {
            MatchOp::Equal | MatchOp::NotEqual => VALUES[v],
            MatchOp::Regex | MatchOp::NotRegex => PATTERNS[p],
        };
        LabelMatcher::new(name, op, value)
    })
}

fn build(metas: &[SeriesMeta]) -> SeriesIndex {
    let mut index = SeriesIndex::default();
    for m in metas {
        index.insert(m.id(), m).unwrap();
    }
    index
}

proptest! {
    #[test]
    fn selection_equals_a_scan(
        metas in proptest::collection::vec(series(), 0..40),
        matchers in proptest::collection::vec(matcher(), 0..4),
    ) {
        let index = build(&metas);
        let Ok(selector) = CompiledSelector::new(&SeriesSelector::Matchers(matchers)) else {
            return Ok(());
        };
        let distinct: BTreeSet<SeriesMeta> = metas.iter().cloned().collect();
        let expected: BTreeSet<SeriesMeta> =
            distinct.iter().filter(|m| selector.matches(m)).cloned().collect();
        let refs = select(&index, &selector);
        prop_assert!(refs.windows(2).all(|w| w[0] < w[1]), "ascending, unique");
        let got: BTreeSet<SeriesMeta> = refs.iter().map(|&r| index.meta(r)).collect();
        prop_assert_eq!(&got, &expected);

        let names: BTreeSet<String> = expected
            .iter()
            .flat_map(|m| m.labels().iter().map(|(k, _)| k.clone()).chain(["__name__".into()]))
            .collect();
        let selected = Some(refs.as_slice());
        prop_assert_eq!(label_names(&index, selected), names.into_iter().collect::<Vec<_>>());
        for name in NAMES.iter().chain(&["__name__", "missing"]) {
            let values: BTreeSet<String> = expected
                .iter()
                .filter_map(|m| match *name {
                    "__name__" => Some(m.metric().to_string()),
                    _ => m.label(name).map(str::to_string),
                })
                .collect();
            prop_assert_eq!(
                label_values(&index, name, selected),
                values.into_iter().collect::<Vec<_>>(),
                "values of {:?}", name
            );
        }
    }

    #[test]
    fn exact_selectors_find_their_series(metas in proptest::collection::vec(series(), 1..20)) {
        let index = build(&metas);
        for m in &metas {
            let selector = CompiledSelector::new(&SeriesSelector::Exact(m.clone())).unwrap();
            let refs = select(&index, &selector);
            prop_assert_eq!(refs.len(), 1);
            prop_assert_eq!(&index.meta(refs[0]), m);
        }
    }
}

#[test]
fn many_values_stay_ordered_for_prefixes() {
    let metas: Vec<SeriesMeta> = (0..5000)
        .rev()
        .map(|i| SeriesMeta::new("m", vec![("host".into(), format!("h{i}"))]))
        .collect();
    let index = build(&metas);
    let selector = CompiledSelector::new(&SeriesSelector::Matchers(vec![LabelMatcher::regex(
        "host", "h12.*",
    )]))
    .unwrap();
    let got: BTreeSet<String> = select(&index, &selector)
        .iter()
        .map(|&r| index.meta(r).label("host").unwrap_or_default().to_string())
        .collect();
    let expected: BTreeSet<String> = (0..5000)
        .map(|i| format!("h{i}"))
        .filter(|h| h.starts_with("h12"))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(label_values(&index, "host", None).len(), 5000);
}
