//! Report, logging, shell completions and manual pages.

use predicates::prelude::*;

use crate::support::Scratch;

fn fleet(s: &Scratch) {
    let lp = s.write(
        "f.lp",
        "cpu,host=a,dc=x value=1 1\ncpu,host=b,dc=x value=2 1\ncpu,host=c,dc=y value=2 1\nmem,host=a value=3 1\n",
    );
    s.ok(&["import", lp.to_str().unwrap()]);
}

#[test]
fn report_counts_cardinality() {
    let s = Scratch::new();
    fleet(&s);
    let json: serde_json::Value =
        serde_json::from_str(&s.ok(&["report", "--format", "json", "--top", "1"])).unwrap();
    assert_eq!(json["series"], 4);
    assert_eq!(
        json["top_metrics"],
        serde_json::json!([{"metric": "cpu", "series": 3}])
    );
    assert_eq!(
        json["top_labels"],
        serde_json::json!([{"label": "host", "values": 3, "series": 4}])
    );
    assert_eq!(json["top_label_pairs"][0]["series"], 2);
    let table = s.ok(&["report", "{dc=\"x\"}"]);
    assert!(
        table.starts_with("2 series, 1 metrics, 2 label names, 3 label pairs"),
        "{table}"
    );
}

#[test]
fn verbose_logs_to_stderr_and_rust_log_takes_precedence() {
    let s = Scratch::new();
    fleet(&s);
    s.skulk(&["stats", "-v"])
        .env_remove("RUST_LOG")
        .assert()
        .success()
        .stderr(predicate::str::contains("done").and(predicate::str::contains("stats")));
    s.skulk(&["stats"])
        .assert()
        .success()
        .stderr(predicate::str::is_empty());
    s.skulk(&["export"])
        .env("RUST_LOG", "skulk_cli=debug")
        .assert()
        .success()
        .stderr(predicate::str::contains("partition read"));
}

#[test]
fn completions_and_man_pages() {
    let s = Scratch::new();
    s.skulk(&["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("_skulk()").and(predicate::str::contains("import")));
    s.skulk(&["completions", "zsh"])
        .assert()
        .success()
        .stdout(predicate::str::contains("#compdef skulk"));
    s.skulk(&["man"])
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH skulk 1"));
    let dir = s.path("man");
    s.ok(&["man", "--dir", dir.to_str().unwrap()]);
    assert!(dir.join("skulk.1").is_file());
    assert!(dir.join("skulk-import.1").is_file());
}
