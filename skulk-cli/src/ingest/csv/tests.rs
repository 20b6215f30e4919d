use super::*;

fn read(text: &str, options: CsvOptions) -> (Vec<DataPoint>, Vec<LineError>) {
    let mut reader = CsvReader::new(text.as_bytes(), options, 1 << 20);
    let mut out = Vec::new();
    let mut errors = Vec::new();
    while let Some(result) = reader.next_record(&mut out).unwrap() {
        if let Err(e) = result {
            errors.push(e);
        }
    }
    (out, errors)
}

fn plain() -> CsvOptions {
    CsvOptions {
        metric: Some("temp".into()),
        ..CsvOptions::default()
    }
}

fn mapped(mapping: CsvMapping) -> CsvOptions {
    CsvOptions {
        mapping: Some(mapping),
        ..CsvOptions::default()
    }
}

#[test]
fn parses_rows_and_skips_the_header() {
    let (out, errors) = read("timestamp_ns,value\n10, 1.25\n\"11\",\"NaN\"\n\n", plain());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(out.len(), 2);
    assert_eq!((out[0].timestamp, out[0].value), (10, 1.25));
    assert!(out[1].value.is_nan());
    assert_eq!(out[0].series.metric(), "temp");
}

#[test]
fn three_columns_carry_the_series_key() {
    let text = "series,timestamp_ns,value\n\"cpu{host=\"\"a,b\"\"}\",5,2.5\n\"cpu{host=\"\"a,b\"\"}\",6,3.5\n";
    let (out, errors) = read(text, CsvOptions::default());
    assert!(errors.is_empty());
    assert_eq!(out[0].series.label("host"), Some("a,b"));
    assert!(Arc::ptr_eq(&out[0].series, &out[1].series));
    let (_, errors) = read("7,1\n", CsvOptions::default());
    assert_eq!(errors[0].kind, LineErrorKind::MissingMetric);
    let (_, errors) = read("cpu{host,1,2\n", CsvOptions::default());
    assert!(matches!(errors[0].kind, LineErrorKind::BadSeriesKey(_)));
    let (_, errors) = read("{__name__=\"\"},1,2\n", CsvOptions::default());
    assert_eq!(errors[0].kind, LineErrorKind::EmptyMeasurement);
}

#[test]
fn a_row_wider_than_its_header_is_refused_with_its_line() {
    let (out, errors) = read("timestamp_ns,value\n1,2\n1,2,3\n4,5\n", plain());
    assert_eq!(out.len(), 2);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, 3);
    assert_eq!(
        errors[0].kind,
        LineErrorKind::RowLength {
            found: 3,
            expected: 2
        }
    );
}

#[test]
fn refuses_bad_rows() {
    let (out, errors) = read("1,2,3,4\n1\nx,1\n1,x\n1,1e400\n", plain());
    assert!(out.is_empty());
    let kinds: Vec<LineErrorKind> = errors.into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds[0], LineErrorKind::ColumnCount { found: 4 });
    assert_eq!(kinds[1], LineErrorKind::ColumnCount { found: 1 });
    assert!(matches!(kinds[2], LineErrorKind::BadTimestamp(_)));
    assert!(matches!(kinds[3], LineErrorKind::BadValue(_)));
    assert!(matches!(kinds[4], LineErrorKind::ValueOutOfRange(_)));
}

#[test]
fn a_wide_csv_gives_one_series_per_value_column() {
    let text = "time,host,temp,humidity,note\n\
                2024-05-01T00:00:00Z,a,20.5,40,x\n\
                2024-05-01T00:01:00Z,b,21,,y\n";
    let options = CsvOptions {
        metric: Some("room".into()),
        labels: vec![("site".into(), "z".into())],
        ..mapped(CsvMapping {
            time_column: Some("time".into()),
            time_format: TimeFormat::Rfc3339,
            label_columns: vec!["host".into(), "note".into()],
            value_columns: vec![],
        })
    };
    let (out, errors) = read(text, options);
    assert!(errors.is_empty(), "{errors:?}");
    let got: Vec<String> = out
        .iter()
        .map(|p| format!("{} {} {}", p.series, p.timestamp, p.value))
        .collect();
    assert_eq!(
        got,
        vec![
            r#"room_temp{host="a",note="x",site="z"} 1714521600000000000 20.5"#,
            r#"room_humidity{host="a",note="x",site="z"} 1714521600000000000 40"#,
            r#"room_temp{host="b",note="y",site="z"} 1714521660000000000 21"#,
        ]
    );
}

#[test]
fn epoch_units_and_named_columns() {
    let text = "value,ts_ms\n1.5,1700000000123\n";
    let options = mapped(CsvMapping {
        time_column: Some("ts_ms".into()),
        time_format: TimeFormat::Epoch(Precision::Milliseconds),
        ..CsvMapping::default()
    });
    let (out, errors) = read(text, options);
    assert!(errors.is_empty());
    assert_eq!(out[0].series.metric(), "value");
    assert_eq!(out[0].timestamp, 1_700_000_000_123_000_000);
    let missing = mapped(CsvMapping {
        time_column: Some("when".into()),
        ..CsvMapping::default()
    });
    let (_, errors) = read(text, missing);
    assert_eq!(errors[0].kind, LineErrorKind::MissingColumn("when".into()));
}

#[test]
fn shortest_decimal_values_round_trip_exactly() {
    let values = [
        0.1,
        -3.485,
        4.186662803811,
        f64::MAX,
        f64::MIN_POSITIVE,
        -0.0,
    ];
    let text: String = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{i},{}\n", crate::value_text::format_value(*v)))
        .collect();
    let (out, errors) = read(&text, plain());
    assert!(errors.is_empty());
    let got: Vec<u64> = out.iter().map(|p| p.value.to_bits()).collect();
    let expected: Vec<u64> = values.iter().map(|v| v.to_bits()).collect();
    assert_eq!(got, expected);
}

#[test]
fn an_endless_record_stops_the_input() {
    let text = format!("1,\"{}", "x".repeat(100_000));
    let mut reader = CsvReader::new(text.as_bytes(), plain(), 10_000);
    let mut out = Vec::new();
    assert!(reader.next_record(&mut out).is_err());
}
