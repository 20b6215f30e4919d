//! Query and export outputs: grouped window queries, NDJSON, gzip.

use std::io::Read;

use crate::support::Scratch;

fn gunzip(bytes: &[u8]) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .unwrap();
    text
}

fn fleet(s: &Scratch) {
    let lp = s.write(
        "fleet.lp",
        "req,host=a,dc=x value=1 0\nreq,host=a,dc=x value=4 10\nreq,host=b,dc=x value=10 0\n\
         req,host=b,dc=x value=2 10\nreq,host=c,dc=y value=5 30\n",
    );
    s.ok(&["import", lp.to_str().unwrap()]);
}

#[test]
fn grouped_windows_rate_and_fill() {
    let s = Scratch::new();
    fleet(&s);
    let sum = s.ok(&[
        "query", "req", "--step", "10ns", "--agg", "sum", "--by", "dc", "--format", "csv",
    ]);
    assert_eq!(
        sum,
        "series,timestamp_ns,value\n\"{__name__=\"\"\"\",dc=\"\"x\"\"}\",0,11.0\n\
         \"{__name__=\"\"\"\",dc=\"\"x\"\"}\",10,6.0\n\"{__name__=\"\"\"\",dc=\"\"y\"\"}\",30,5.0\n"
    );
    // b went 10 -> 2: a counter reset, so it grew by 2; a grew by 3.
    let inc = s.ok(&[
        "query",
        "req",
        "--step",
        "10ns",
        "--agg",
        "increase",
        "--without",
        "host",
        "--format",
        "csv",
    ]);
    assert!(inc.ends_with("\"req{dc=\"\"x\"\"}\",10,5.0\n"), "{inc}");
    let filled = s.ok(&[
        "query",
        "req{host=\"c\"}",
        "--step",
        "10ns",
        "--agg",
        "max",
        "--fill",
        "previous",
        "--start",
        "0",
        "--end",
        "50",
        "--format",
        "csv",
    ]);
    assert!(
        filled.ends_with(",30,5.0\n\"req{dc=\"\"y\"\",host=\"\"c\"\"}\",40,5.0\n"),
        "{filled}"
    );
    let p99 = s.ok(&[
        "query",
        "req",
        "--step",
        "1h",
        "--agg",
        "quantile(0.5)",
        "--by",
        "",
        "--format",
        "csv",
    ]);
    assert!(p99.ends_with(",0,4.0\n"), "{p99}");
}

#[test]
fn ndjson_and_gzip_outputs() {
    let s = Scratch::new();
    fleet(&s);
    let ndjson = s.ok(&["query", "req{host=\"a\"}", "--format", "ndjson"]);
    let first: serde_json::Value = serde_json::from_str(ndjson.lines().next().unwrap()).unwrap();
    assert_eq!(first["labels"]["dc"], "x");
    assert_eq!(
        (first["timestamp"].clone(), first["value"].clone()),
        (0.into(), 1.0.into())
    );
    let gz = s
        .skulk(&["query", "req", "--format", "lp", "--compress"])
        .output()
        .unwrap();
    assert!(gz.status.success());
    assert_eq!(
        gunzip(&gz.stdout),
        s.ok(&["query", "req", "--format", "lp"])
    );

    let file = s.path("all.lp.gz");
    s.ok(&["export", "--output", file.to_str().unwrap()]);
    let exported = gunzip(&std::fs::read(&file).unwrap());
    assert_eq!(exported.lines().count(), 5);
    let other = Scratch::new();
    other.ok(&["import", file.to_str().unwrap()]);
    assert_eq!(other.ok(&["export"]), exported);
    let nd = s.ok(&["export", "--format", "ndjson"]);
    assert_eq!(nd.lines().count(), 5);
}
