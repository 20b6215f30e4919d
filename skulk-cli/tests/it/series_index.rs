//! `skulk labels` and `skulk series`: answered from the engine's series
//! index after an import.

use crate::support::Scratch;

fn imported() -> Scratch {
    let s = Scratch::new();
    let input = s.write(
        "in.lp",
        "cpu,host=a,dc=x usage=1 1000\ncpu,host=b,dc=x usage=2 1000\nmem,host=a free=3 1000\ncpu,host=ab,dc=y usage=4 1000\n",
    );
    s.ok(&["import", input.to_str().unwrap()]);
    s
}

#[test]
fn labels_lists_names_and_values() {
    let s = imported();
    assert_eq!(s.ok(&["labels"]), "__name__\ndc\nhost\n");
    assert_eq!(s.ok(&["labels", "--values", "host"]), "a\nab\nb\n");
    assert_eq!(s.ok(&["labels", "mem_free"]), "__name__\nhost\n");
    assert_eq!(
        s.ok(&["labels", "--values", "host", "-m", "dc=x", "-m", "host!=a"]),
        "b\n"
    );
    let json: serde_json::Value =
        serde_json::from_str(&s.ok(&["labels", "--values", "__name__", "-f", "json"])).unwrap();
    assert_eq!(json, serde_json::json!(["cpu_usage", "mem_free"]));
    assert_eq!(s.ok(&["labels", "--values", "nothing"]), "");
    assert_eq!(
        s.ok(&["labels", "-m", "dc=y", "-f", "csv"]),
        "name\n__name__\ndc\nhost\n"
    );
}

#[test]
fn series_lists_keys_counts_and_refuses_bad_regexes() {
    let s = imported();
    // `dc!="y"` accepts the empty value, so it keeps mem_free, which has
    // no `dc` label (Prometheus semantics).
    assert_eq!(
        s.ok(&["series", "-m", "host=~a|b", "-m", "dc!=y"]),
        "cpu_usage{dc=\"x\",host=\"a\"}\ncpu_usage{dc=\"x\",host=\"b\"}\nmem_free{host=\"a\"}\n"
    );
    // Regexes are anchored at both ends: `a` does not pick `ab`.
    assert_eq!(
        s.ok(&["series", "-m", "__name__=~cpu.*", "-m", "host=~a"]),
        "cpu_usage{dc=\"x\",host=\"a\"}\n"
    );
    assert_eq!(s.ok(&["series", "-m", "host=~.*b", "--count"]), "2\n");
    assert_eq!(s.ok(&["series", "-m", "dc="]), "mem_free{host=\"a\"}\n");
    assert_eq!(s.ok(&["series", "--count"]), "4\n");
    assert_eq!(s.ok(&["series", "--limit", "1"]).lines().count(), 1);
    let json: serde_json::Value =
        serde_json::from_str(&s.ok(&["series", "mem_free", "-f", "json"])).unwrap();
    assert_eq!(json[0]["metric"], "mem_free");
    let out = s.skulk(&["series", "-m", "host=~("]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
