//! The text form of selectors, matchers and series keys.
//!
//! `cpu`, `cpu{host="a"}`, `{__name__="cpu",dc!="x"}`, `{host=~"a.*"}`;
//! one matcher alone (`host=a`, `dc!="x y"`) as [`LabelMatcher::parse`]
//! reads it; and series keys as `SeriesMeta`'s `Display` prints them
//! ([`parse_series_key`]). Quoted values use the escapes of the series key
//! form (`\"`, `\\`, `\n`, `\t`, `\r`, `\0`, `\u{..}`), so a printed key
//! can be pasted back.
//!
//! A label name may be quoted the same way wherever a name is accepted:
//! `{"host name"="a","a=b"!="c"}`. Series keys quote every name that is
//! not [plain](SeriesMeta::is_plain_label_name). A bare name runs to the
//! first `=` or `!` and is trimmed; it must not be empty or hold `,`, `{`,
//! `}` or `"`. The name `__name__`, bare or quoted, matches the metric
//! name, as in Prometheus; so a series with a label literally named
//! `__name__` has no key that reads back (its key names two metrics and
//! is refused).

use std::fmt;
use std::str::FromStr;

use skulk_format::SeriesMeta;

use super::{LabelMatcher, METRIC_LABEL, MatchOp, SeriesSelector};
use crate::{EngineError, Result};

fn invalid(what: &'static str, input: &str, reason: impl Into<String>) -> EngineError {
    EngineError::InvalidSelector {
        what,
        input: input.to_string(),
        reason: reason.into(),
    }
}

impl SeriesSelector {
    /// Parses `metric`, `metric{matchers}` or `{matchers}` (`{}` or an
    /// empty text selects every series) into [`SeriesSelector::Matchers`],
    /// the metric first as a `__name__` equality matcher. A bad text is an
    /// [`EngineError::InvalidSelector`] saying what is wrong.
    ///
    /// ```
    /// use skulk_engine::{LabelMatcher, SeriesMeta, SeriesSelector};
    ///
    /// let selector = SeriesSelector::parse(r#"cpu{host=~"web-.*",dc!="x"}"#)?;
    /// let expected = SeriesSelector::Matchers(vec![
    ///     LabelMatcher::equal("__name__", "cpu"),
    ///     LabelMatcher::regex("host", "web-.*"),
    ///     LabelMatcher::not_equal("dc", "x"),
    /// ]);
    /// assert_eq!(selector, expected);
    /// let exact = SeriesMeta::new("cpu", vec![("host".into(), "a".into())]);
    /// assert_eq!(SeriesSelector::parse(r#"cpu{host="a"}"#)?.as_exact(), Some(exact));
    /// assert!(SeriesSelector::parse("cpu{host=").is_err());
    /// # Ok::<(), skulk_engine::EngineError>(())
    /// ```
    pub fn parse(input: &str) -> Result<Self> {
        let bad = |why: &str| invalid("selector", input, why);
        let text = input.trim();
        let (metric, body) = match text.find('{') {
            Some(open) => {
                let inner = text
                    .get(open + 1..)
                    .and_then(|rest| rest.strip_suffix('}'))
                    .ok_or_else(|| bad("missing closing `}`"))?;
                (text.get(..open).unwrap_or_default().trim(), Some(inner))
            }
            None => (text, None),
        };
        let mut matchers = Vec::new();
        if !metric.is_empty() {
            matchers.push(LabelMatcher::equal(METRIC_LABEL, metric));
        }
        let mut rest = body.unwrap_or_default().trim_start();
        while !rest.is_empty() {
            let (matcher, tail) = parse_matcher(rest).map_err(|why| bad(&why))?;
            matchers.push(matcher);
            rest = tail.trim_start();
            rest = match rest.strip_prefix(',') {
                Some(after) => after.trim_start(),
                None if rest.is_empty() => rest,
                None => return Err(bad("expected `,` between matchers")),
            };
        }
        Ok(Self::Matchers(matchers))
    }

    /// When the selector names exactly one series (an exact selector, or
    /// only `=` matchers with exactly one metric among them), that series.
    pub fn as_exact(&self) -> Option<SeriesMeta> {
        let matchers = match self {
            Self::Exact(meta) => return Some(meta.clone()),
            Self::Matchers(matchers) => matchers,
        };
        let mut metric = None;
        let mut labels = Vec::new();
        for m in matchers {
            match (m.op, m.name.as_str()) {
                (MatchOp::Equal, METRIC_LABEL) if metric.is_none() => {
                    metric = Some(m.value.clone());
                }
                (MatchOp::Equal, METRIC_LABEL) => return None,
                (MatchOp::Equal, name) => labels.push((name.to_string(), m.value.clone())),
                _ => return None,
            }
        }
        metric.map(|metric| SeriesMeta::new(metric, labels))
    }
}

impl FromStr for SeriesSelector {
    type Err = EngineError;

    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

/// Writes matchers as `{name op "value", ...}` (every value quoted) and an
/// exact selector as its series key; both parse back to the same selector
/// with [`SeriesSelector::parse`] (an exact one as the matchers of its key).
impl fmt::Display for SeriesSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact(meta) => write!(f, "{meta}"),
            Self::Matchers(matchers) => {
                f.write_str("{")?;
                for (i, m) in matchers.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{m}")?;
                }
                f.write_str("}")
            }
        }
    }
}

impl LabelMatcher {
    /// Parses one matcher alone: `name=value`, `name!=value`,
    /// `name=~regex` or `name!~regex`, the name and the value each bare or
    /// quoted (a bare value runs to the end of the text and is trimmed).
    pub fn parse(input: &str) -> Result<Self> {
        let bad = |why: &str| invalid("matcher", input, why);
        let (name, op, value) = split_op(input).map_err(|why| bad(&why))?;
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
        Ok(Self::new(name, op, value))
    }
}

impl FromStr for LabelMatcher {
    type Err = EngineError;

    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

/// Writes `name op "value"`: the value quoted and escaped, the name too
/// unless it is plain; [`LabelMatcher::parse`] reads it back.
impl fmt::Display for LabelMatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.op {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::Regex => "=~",
            MatchOp::NotRegex => "!~",
        };
        if SeriesMeta::is_plain_label_name(&self.name) {
            f.write_str(&self.name)?;
        } else {
            write_quoted(f, &self.name)?;
        }
        f.write_str(op)?;
        write_quoted(f, &self.value)
    }
}

fn write_quoted(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("\"")
}

/// Parses a series key as printed by `SeriesMeta`'s `Display`
/// (`metric{k="v",...}`, `{__name__="m{x",k="v"}`) back into the series.
/// Refused: a key with anything but `=` matchers, without a metric, or
/// with two (a label literally named `__name__` cannot be read back).
pub fn parse_series_key(key: &str) -> Result<SeriesMeta> {
    let bad = |why: &str| invalid("series key", key, why);
    let selector = SeriesSelector::parse(key).map_err(|e| match e {
        EngineError::InvalidSelector { reason, .. } => bad(&reason),
        other => other,
    })?;
    if let SeriesSelector::Matchers(matchers) = &selector
        && matchers.iter().filter(|m| m.name == METRIC_LABEL).count() > 1
    {
        return Err(bad(
            "more than one `__name__` (a label named `__name__` cannot be read back)",
        ));
    }
    selector
        .as_exact()
        .ok_or_else(|| bad("a series key needs a metric name and only `=` labels"))
}

/// Splits `name op rest`: the name quoted, or bare up to the first
/// operator.
fn split_op(text: &str) -> Result<(String, MatchOp, &str), String> {
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
        (MatchOp::NotEqual, 2)
    } else if after.starts_with("!~") {
        (MatchOp::NotRegex, 2)
    } else if after.starts_with("=~") {
        (MatchOp::Regex, 2)
    } else if after.starts_with('=') {
        (MatchOp::Equal, 1)
    } else {
        return Err(format!(
            "expected `=`, `!=`, `=~` or `!~` after label name {name:?}"
        ));
    };
    Ok((name, op, after.get(len..).unwrap_or_default()))
}

fn parse_matcher(text: &str) -> Result<(LabelMatcher, &str), String> {
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
    Ok((LabelMatcher::new(name, op, value), tail))
}

/// Reads a quoted string whose opening quote was consumed; returns the
/// unescaped value and the text after the closing quote.
fn parse_quoted(text: &str) -> Result<(String, &str), String> {
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

#[cfg(test)]
mod tests;
