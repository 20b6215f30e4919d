use proptest::prelude::*;

use super::*;

fn m(name: &str, op: MatchOp, value: &str) -> LabelMatcher {
    LabelMatcher::new(name, op, value)
}

fn matchers(text: &str) -> Vec<LabelMatcher> {
    match SeriesSelector::parse(text).unwrap() {
        SeriesSelector::Matchers(ms) => ms,
        SeriesSelector::Exact(_) => panic!("parse gave an exact selector"),
    }
}

fn is_invalid<T: fmt::Debug>(result: Result<T>) -> bool {
    matches!(result, Err(EngineError::InvalidSelector { .. }))
}

#[test]
fn parses_metric_and_matchers() {
    let s = SeriesSelector::parse(r#"cpu{host="a", dc!="x",rack=~"r.*",zone!~z1}"#).unwrap();
    assert_eq!(
        s,
        SeriesSelector::Matchers(vec![
            m(METRIC_LABEL, MatchOp::Equal, "cpu"),
            m("host", MatchOp::Equal, "a"),
            m("dc", MatchOp::NotEqual, "x"),
            m("rack", MatchOp::Regex, "r.*"),
            m("zone", MatchOp::NotRegex, "z1"),
        ])
    );
    assert!(s.as_exact().is_none());
    assert_eq!(matchers("{}"), vec![]);
    assert_eq!(
        "cpu".parse::<SeriesSelector>().unwrap(),
        SeriesSelector::metric("cpu")
    );
}

#[test]
fn single_matchers() {
    assert_eq!(
        LabelMatcher::parse("host=a").unwrap(),
        m("host", MatchOp::Equal, "a")
    );
    assert_eq!(
        "__name__=cpu".parse::<LabelMatcher>().unwrap(),
        m(METRIC_LABEL, MatchOp::Equal, "cpu")
    );
    assert_eq!(
        LabelMatcher::parse("h!=\"a b\"").unwrap(),
        m("h", MatchOp::NotEqual, "a b")
    );
    assert!(is_invalid(LabelMatcher::parse("nothing")));
}

#[test]
fn errors_say_what_is_invalid() {
    for bad in [
        "cpu{host=\"a\"",
        "cpu{host}",
        "cpu{host=\"a\" dc=\"b\"}",
        "cpu{a=\"\\q\"}",
    ] {
        let err = SeriesSelector::parse(bad).unwrap_err();
        assert!(err.to_string().starts_with("invalid selector "), "{err}");
    }
}

#[test]
fn quoted_label_names() {
    assert_eq!(
        matchers(r#"cpu{"host name"="a", "a=b"!~"c" ,""=x, "\u{7}q\"" =~ "r"}"#),
        vec![
            m(METRIC_LABEL, MatchOp::Equal, "cpu"),
            m("host name", MatchOp::Equal, "a"),
            m("a=b", MatchOp::NotRegex, "c"),
            m("", MatchOp::Equal, "x"),
            m("\u{7}q\"", MatchOp::Regex, "r"),
        ]
    );
    assert_eq!(
        LabelMatcher::parse(r#""a b"=v w"#).unwrap(),
        m("a b", MatchOp::Equal, "v w")
    );
    assert_eq!(
        LabelMatcher::parse(r#" "{x}" != "y""#).unwrap(),
        m("{x}", MatchOp::NotEqual, "y")
    );
    assert_eq!(
        matchers(r#"{"__name__"="cpu"}"#),
        vec![m(METRIC_LABEL, MatchOp::Equal, "cpu")]
    );
}

#[test]
fn keys_with_odd_label_names_parse_back() {
    let labels = [
        "", " ", "a b", "a=b", "a!", "x,y", "{", "}", "\"", "t\tn\n", "\u{0}", "é",
    ]
    .iter()
    .map(|name| (name.to_string(), format!("v{name}")))
    .collect();
    let meta = SeriesMeta::new("cpu", labels);
    assert_eq!(parse_series_key(&meta.to_string()).unwrap(), meta);
}

#[test]
fn a_label_named_like_the_metric_is_refused() {
    // The documented exception: `__name__` always means the metric.
    let meta = SeriesMeta::new("cpu", vec![(METRIC_LABEL.into(), "x".into())]);
    assert_eq!(meta.to_string(), r#"cpu{__name__="x"}"#);
    let err = parse_series_key(&meta.to_string()).unwrap_err();
    assert!(err.to_string().starts_with("invalid series key "), "{err}");
}

#[test]
fn bad_label_names_are_refused() {
    for bad in [
        r#"cpu{"a="v"}"#,
        r#"cpu{"a"}"#,
        r#"cpu{"a" "b"="v"}"#,
        r#"cpu{a"b="v"}"#,
        r#"cpu{="v"}"#,
        r#"cpu{"\q"="v"}"#,
    ] {
        assert!(is_invalid(SeriesSelector::parse(bad)), "{bad}");
    }
    for bad in [r#""a"#, r#""a"b"#, "\"a\"", r#"=v"#] {
        assert!(is_invalid(LabelMatcher::parse(bad)), "{bad}");
    }
}

#[test]
fn display_escapes_quotes_and_backslashes() {
    let selector = SeriesSelector::parse(r#"{a="x\"y\\z"}"#).unwrap();
    assert_eq!(selector.to_string(), r#"{a="x\"y\\z"}"#);
    let selector = SeriesSelector::parse(r#"{"a b\\"=~"v"}"#).unwrap();
    assert_eq!(selector.to_string(), r#"{"a b\\"=~"v"}"#);
}

fn any_name() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z_.]{1,8}", "[ =!~,{}\"\\a\t\n]{0,6}", any::<String>(),]
}

proptest! {
    #[test]
    fn any_series_key_parses_back(
        metric in any_name(),
        labels in proptest::collection::vec((any_name(), any::<String>()), 0..5),
    ) {
        prop_assume!(labels.iter().all(|(name, _)| name != METRIC_LABEL));
        let meta = SeriesMeta::new(metric, labels);
        let key = meta.to_string();
        prop_assert_eq!(parse_series_key(&key).unwrap(), meta, "{}", key);
    }

    #[test]
    fn printed_selectors_parse_back(
        ms in proptest::collection::vec((any_name(), 0..4u8, any::<String>()), 0..4),
    ) {
        let ops = [MatchOp::Equal, MatchOp::NotEqual, MatchOp::Regex, MatchOp::NotRegex];
        let selector = SeriesSelector::Matchers(
            ms.into_iter().map(|(n, op, v)| m(&n, ops[usize::from(op)], &v)).collect(),
        );
        prop_assert_eq!(SeriesSelector::parse(&selector.to_string()).unwrap(), selector);
    }

    #[test]
    fn never_panics(text in "\\PC{0,40}") {
        let _ = SeriesSelector::parse(&text);
        let _ = LabelMatcher::parse(&text);
        let _ = parse_series_key(&text);
    }
}
