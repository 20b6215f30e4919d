use super::*;

const NOW: i64 = 1_700_000_000_000_000_000;

fn parse_all(
    dialect: Dialect,
    text: &str,
) -> (Vec<DataPoint>, Vec<(usize, LineErrorKind)>, Ignored) {
    let mut parser = OpenMetricsParser::new(dialect, NOW);
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Err(e) = parser.parse_line(line, &mut out) {
            errors.push((i + 1, e));
        }
    }
    (out, errors, parser.ignored())
}

fn keys(points: &[DataPoint]) -> Vec<String> {
    points
        .iter()
        .map(|p| format!("{} {} {:?}", p.series, p.timestamp, p.value))
        .collect()
}

#[test]
fn counters_gauges_histograms_and_summaries() {
    let text = r#"# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9
metric_without_timestamp_and_labels 12.47
something_weird{problem="division by zero"} +Inf -3982045
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.99",} 76656
"#;
    let (points, errors, _) = parse_all(Dialect::Prometheus, text);
    assert_eq!(errors, vec![]);
    assert_eq!(points.len(), 10);
    assert_eq!(
        points[0].series.to_string(),
        r#"http_requests_total{code="200",method="post"}"#
    );
    assert_eq!(points[0].timestamp, 1_395_066_363_000_000_000);
    assert_eq!(points[2].series.label("path"), Some(r"C:\DIR\FILE.TXT"));
    assert_eq!(
        points[2].series.label("error"),
        Some("Cannot find file:\n\"FILE.TXT\"")
    );
    assert_eq!(points[2].timestamp, NOW);
    assert_eq!(
        (points[4].value, points[4].timestamp),
        (f64::INFINITY, -3_982_045_000_000)
    );
    assert_eq!(points[6].series.label("le"), Some("+Inf"));
    assert_eq!(points[9].series.label("quantile"), Some("0.99"));
}

#[test]
fn openmetrics_seconds_exemplars_and_eof() {
    let text = "# TYPE foo counter\nfoo_total 17.0 1520879607.789 # {trace_id=\"KOO5S4vxi0o\"} 0.67\n\
                foo_created 1520872607.123\nfoo_total 1 -0.5\n# EOF\n";
    let (points, errors, ignored) = parse_all(Dialect::OpenMetrics, text);
    assert_eq!(errors, vec![]);
    assert_eq!(
        keys(&points),
        vec![
            "foo_total 1520879607789000000 17.0".to_string(),
            format!("foo_created {NOW} 1520872607.123"),
            "foo_total -500000000 1.0".to_string(),
        ]
    );
    assert_eq!(ignored.exemplars, 1);
    let (_, errors, _) = parse_all(Dialect::OpenMetrics, "# EOF\nfoo 1\n\n");
    assert_eq!(errors, vec![(2, LineErrorKind::AfterEof)]);
}

#[test]
fn exact_seconds() {
    assert_eq!(seconds_to_ns("1.000000001"), Some(1_000_000_001));
    assert_eq!(seconds_to_ns("-0.1"), Some(-100_000_000));
    assert_eq!(seconds_to_ns(".5"), Some(500_000_000));
    assert_eq!(seconds_to_ns("1.0000000010"), Some(1_000_000_001));
    for bad in ["1.0000000001", "1e3", "", ".", "1.2.3", "9223372037"] {
        assert_eq!(seconds_to_ns(bad), None, "{bad}");
    }
}

#[test]
fn bad_lines_say_why() {
    let cases = [
        ("foo", LineErrorKind::MissingValue),
        ("foo abc", LineErrorKind::BadValue("abc".into())),
        ("foo 1e400", LineErrorKind::ValueOutOfRange("1e400".into())),
        ("foo 1 2 3", LineErrorKind::TrailingText("3".into())),
        ("foo 1 x", LineErrorKind::BadTimestamp("x".into())),
        ("1foo 1", LineErrorKind::BadMetricName("1foo".into())),
        ("{a=\"b\"} 1", LineErrorKind::EmptyMeasurement),
        (
            r#"foo{a="1",a="2"} 1"#,
            LineErrorKind::DuplicateTag { key: "a".into() },
        ),
    ];
    for (line, want) in cases {
        let (points, errors, _) = parse_all(Dialect::Prometheus, line);
        assert!(points.is_empty(), "{line}");
        assert_eq!(errors, vec![(1, want)], "{line}");
    }
    for line in [
        r#"foo{a="1" 1"#,
        r#"foo{a=1} 1"#,
        r#"foo{a="\q"} 1"#,
        r#"foo{a="1" b="2"} 1"#,
        "foo{1a=\"x\"} 1",
    ] {
        let (_, errors, _) = parse_all(Dialect::Prometheus, line);
        assert!(
            matches!(errors.as_slice(), [(1, LineErrorKind::BadLabels(_))]),
            "{line}: {errors:?}"
        );
    }
}
