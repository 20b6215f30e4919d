//! Series selectors as typed on the command line.
//!
//! `cpu`, `cpu{host="a"}`, `{__name__="cpu",dc!="x"}`, `{host=~"a.*"}`, and
//! `--match host=a` / `--match 'dc!=x'`. Quoted values use the escapes of
//! the series key form (`\"`, `\\`, `\n`, `\t`, `\r`, `\u{..}`), so a key
//! printed by `skulk query` can be pasted back.
//!
//! A label name may be quoted the same way wherever a name is accepted:
//! `{"host name"="a","a=b"!="c"}`, `--match '"host name"=a'`. Series keys
//! quote every name that is not
//! [plain](skulk_format::SeriesMeta::is_plain_label_name). A bare name runs
//! to the first `=` or `!` and is trimmed; it must not be empty or hold
//! `,`, `{`, `}` or `"`. The name `__name__`, bare or quoted, matches the
//! metric name, as in Prometheus; so a series with a label literally named
//! `__name__` has no key that reads back (its key names two metrics and
//! is refused).

use skulk_format::SeriesMeta;

use crate::error::CliError;

/// The label name that stands for the metric name.
pub const METRIC_LABEL: &str = "__name__";

/// How a matcher compares a label's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Equal,
    /// `!=`
    NotEqual,
    /// `=~` (whole-value regular expression)
    Regex,
    /// `!~`
    NotRegex,
}

/// One `name op value` condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matcher {
    /// Label name (`__name__` for the metric).
    pub name: String,
    /// Comparison.
    pub op: Op,
    /// Value or regular expression.
    pub value: String,
}

/// A parsed selector: a list of matchers (the metric name, if given, is a
/// `__name__` equality matcher).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    /// All conditions; empty selects every series.
    pub matchers: Vec<Matcher>,
}

fn bad(input: &str, why: &str) -> CliError {
    CliError::Usage(format!("invalid selector {input:?}: {why}"))
}

impl Selector {
    /// Parses `metric`, `metric{...}` or `{...}`.
    pub fn parse(input: &str) -> Result<Self, CliError> {
        let text = input.trim();
        let (metric, body) = match text.find('{') {
            Some(open) => {
                let inner = text
                    .get(open + 1..)
                    .and_then(|rest| rest.strip_suffix('}'))
                    .ok_or_else(|| bad(input, "missing closing `}`"))?;
                (text.get(..open).unwrap_or_default().trim(), Some(inner))
            }
            None => (text, None),
        };
        let mut matchers = Vec::new();
        if !metric.is_empty() {
            matchers.push(Matcher {
                name: METRIC_LABEL.into(),
                op: Op::Equal,
                value: metric.into(),
            });
        }
        let mut rest = body.unwrap_or_default().trim_start();
        while !rest.is_empty() {
            let (matcher, tail) = parse_matcher(rest).map_err(|why| bad(input, &why))?;
            matchers.push(matcher);
            rest = tail.trim_start();
            rest = match rest.strip_prefix(',') {
                Some(after) => after.trim_start(),
                None if rest.is_empty() => rest,
                None => return Err(bad(input, "expected `,` between matchers")),
            };
        }
        Ok(Self { matchers })
    }

    /// Parses one `--match` argument: `name=value`, `name!=value`,
    /// `name=~regex` or `name!~regex`, the name and the value each unquoted
    /// or quoted.
    pub fn parse_match_arg(arg: &str) -> Result<Matcher, CliError> {
        let bad = |why: &str| CliError::Usage(format!("invalid --match {arg:?}: {why}"));
        let (name, op, value) = split_op(arg).map_err(|why| bad(&why))?;
        let value = value.trim();
        let value = match value.strip_prefix('"') {
            Some(quoted) => {
                let (v, tail) = parse_quoted(quoted).map_err(|why| bad(&why))?;
                if !tail.trim().is_empty() {
                    return Err(bad("text after the closing quote"));
                }
                v
            }
            None => value.to_string(),
        };
        Ok(Matcher { name, op, value })
    }

    /// When the selector names exactly one series (only `=` matchers, a
    /// metric among them), that series.
    pub fn as_exact(&self) -> Option<SeriesMeta> {
        let mut metric = None;
        let mut labels = Vec::new();
        for m in &self.matchers {
            match (m.op, m.name.as_str()) {
                (Op::Equal, METRIC_LABEL) if metric.is_none() => metric = Some(m.value.clone()),
                (Op::Equal, METRIC_LABEL) => return None,
                (Op::Equal, name) => labels.push((name.to_string(), m.value.clone())),
                _ => return None,
            }
        }
        metric.map(|metric| SeriesMeta::new(metric, labels))
    }
}

/// Splits `name op rest`: the name quoted, or bare up to the first
/// operator.
fn split_op(text: &str) -> Result<(String, Op, &str), String> {
    let text = text.trim_start();
    let (name, after) = match text.strip_prefix('"') {
        Some(quoted) => {
            let (name, tail) = parse_quoted(quoted)?;
            (name, tail.trim_start())
        }
        None => {
            let pos = text.find(['=', '!']).ok_or("expected name=\"value\"")?;
            let (name, after) = text.split_at(pos);
            let name = name.trim();
            if name.is_empty() || name.contains([',', '{', '}', '"']) {
                return Err(format!(
                    "label name {name:?} must be quoted (\"name\"=\"value\")"
                ));
            }
            (name.to_string(), after)
        }
    };
    let (op, len) = if after.starts_with("!=") {
        (Op::NotEqual, 2)
    } else if after.starts_with("!~") {
        (Op::NotRegex, 2)
    } else if after.starts_with("=~") {
        (Op::Regex, 2)
    } else if after.starts_with('=') {
        (Op::Equal, 1)
    } else {
        return Err(format!(
            "expected `=`, `!=`, `=~` or `!~` after label name {name:?}"
        ));
    };
    Ok((name, op, after.get(len..).unwrap_or_default()))
}

fn parse_matcher(text: &str) -> Result<(Matcher, &str), String> {
    let (name, op, rest) = split_op(text)?;
    let rest = rest.trim_start();
    let (value, tail) = match rest.strip_prefix('"') {
        Some(quoted) => parse_quoted(quoted)?,
        None => {
            let end = rest.find(',').unwrap_or(rest.len());
            let (value, tail) = rest.split_at(end);
            (value.trim().to_string(), tail)
        }
    };
    Ok((Matcher { name, op, value }, tail))
}

/// Reads a quoted string whose opening quote was consumed; returns the
/// unescaped value and the text after the closing quote.
pub fn parse_quoted(text: &str) -> Result<(String, &str), String> {
    let mut out = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, text.get(i + 1..).unwrap_or_default())),
            '\\' => out.push(unescape_char(&mut chars)?),
            c => out.push(c),
        }
    }
    Err("unterminated quoted value".into())
}

fn unescape_char(chars: &mut std::str::CharIndices<'_>) -> Result<char, String> {
    match chars.next().map(|(_, c)| c) {
        Some('n') => Ok('\n'),
        Some('t') => Ok('\t'),
        Some('r') => Ok('\r'),
        Some('0') => Ok('\0'),
        Some('u') => {
            if chars.next().map(|(_, c)| c) != Some('{') {
                return Err("expected `{` after \\u".into());
            }
            let hex: String = chars
                .by_ref()
                .map(|(_, c)| c)
                .take_while(|&c| c != '}')
                .collect();
            u32::from_str_radix(&hex, 16)
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| format!("bad unicode escape \\u{{{hex}}}"))
        }
        Some(c @ ('"' | '\\' | '\'')) => Ok(c),
        Some(c) => Err(format!("unknown escape \\{c}")),
        None => Err("unterminated quoted value".into()),
    }
}

/// Parses a series key as printed by `SeriesMeta`'s `Display`
/// (`metric{k="v",...}`) back into the series.
pub fn parse_series_key(key: &str) -> Result<SeriesMeta, CliError> {
    let selector = Selector::parse(key)?;
    let metrics = selector
        .matchers
        .iter()
        .filter(|m| m.name == METRIC_LABEL)
        .count();
    if metrics > 1 {
        return Err(bad(
            key,
            "more than one `__name__` (a label named `__name__` cannot be read back)",
        ));
    }
    selector
        .as_exact()
        .ok_or_else(|| bad(key, "a series key needs a metric name and only `=` labels"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(name: &str, op: Op, value: &str) -> Matcher {
        Matcher {
            name: name.into(),
            op,
            value: value.into(),
        }
    }

    #[test]
    fn parses_metric_and_matchers() {
        let s = Selector::parse(r#"cpu{host="a", dc!="x",rack=~"r.*",zone!~z1}"#).unwrap();
        assert_eq!(
            s.matchers,
            vec![
                m(METRIC_LABEL, Op::Equal, "cpu"),
                m("host", Op::Equal, "a"),
                m("dc", Op::NotEqual, "x"),
                m("rack", Op::Regex, "r.*"),
                m("zone", Op::NotRegex, "z1"),
            ]
        );
        assert!(s.as_exact().is_none());
        assert_eq!(Selector::parse("{}").unwrap(), Selector::default());
    }

    #[test]
    fn match_args() {
        assert_eq!(
            Selector::parse_match_arg("host=a").unwrap(),
            m("host", Op::Equal, "a")
        );
        assert_eq!(
            Selector::parse_match_arg("__name__=cpu").unwrap(),
            m(METRIC_LABEL, Op::Equal, "cpu")
        );
        assert_eq!(
            Selector::parse_match_arg("h!=\"a b\"").unwrap(),
            m("h", Op::NotEqual, "a b")
        );
        assert!(Selector::parse_match_arg("nothing").is_err());
    }

    #[test]
    fn errors_are_usage_errors() {
        for bad in [
            "cpu{host=\"a\"",
            "cpu{host}",
            "cpu{host=\"a\" dc=\"b\"}",
            "cpu{a=\"\\q\"}",
        ] {
            assert!(
                matches!(Selector::parse(bad), Err(CliError::Usage(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn quoted_label_names() {
        let s = Selector::parse(r#"cpu{"host name"="a", "a=b"!~"c" ,""=x, "\u{7}q\"" =~ "r"}"#)
            .unwrap();
        assert_eq!(
            s.matchers,
            vec![
                m(METRIC_LABEL, Op::Equal, "cpu"),
                m("host name", Op::Equal, "a"),
                m("a=b", Op::NotRegex, "c"),
                m("", Op::Equal, "x"),
                m("\u{7}q\"", Op::Regex, "r"),
            ]
        );
        assert_eq!(
            Selector::parse_match_arg(r#""a b"=v w"#).unwrap(),
            m("a b", Op::Equal, "v w")
        );
        assert_eq!(
            Selector::parse_match_arg(r#" "{x}" != "y""#).unwrap(),
            m("{x}", Op::NotEqual, "y")
        );
        let quoted_metric = Selector::parse(r#"{"__name__"="cpu"}"#).unwrap();
        assert_eq!(
            quoted_metric.matchers,
            vec![m(METRIC_LABEL, Op::Equal, "cpu")]
        );
    }

    #[test]
    fn keys_with_odd_label_names_parse_back() {
        let labels = [
            "", " ", "a b", "a=b", "a!", "x,y", "{", "}", "\"", "t\tn\n", "\u{0}", "é",
        ]
        .iter()
        .map(|name| (name.to_string(), format!("v{name}")))
        .collect();
        let meta = SeriesMeta::new("cpu", labels);
        assert_eq!(parse_series_key(&meta.to_string()).unwrap(), meta);
    }

    #[test]
    fn a_label_named_like_the_metric_is_refused() {
        // The documented exception: `__name__` always means the metric.
        let meta = SeriesMeta::new("cpu", vec![(METRIC_LABEL.into(), "x".into())]);
        assert_eq!(meta.to_string(), r#"cpu{__name__="x"}"#);
        assert!(matches!(
            parse_series_key(&meta.to_string()),
            Err(CliError::Usage(_))
        ));
    }

    #[test]
    fn bad_label_names_are_usage_errors() {
        for bad in [
            r#"cpu{"a="v"}"#,
            r#"cpu{"a"}"#,
            r#"cpu{"a" "b"="v"}"#,
            r#"cpu{a"b="v"}"#,
            r#"cpu{="v"}"#,
            r#"cpu{"\q"="v"}"#,
        ] {
            assert!(
                matches!(Selector::parse(bad), Err(CliError::Usage(_))),
                "{bad}"
            );
        }
        for bad in [r#""a"#, r#""a"b"#, "\"a\"", r#"=v"#] {
            assert!(Selector::parse_match_arg(bad).is_err(), "{bad}");
        }
    }

    fn any_name() -> impl Strategy<Value = String> {
        prop_oneof!["[a-z_.]{1,8}", "[ =!~,{}\"\\a\t\n]{0,6}", any::<String>(),]
    }

    proptest! {
        #[test]
        fn any_series_key_parses_back(
            metric in any_name(),
            labels in proptest::collection::vec((any_name(), any::<String>()), 0..5),
        ) {
            prop_assume!(labels.iter().all(|(name, _)| name != METRIC_LABEL));
            let meta = SeriesMeta::new(metric, labels);
            let key = meta.to_string();
            prop_assert_eq!(parse_series_key(&key).unwrap(), meta, "{}", key);
        }

        #[test]
        fn printed_keys_parse_back(
            metric in prop_oneof!["[a-z_.]{1,8}", "\\PC{0,8}"],
            labels in proptest::collection::vec(("[a-z]{1,4}", "\\PC{0,6}"), 0..4),
        ) {
            let meta = SeriesMeta::new(metric, labels);
            prop_assert_eq!(parse_series_key(&meta.to_string()).unwrap(), meta);
        }

        #[test]
        fn never_panics(text in "\\PC{0,40}") {
            let _ = Selector::parse(&text);
            let _ = Selector::parse_match_arg(&text);
        }
    }
}
