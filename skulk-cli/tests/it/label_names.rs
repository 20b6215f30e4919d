//! Label names that a series key has to quote survive import and export.

use crate::support::Scratch;

/// Line protocol whose tag keys hold a space, `=`, `,`, `"`, `{`, `!` or
/// surrounding whitespace, all escaped as line protocol allows.
const ODD_TAG_KEYS: &str = concat!(
    "cpu,host\\ name=a,a\\=b=c,k=v value=1 1000\n",
    "cpu,host\\ name=b value=2 2000\n",
    "disk,\\,x\\ =y,say\\ \"hi\"=z used=3 3000\n",
    "net,{if}=eth0,up!=1 value=4 4000\n",
);

#[test]
fn odd_tag_keys_survive_a_csv_export_and_reimport() {
    let s = Scratch::new();
    let input = s.write("odd.lp", ODD_TAG_KEYS);
    s.ok(&["import", input.to_str().unwrap()]);

    let exported = s.ok(&["export", "-f", "csv"]);
    let keys: Vec<&str> = exported
        .lines()
        .skip(1)
        .map(|line| line.rsplitn(3, ',').nth(2).unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            r#""cpu{""a=b""=""c"",""host name""=""a"",k=""v""}""#,
            r#""cpu{""host name""=""b""}""#,
            r#""disk_used{"",x ""=""y"",""say \""hi\""""=""z""}""#,
            r#""net{""up!""=""1"",""{if}""=""eth0""}""#,
        ],
        "{exported}"
    );

    let again = Scratch::new();
    let file = again.write("export.csv", &exported);
    let summary = again.ok(&["import", file.to_str().unwrap()]);
    assert!(
        summary.contains("imported 4 points of 4 series"),
        "{summary}"
    );
    assert_eq!(again.ok(&["export", "-f", "csv"]), exported);
}

#[test]
fn quoted_label_names_select_series() {
    let s = Scratch::new();
    let input = s.write("odd.lp", ODD_TAG_KEYS);
    s.ok(&["import", input.to_str().unwrap()]);

    let by_selector = s.ok(&["query", r#"cpu{"host name"="a"}"#, "-f", "csv"]);
    assert_eq!(by_selector.lines().count(), 2, "{by_selector}");
    assert!(by_selector.ends_with(",1000,1.0\n"), "{by_selector}");

    let by_match = s.ok(&["query", "--match", r#""host name"=~"a|b""#, "-f", "csv"]);
    assert_eq!(by_match.lines().count(), 3, "{by_match}");

    let key = r#"net{"up!"="1","{if}"="eth0"}"#;
    let exact = s.ok(&["query", "--exact", key, "-f", "csv"]);
    assert!(exact.ends_with(",4000,4.0\n"), "{exact}");

    let none = s.ok(&["query", r#"{"host name"="c"}"#, "-f", "csv"]);
    assert_eq!(none.lines().count(), 1, "{none}");
}
