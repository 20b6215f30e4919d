//! import -> query -> export -> import round trips.

use serde_json::Value;

use crate::support::{LP, Scratch, datasets_dir};

#[test]
fn line_protocol_import_query_and_export_round_trip() {
    let s = Scratch::new();
    let input = s.write("in.lp", LP);
    let out = s
        .skulk(&["import", input.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    // No progress bar when stderr is not a terminal.
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = String::from_utf8(out.stdout).unwrap();
    assert!(
        summary.contains("imported 6 points of 5 series"),
        "{summary}"
    );

    let table = s.ok(&["query", r#"cpu{host="a"}"#]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["series", "timestamp", "value"]
    );
    // host=a matches both cpu{host="a"} and cpu{dc="x 1",host="a"}.
    assert_eq!(lines.len(), 2 + 3, "{table}");
    assert!(table.contains(r#"cpu{host="a"}"#) && table.contains("-0.0"));

    let json: Value =
        serde_json::from_str(&s.ok(&["query", "--match", "host=b", "-f", "json"])).unwrap();
    let series: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["series"].as_str().unwrap())
        .collect();
    assert_eq!(series, [r#"cpu{host="b"}"#, r#"cpu_idle{host="b"}"#]);
    assert_eq!(json[1]["values"][0], 3.0);

    let exact = s.ok(&["query", "--exact", r#"cpu{host="a"}"#, "-f", "csv"]);
    assert_eq!(
        exact,
        "series,timestamp_ns,value\n\"cpu{host=\"\"a\"\"}\",1000,1.5\n\"cpu{host=\"\"a\"\"}\",3000,-0.0\n"
    );

    // Export, import the export elsewhere, export again: identical.
    let exported = s.ok(&["export"]);
    assert_eq!(exported.lines().count(), 6);
    let again = Scratch::new();
    let file = again.write("exported.lp", &exported);
    again.ok(&["import", file.to_str().unwrap()]);
    assert_eq!(again.ok(&["export"]), exported);
    assert!(exported.contains("mem\\,x value=NaN 5000"), "{exported}");
    assert!(exported.contains("value=1e-300 4000"), "{exported}");
}

#[test]
fn csv_import_with_metric_and_labels_then_csv_export_round_trip() {
    let s = Scratch::new();
    let input = s.write(
        "temps.csv",
        "timestamp_ns,value\n10,21.5\n20,21.25\n30,-4.0e-7\n",
    );
    s.ok(&[
        "import",
        input.to_str().unwrap(),
        "--metric",
        "temp",
        "--label",
        "room=kitchen",
    ]);
    let csv = s.ok(&[
        "query",
        "--match",
        "__name__=temp",
        "--match",
        "room=kitchen",
        "-f",
        "csv",
    ]);
    assert_eq!(
        csv,
        "series,timestamp_ns,value\n\"temp{room=\"\"kitchen\"\"}\",10,21.5\n\"temp{room=\"\"kitchen\"\"}\",20,21.25\n\"temp{room=\"\"kitchen\"\"}\",30,-4e-7\n"
    );
    // A time range and an aggregation.
    let agg = s.ok(&[
        "query", "temp", "--start", "15", "--end", "31", "--step", "100ns", "--agg", "count", "-f",
        "csv",
    ]);
    assert!(agg.ends_with(",0,2.0\n"), "{agg}");

    let exported = s.ok(&["export", "-f", "csv"]);
    let again = Scratch::new();
    let file = again.write("export.csv", &exported);
    again.ok(&["import", file.to_str().unwrap()]);
    assert_eq!(again.ok(&["export", "-f", "csv"]), exported);

    // The file-name stem is the default metric.
    let by_stem = Scratch::new();
    let file = by_stem.write("humidity.csv", "1,50\n");
    by_stem.ok(&["import", file.to_str().unwrap()]);
    assert!(by_stem.ok(&["query", "humidity"]).contains("humidity"));
}

#[test]
fn standard_input_is_read_with_an_explicit_format() {
    let s = Scratch::new();
    s.skulk(&["import", "-f", "csv", "--metric", "piped"])
        .write_stdin("1,1\n2,2\n")
        .assert()
        .success();
    assert_eq!(s.ok(&["query", "piped", "-f", "csv"]).lines().count(), 3);
}

#[test]
fn a_real_dataset_round_trips_bit_exactly() {
    let Some(dir) = datasets_dir() else { return };
    let path = dir.join("hotgym_kwh.csv");
    let s = Scratch::new();
    let summary = s.ok(&["import", path.to_str().unwrap()]);
    assert!(
        summary.contains("imported 17,568 points of 1 series"),
        "{summary}"
    );
    let exported = s.ok(&["export", "hotgym_kwh", "-f", "csv"]);
    let original = std::fs::read_to_string(&path).unwrap();
    let original: Vec<&str> = original.lines().skip(1).collect();
    let exported: Vec<String> = exported
        .lines()
        .skip(1)
        .map(|l| l.split_once(',').unwrap().1.to_string())
        .collect();
    assert_eq!(exported.len(), original.len());
    for (got, want) in exported.iter().zip(&original) {
        let (gt, gv) = got.split_once(',').unwrap();
        let (wt, wv) = want.split_once(',').unwrap();
        assert_eq!(gt, wt);
        assert_eq!(
            gv.parse::<f64>().unwrap().to_bits(),
            wv.parse::<f64>().unwrap().to_bits()
        );
    }
}

/// Every special bit pattern survives export -> import -> export, in both
/// text formats, and a query shows NaN payloads by their bits.
#[test]
fn exports_keep_every_bit_pattern() {
    let input = "\
bits value=NaN(0x7ff40000deadbeef) 1
bits value=NaN(0xfff8000000000000) 2
bits value=NaN 3
bits value=-0.0 4
bits value=inf 5
bits value=-inf 6
bits value=5e-324 7
bits value=1.7976931348623157e308 8
";
    let s = Scratch::new();
    let file = s.write("bits.lp", input);
    s.ok(&["import", file.to_str().unwrap()]);
    let exported = s.ok(&["export"]);
    assert_eq!(exported, input);
    let query = s.ok(&["query", "bits", "-f", "csv"]);
    assert!(query.contains(",1,NaN(0x7ff40000deadbeef)\n"), "{query}");

    for format in ["lp", "csv"] {
        let text = s.ok(&["export", "-f", format]);
        let again = Scratch::new();
        let file = again.write(&format!("bits.{format}"), &text);
        again.ok(&["import", file.to_str().unwrap()]);
        assert_eq!(again.ok(&["export"]), exported, "through {format}");
    }
}

/// Export reads one partition at a time: a series spanning several
/// partitions still comes out whole and in time order, cut to the range.
#[test]
fn export_spans_partitions_in_time_order() {
    const DAY: i64 = 86_400_000_000_000;
    let mut input = String::new();
    for i in 0..10i64 {
        // Half a day apart, written newest first.
        let ts = (9 - i) * DAY / 2 + 7;
        input.push_str(&format!("m,k=v value={i} {ts}\n"));
    }
    let s = Scratch::new();
    let file = s.write("days.lp", &input);
    s.ok(&["import", file.to_str().unwrap()]);
    let exported = s.ok(&["export", "-f", "csv"]);
    let times: Vec<i64> = exported
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    let expected: Vec<i64> = (0..10).map(|i| i * DAY / 2 + 7).collect();
    assert_eq!(times, expected);

    let start = (DAY + 7).to_string();
    let end = (3 * DAY + 7).to_string();
    let cut = s.ok(&["export", "--start", &start, "--end", &end]);
    let cut_times: Vec<&str> = cut.lines().map(|l| l.rsplit(' ').next().unwrap()).collect();
    let expected: Vec<String> = (2..6).map(|i| (i * DAY / 2 + 7).to_string()).collect();
    assert_eq!(cut_times, expected);
}
