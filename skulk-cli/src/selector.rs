//! Series selectors as typed on the command line.
//!
//! `cpu`, `cpu{host="a"}`, `{__name__="cpu",dc!="x"}`, `{host=~"a.*"}`, and
//! `--match host=a` / `--match 'dc!=x'`. Quoted values use the escapes of
//! the series key form (`\"`, `\\`, `\n`, `\t`, `\r`, `\u{..}`), so a key
//! printed by `skulk query` can be pasted back.

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
    /// `name=~regex` or `name!~regex`, the value unquoted or quoted.
    pub fn parse_match_arg(arg: &str) -> Result<Matcher, CliError> {
        let bad = |why: &str| CliError::Usage(format!("invalid --match {arg:?}: {why}"));
        let (name, op, value) = split_op(arg).ok_or_else(|| bad("expected name=value"))?;
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
        Ok(Matcher {
            name: name.to_string(),
            op,
            value,
        })
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

/// Splits `name op rest` at the first operator.
fn split_op(text: &str) -> Option<(&str, Op, &str)> {
    let pos = text.find(['=', '!'])?;
    let name = text.get(..pos)?.trim();
    let after = text.get(pos..)?;
    let (op, len) = if after.starts_with("!=") {
        (Op::NotEqual, 2)
    } else if after.starts_with("!~") {
        (Op::NotRegex, 2)
    } else if after.starts_with("=~") {
        (Op::Regex, 2)
    } else if after.starts_with('=') {
        (Op::Equal, 1)
    } else {
        return None;
    };
    if name.is_empty() || name.contains([',', '{', '}', '"']) {
        return None;
    }
    Some((name, op, after.get(len..)?))
}

fn parse_matcher(text: &str) -> Result<(Matcher, &str), String> {
    let (name, op, rest) = split_op(text).ok_or("expected name=\"value\"")?;
    let rest = rest.trim_start();
    let (value, tail) = match rest.strip_prefix('"') {
        Some(quoted) => parse_quoted(quoted)?,
        None => {
            let end = rest.find(',').unwrap_or(rest.len());
            let (value, tail) = rest.split_at(end);
            (value.trim().to_string(), tail)
        }
    };
    Ok((
        Matcher {
            name: name.to_string(),
            op,
            value,
        },
        tail,
    ))
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

    proptest! {
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
