//! The command-line tool's argument parsers: series selectors, `--match`
//! matchers, series keys, times and durations.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use skulk_cli::CliError;
use skulk_cli::selector::{METRIC_LABEL, Matcher, Op, Selector, parse_series_key};
use skulk_cli::timearg::{duration_ns, parse_duration, parse_time};
use skulk_cli::timefmt::format_time;
use skulk_format::SeriesMeta;

/// Panics unless `result` is `Ok` or a usage error (exit code 2) that says
/// what is invalid.
fn ok_or_usage<T>(result: Result<T, CliError>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(CliError::Usage(message)) => {
            assert!(message.starts_with("invalid "), "usage error {message:?}");
            None
        }
        Err(other) => panic!("not a usage error: {other:?}"),
    }
}

/// `text` in double quotes, `"` and `\` escaped.
fn quoted(text: &str) -> String {
    let mut out = String::from('"');
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// `matcher` written back as selector text, its value quoted and escaped,
/// its name too unless it is plain.
pub fn matcher_text(matcher: &Matcher) -> String {
    let op = match matcher.op {
        Op::Equal => "=",
        Op::NotEqual => "!=",
        Op::Regex => "=~",
        Op::NotRegex => "!~",
    };
    let name = if SeriesMeta::is_plain_label_name(&matcher.name) {
        matcher.name.clone()
    } else {
        quoted(&matcher.name)
    };
    format!("{name}{op}{}", quoted(&matcher.value))
}

/// `selector` written back as `{name op "value", ...}`.
pub fn selector_text(selector: &Selector) -> String {
    let parts: Vec<String> = selector.matchers.iter().map(matcher_text).collect();
    format!("{{{}}}", parts.join(", "))
}

/// Whether the key of `series` can read back as `series`: always, except
/// the documented exception of a label literally named `__name__`, which
/// reads as the metric name.
fn has_no_metric_label(series: &SeriesMeta) -> bool {
    series.labels().iter().all(|(name, _)| name != METRIC_LABEL)
}

/// `series` printed as its key parses back to `series`; with a label named
/// `__name__`, the key is refused.
fn check_key(series: SeriesMeta) {
    let key = series.to_string();
    if has_no_metric_label(&series) {
        assert_eq!(ok_or_usage(parse_series_key(&key)), Some(series), "{key}");
    } else {
        assert_eq!(ok_or_usage(parse_series_key(&key)), None, "{key}");
    }
}

fn reparse(selector: &Selector) -> Selector {
    let text = selector_text(selector);
    match Selector::parse(&text) {
        Ok(again) => again,
        Err(e) => panic!("its own text {text:?} is refused: {e}"),
    }
}

/// The selector parsers on arbitrary text (invalid UTF-8 replaced):
/// `Selector::parse`, `Selector::parse_match_arg` and `parse_series_key`.
///
/// Each gives a value or a usage error saying what is invalid. A parsed selector or
/// matcher, written back with its values quoted, parses to the same
/// matchers; a selector naming one series prints as a key that parses back
/// to that series, and so does every parsed series key. The one exception
/// is a series with a label literally named `__name__`, which reads as the
/// metric: its key must be refused.
pub fn cli_selector(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Some(selector) = ok_or_usage(Selector::parse(&text)) {
        assert_eq!(reparse(&selector), selector);
        if let Some(series) = selector.as_exact() {
            check_key(series);
        }
    }
    if let Some(matcher) = ok_or_usage(Selector::parse_match_arg(&text)) {
        let written = matcher_text(&matcher);
        let again = ok_or_usage(Selector::parse_match_arg(&written));
        assert_eq!(again.as_ref(), Some(&matcher), "--match {written:?}");
        let alone = Selector {
            matchers: vec![matcher],
        };
        assert_eq!(reparse(&alone), alone);
    }
    if let Some(series) = ok_or_usage(parse_series_key(&text)) {
        check_key(series);
    }
}

fn now_ns() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

/// Checks the duration parsers on `text`, which `parse_duration` read as
/// `d`: the same `d` from whole seconds plus nanoseconds and from its count
/// of nanoseconds; `duration_ns` agrees; `now-<text>` is `d` before now.
fn check_duration(text: &str, d: Duration) {
    let exact = format!("{}s {}ns", d.as_secs(), d.subsec_nanos());
    assert_eq!(ok_or_usage(parse_duration(&exact)), Some(d), "{exact}");
    if let Ok(ns) = u64::try_from(d.as_nanos()) {
        assert_eq!(ok_or_usage(parse_duration(&ns.to_string())), Some(d));
    }
    let in_range = i64::try_from(d.as_nanos()).ok().filter(|&ns| ns > 0);
    assert_eq!(ok_or_usage(duration_ns(text)), in_range, "duration_ns");
    if let Ok(ago) = i64::try_from(d.as_nanos()) {
        let before = now_ns();
        let at = ok_or_usage(parse_time(&format!("now-{text}")));
        let after = now_ns();
        let at = i128::from(at.unwrap_or_else(|| panic!("now-{text} refused")));
        let ago = i128::from(ago);
        // A second of slack: the wall clock may be stepped between reads.
        const SLACK: i128 = 1_000_000_000;
        assert!(
            before - ago - SLACK <= at && at <= after - ago + SLACK,
            "now-{text}"
        );
    }
}

/// The time and duration parsers on arbitrary text (invalid UTF-8
/// replaced): `parse_time`, `parse_duration` and `duration_ns`.
///
/// Each gives a value or a usage error saying what is invalid. A parsed time, printed as
/// the tool prints times (`format_time`) or as an integer, parses back to
/// the same nanosecond; a parsed duration passes the checks of
/// `check_duration`.
pub fn cli_time(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Some(ns) = ok_or_usage(parse_time(&text)) {
        let printed = format_time(ns);
        assert_eq!(ok_or_usage(parse_time(&printed)), Some(ns), "{printed}");
        assert_eq!(ok_or_usage(parse_time(&ns.to_string())), Some(ns));
    }
    match ok_or_usage(parse_duration(&text)) {
        Some(d) => check_duration(&text, d),
        None => assert!(ok_or_usage(duration_ns(&text)).is_none()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typical_arguments_pass() {
        for text in [
            r#"cpu{host="a", dc!="x",rack=~"r.*",zone!~z1}"#,
            r#"{__name__="cpu",k="a\"b\\c\u{1F600}"}"#,
            "host=a",
            r#"cpu{host="a"}"#,
            r#"{__name__="m{x"}"#,
            r#"{__name__=" y ",k="v"}"#,
            r#"cpu{"host name"="a","a=b"!="c",""=~"e"}"#,
            r#"{"__name__"="m{","{x}"="y"," "="z"}"#,
            r#""a b"=v"#,
            r#"cpu{__name__="x"}"#,
        ] {
            cli_selector(text.as_bytes());
        }
        for text in [
            "now",
            "now-1h",
            "2024-01-02T03:04:05.123456789Z",
            "2024-01-02",
            "-5",
            "1h 30m",
            "250ms",
            "18446744073709551615",
        ] {
            cli_time(text.as_bytes());
        }
    }

    #[test]
    fn written_selectors_escape_quotes_and_backslashes() {
        let selector = Selector::parse(r#"{a="x\"y\\z"}"#).unwrap();
        assert_eq!(selector_text(&selector), r#"{a="x\"y\\z"}"#);
        let selector = Selector::parse(r#"{"a b\\"=~"v"}"#).unwrap();
        assert_eq!(selector_text(&selector), r#"{"a b\\"=~"v"}"#);
    }
}
