//! `skulk export --format parquet` and `skulk sql`.

use crate::support::{LP, Scratch};

#[test]
fn parquet_export_writes_the_hive_layout() {
    let s = Scratch::new();
    s.ok(&["import", s.write("in.lp", LP).to_str().unwrap()]);
    let out = s.path("parquet");
    let summary = s.ok(&[
        "export",
        "--format",
        "parquet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(summary.starts_with("exported 6 points to "), "{summary}");
    let mut files = Vec::new();
    for metric in std::fs::read_dir(&out).unwrap() {
        let metric = metric.unwrap().path();
        for date in std::fs::read_dir(&metric).unwrap() {
            for part in std::fs::read_dir(date.unwrap().path()).unwrap() {
                files.push(
                    part.unwrap()
                        .path()
                        .strip_prefix(&out)
                        .unwrap()
                        .display()
                        .to_string(),
                );
            }
        }
    }
    files.sort();
    assert!(!files.is_empty());
    for f in &files {
        assert!(f.starts_with("metric="), "{f}");
        assert!(f.contains("/date=") && f.ends_with(".parquet"), "{f}");
    }

    // A second export into the same folder is refused, leaving it alone.
    let again = s
        .skulk(&[
            "export",
            "--format",
            "parquet",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
}

#[test]
fn parquet_export_appends_to_an_earlier_one() {
    let s = Scratch::new();
    s.ok(&["import", s.write("in.lp", LP).to_str().unwrap()]);
    let out = s.path("lake");
    let export = |range: &[&str]| {
        let mut args = vec!["export", "--format", "parquet", "--append", "--out"];
        args.push(out.to_str().unwrap());
        args.extend_from_slice(range);
        let summary = s.ok(&args);
        let points = summary
            .strip_prefix("exported ")
            .and_then(|rest| rest.split(' ').next())
            .unwrap_or_else(|| panic!("{summary}"));
        points.parse::<u64>().unwrap()
    };
    let before = export(&["--end", "3000"]);
    let after = export(&["--start", "3000"]);
    assert!(before > 0 && after > 0, "{before} then {after}");
    assert_eq!(before + after, 6);
    let mut parts: Vec<String> = std::fs::read_dir(out.join("metric=cpu/date=1970-01-01"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    parts.sort();
    assert_eq!(parts, ["part-0.parquet", "part-1.parquet"]);

    // Again: the times are in the folder already, so it is refused.
    let again = s
        .skulk(&[
            "export",
            "--format",
            "parquet",
            "--append",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("appending could write points twice"), "{err}");

    // --append belongs to a Parquet export's folder.
    let out = s.skulk(&["export", "--append"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not provided: --out <DIR>"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn parquet_export_needs_its_folder_and_only_it() {
    let s = Scratch::new();
    s.ok(&["import", s.write("in.lp", LP).to_str().unwrap()]);
    for (args, says) in [
        (vec!["export", "--format", "parquet"], "--out DIR"),
        (
            vec!["export", "--format", "csv", "--out", "x"],
            "--out DIR is the folder",
        ),
        (
            vec![
                "export",
                "--format",
                "parquet",
                "--out",
                "x",
                "--row-group-rows",
                "0",
            ],
            "at least 1",
        ),
    ] {
        let out = s.skulk(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[cfg(feature = "sql")]
mod sql {
    use crate::support::{LP, Scratch};

    fn scratch() -> Scratch {
        let s = Scratch::new();
        s.ok(&["import", s.write("in.lp", LP).to_str().unwrap()]);
        s
    }

    #[test]
    fn sql_prints_a_table_csv_and_json() {
        let s = scratch();
        let table = s.ok(&[
            "sql",
            "SELECT host, count(*) AS n FROM cpu GROUP BY host ORDER BY host",
        ]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(
            lines[0].split_whitespace().collect::<Vec<_>>(),
            ["host", "n"],
            "{table}"
        );
        assert!(lines.last().unwrap().ends_with("rows)"), "{table}");

        let csv = s.ok(&[
            "sql",
            "-f",
            "csv",
            "SELECT host, count(*) AS n FROM cpu GROUP BY host ORDER BY host",
        ]);
        assert_eq!(csv.lines().next(), Some("host,n"), "{csv}");

        let json: serde_json::Value = serde_json::from_str(&s.ok(&[
            "sql",
            "-f",
            "json",
            "SELECT count(*) AS n, sum(value) AS total FROM points",
        ]))
        .unwrap();
        assert_eq!(json[0]["n"], 6, "{json}");

        let ndjson = s.ok(&[
            "sql",
            "-f",
            "ndjson",
            "SELECT time, value FROM points ORDER BY time LIMIT 2",
        ]);
        assert_eq!(ndjson.lines().count(), 2, "{ndjson}");
        let empty = s.ok(&[
            "sql",
            "-f",
            "json",
            "SELECT * FROM cpu WHERE host = 'nobody'",
        ]);
        assert_eq!(empty.trim(), "[]");
    }

    #[test]
    fn bad_sql_is_one_line_and_a_usage_error() {
        let s = scratch();
        for query in ["SELEC 1", "SELECT * FROM nope", "SELECT nope FROM cpu"] {
            let out = s.skulk(&["sql", query]).output().unwrap();
            assert_eq!(out.status.code(), Some(2), "{query}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(err.lines().count(), 1, "{query}: {err}");
            assert!(err.starts_with("skulk: error: "), "{err}");
        }
    }
}
