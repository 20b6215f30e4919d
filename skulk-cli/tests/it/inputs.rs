//! Import formats and the checks on user input: OpenMetrics and
//! Prometheus text, mapped CSV, gzip, and refused lines, arguments and
//! data directories.

use predicates::prelude::*;

use crate::support::Scratch;

fn stderr_line(out: &std::process::Output) -> String {
    let text = String::from_utf8_lossy(&out.stderr).to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "not one line: {text}");
    assert!(lines[0].starts_with("skulk: error: "), "{text}");
    lines[0].to_string()
}

#[test]
fn openmetrics_and_prometheus_text_import() {
    let s = Scratch::new();
    let om = s.write(
        "m.om",
        "# TYPE rpc histogram\nrpc_bucket{le=\"0.5\"} 3 1700000000.5\n\
         rpc_bucket{le=\"+Inf\"} 4 1700000000.5 # {trace=\"x\"} 1\nrpc_count 4 1700000000.5\n# EOF\n",
    );
    let out = s.ok(&["import", om.to_str().unwrap(), "--no-progress"]);
    assert!(out.contains("imported 3 points of 3 series"), "{out}");
    assert!(out.contains("ignored 1 exemplar(s)"), "{out}");
    let prom = s.write("p.txt", "up{job=\"a\"} 1 1700000000500\n");
    s.ok(&["import", "--format", "prometheus", prom.to_str().unwrap()]);
    let csv = s.ok(&["query", "{le=\"+Inf\"}", "--format", "csv"]);
    assert_eq!(
        csv,
        "series,timestamp_ns,value\n\"rpc_bucket{le=\"\"+Inf\"\"}\",1700000000500000000,4.0\n"
    );
    let up = s.ok(&["query", "up", "--format", "csv"]);
    assert!(up.contains("1700000000500000000,1.0"), "{up}");
}

#[test]
fn a_wide_csv_with_a_mapping() {
    let s = Scratch::new();
    let csv = s.write(
        "weather.csv",
        "when,station,temp,wind\n2024-05-01T00:00:00Z,north,12.5,3\n2024-05-01T01:00:00Z,south,14,\n",
    );
    let out = s.ok(&[
        "import",
        csv.to_str().unwrap(),
        "--time-column",
        "when",
        "--time-format",
        "rfc3339",
        "--label-column",
        "station",
        "--metric",
        "w",
    ]);
    assert!(out.contains("imported 3 points of 3 series"), "{out}");
    let rows = s.ok(&["query", "{station=\"north\"}", "--format", "csv"]);
    assert!(
        rows.contains("w_temp{station=\"\"north\"\"}\",1714521600000000000,12.5"),
        "{rows}"
    );
}

#[test]
fn bad_input_lines_are_refused_with_their_line_number() {
    let s = Scratch::new();
    for (name, text, want) in [
        (
            "dup-tag.lp",
            "cpu,host=a value=1 1\ncpu,host=a,host=b value=1 2\n",
            "line 2: tag key \"host\" appears twice",
        ),
        (
            "dup-field.lp",
            "cpu value=1,value=2 1\n",
            "line 1: field \"value\" appears twice",
        ),
        (
            "huge.lp",
            "cpu value=1 1\n\ncpu value=1e400 2\n",
            "line 3: value \"1e400\" is out of the range of f64",
        ),
        (
            "wide.csv",
            "timestamp_ns,value\n1,2\n1,2,3\n",
            "line 3: the row has 3 columns, the header 2",
        ),
    ] {
        let path = s.write(name, text);
        let out = s
            .skulk(&["import", path.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(4), "{name}");
        let line = stderr_line(&out);
        assert!(line.contains(want), "{name}: {line}");
    }
    let path = s.write(
        "inf.lp",
        "cpu value=inf 1\ncpu value=+Inf 2\ncpu value=-inf 3\n",
    );
    let out = s.ok(&["import", path.to_str().unwrap()]);
    assert!(out.contains("imported 3 points"), "{out}");
}

#[test]
fn an_empty_metric_name_is_refused() {
    let s = Scratch::new();
    let path = s.write("rows.csv", "1,2\n");
    let out = s
        .skulk(&["import", path.to_str().unwrap(), "--metric", ""])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_line(&out).contains("metric name is empty"));
}

#[test]
fn argument_errors_are_one_line_with_a_hint() {
    let s = Scratch::new();
    for args in [
        &["query", "--bogus"][..],
        &["query", "cpu", "--format", "xml"],
        &["frobnicate"],
        &["import", "--batch-size", "0"],
    ] {
        let out = s.skulk(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let line = stderr_line(&out);
        assert!(line.contains("skulk --help"), "{args:?}: {line}");
        assert!(!line.contains("Usage:"), "{line}");
    }
    s.skulk(&["query", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--step"));
}

#[test]
fn a_data_directory_that_is_a_file_is_reported_as_such() {
    let s = Scratch::new();
    std::fs::write(s.data(), b"not a directory").unwrap();
    for args in [&["query", "cpu"][..], &["stats"], &["import", "-"]] {
        let out = s
            .skulk(args)
            .write_stdin("cpu value=1 1\n")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let line = stderr_line(&out);
        assert!(
            line.contains("is a file, not a directory"),
            "{args:?}: {line}"
        );
    }
}
