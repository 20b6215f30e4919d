//! User errors: one clear line on stderr, a non-zero exit, no panic.

use predicates::prelude::*;

use crate::support::Scratch;

fn one_line_error(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr).into_owned();
    assert_eq!(text.lines().count(), 1, "expected one line, got: {text}");
    assert!(text.starts_with("skulk: error: "), "{text}");
    assert!(
        !text.contains("panicked") && !text.contains("RUST_BACKTRACE"),
        "{text}"
    );
    text
}

#[test]
fn a_bad_line_stops_the_import_keeping_what_came_before() {
    let s = Scratch::new();
    let input = s.write(
        "bad.lp",
        "m value=1 1\nm value=2 2\nm value=oops 3\nm value=4 4\n",
    );
    let out = s
        .skulk(&["import", input.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let err = one_line_error(&out.stderr);
    assert!(err.contains("bad.lp: line 3: field \"value\""), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 2 points"));
    let kept = s.ok(&["query", "m", "-f", "csv"]);
    assert_eq!(kept, "series,timestamp_ns,value\nm,1,1.0\nm,2,2.0\n");
}

#[test]
fn skip_bad_counts_and_continues() {
    let s = Scratch::new();
    let input = s.write("bad.csv", "timestamp_ns,value\n1,1\nx,2\n3,3,3,3\n4,4\n");
    let out = s
        .skulk(&["import", input.to_str().unwrap(), "--skip-bad"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("imported 2 points") && stdout.contains("skipped 2 bad line(s)"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 3: timestamp \"x\"") && stderr.contains("line 4:"),
        "{stderr}"
    );
}

#[test]
fn unknown_config_keys_are_one_clear_line() {
    let s = Scratch::new();
    let config = s.write("skulk.toml", "flush_points = 10\nflush_pionts = 3\n");
    let out = s
        .skulk(&["--config", config.to_str().unwrap(), "stats"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = one_line_error(&out.stderr);
    assert!(
        err.contains("skulk.toml") && err.contains("line 2") && err.contains("flush_pionts"),
        "{err}"
    );
}

#[test]
fn an_out_of_range_setting_names_its_key_and_range() {
    let s = Scratch::new();
    let config = s.write("skulk.toml", "compaction_min_files = 20000\n");
    let out = s
        .skulk(&["--config", config.to_str().unwrap(), "stats"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = one_line_error(&out.stderr);
    assert!(
        err.contains("skulk.toml")
            && err.contains("compaction_min_files = 20000 is out of range")
            && err.contains("0 to 10,000"),
        "{err}"
    );
    assert!(!s.data().exists(), "nothing was created");
}

#[test]
fn a_valid_config_is_used() {
    let s = Scratch::new();
    let config = s.write(
        "skulk.toml",
        "partition_duration = \"1s\"\n[wal]\nsync_mode = \"none\"\n",
    );
    let input = s.write(
        "in.lp",
        "m value=1 0\nm value=2 1500000000\nm value=3 2500000000\n",
    );
    s.skulk(&[
        "--config",
        config.to_str().unwrap(),
        "import",
        input.to_str().unwrap(),
    ])
    .assert()
    .success();
    // The directory keeps the configured one-second partitions for good.
    let manifest = crate::support::manifest(&s);
    assert_eq!(
        manifest.partition_duration,
        std::time::Duration::from_secs(1)
    );
    let stats = s.ok(&["stats", "-f", "json"]);
    let stats: serde_json::Value = serde_json::from_str(&stats).unwrap();
    assert_eq!(stats["points_on_disk"], 3);

    // Another partition duration is refused, naming both values.
    let other = s.write("other.toml", "partition_duration = \"1h\"\n");
    let out = s
        .skulk(&["--config", other.to_str().unwrap(), "query", "m"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "a configuration error");
    let err = one_line_error(&out.stderr);
    assert!(
        err.contains("partition_duration") && err.contains("1s") && err.contains("3600s"),
        "{err}"
    );
}

#[test]
fn missing_inputs_and_bad_arguments() {
    let s = Scratch::new();
    let out = s.skulk(&["query", "cpu"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(one_line_error(&out.stderr).contains("does not exist"));

    let out = s
        .skulk(&["import", "/nonexistent/input.lp"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(one_line_error(&out.stderr).contains("/nonexistent/input.lp"));

    std::fs::create_dir_all(s.data()).unwrap();
    let out = s
        .skulk(&["query", "cpu{host=", "--start", "yesterday"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    one_line_error(&out.stderr);

    let out = s
        .skulk(&["query", "cpu", "--start", "not-a-time"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(one_line_error(&out.stderr).contains("not-a-time"));

    let out = s.skulk(&["query", "{host=~\"(\"}"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    one_line_error(&out.stderr);

    s.skulk(&["frobnicate"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("frobnicate"));
    s.skulk(&["--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("import"));
}

#[test]
fn export_to_a_closed_pipe_is_not_a_crash() {
    let s = Scratch::new();
    let lines: String = (0..50_000).map(|i| format!("m value={i} {i}\n")).collect();
    let input = s.write("many.lp", &lines);
    s.ok(&["import", input.to_str().unwrap()]);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("skulk"))
        .arg("--data-dir")
        .arg(s.data())
        .arg("export")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away at once
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn many_bad_lines_are_reported_ten_times_then_counted() {
    let s = Scratch::new();
    let lines: String = (0..15)
        .map(|i| format!("m value=x {i}\nm value={i} {i}\n"))
        .collect();
    let input = s.write("noisy.lp", &lines);
    let out = s
        .skulk(&["import", input.to_str().unwrap(), "--skip-bad"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("skulk: skipped").count(), 10, "{stderr}");
    assert!(stderr.contains("further bad lines are counted"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("imported 15 points") && stdout.contains("skipped 15 bad line(s)"));
}
