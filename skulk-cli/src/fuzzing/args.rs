//! The command-line tool's argument parsers: series selectors, `--match`
//! matchers, series keys, times and durations.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use skulk_engine::{
    EngineError, LabelMatcher, METRIC_LABEL, SeriesMeta, SeriesSelector, parse_series_key,
};

use crate::CliError;
use crate::timearg::{duration_ns, parse_time};
use crate::timefmt::format_time;

/// Panics unless `result` is `Ok` or an error that says what is invalid:
/// a usage error (exit code 2) or the engine's `InvalidSelector`.
fn ok_or_invalid<T, E: Into<CliError>>(result: Result<T, E>) -> Option<T> {
    match result.map_err(Into::into) {
        Ok(value) => Some(value),
        Err(CliError::Usage(message)) => {
            assert!(message.starts_with("invalid "), "usage error {message:?}");
            None
        }
        Err(CliError::Engine(e @ EngineError::InvalidSelector { .. })) => {
            assert!(e.to_string().starts_with("invalid "), "{e}");
            None
        }
        Err(other) => panic!("not a usage error: {other:?}"),
    }
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
        assert_eq!(ok_or_invalid(parse_series_key(&key)), Some(series), "{key}");
    } else {
        assert_eq!(ok_or_invalid(parse_series_key(&key)), None, "{key}");
    }
}

fn reparse(selector: &SeriesSelector) -> SeriesSelector {
    let text = selector.to_string();
    match SeriesSelector::parse(&text) {
        Ok(again) => again,
        Err(e) => panic!("its own text {text:?} is refused: {e}"),
    }
}

/// The selector parsers on arbitrary text (invalid UTF-8 replaced):
/// `SeriesSelector::parse`, `LabelMatcher::parse` (`--match`) and
/// `parse_series_key`, as the tool calls them.
///
/// Each gives a value or an error saying what is invalid. A parsed
/// selector or matcher, written back (`Display`, values quoted), parses to
/// the same matchers; a selector naming one series prints as a key that
/// parses back to that series, and so does every parsed series key. The
/// one exception is a series with a label literally named `__name__`,
/// which reads as the metric: its key must be refused.
pub fn cli_selector(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Some(selector) = ok_or_invalid(SeriesSelector::parse(&text)) {
        assert_eq!(reparse(&selector), selector);
        if let Some(series) = selector.as_exact() {
            check_key(series);
        }
    }
    if let Some(matcher) = ok_or_invalid(LabelMatcher::parse(&text)) {
        let written = matcher.to_string();
        let again = ok_or_invalid(LabelMatcher::parse(&written));
        assert_eq!(again.as_ref(), Some(&matcher), "--match {written:?}");
        let alone = SeriesSelector::Matchers(vec![matcher]);
        assert_eq!(reparse(&alone), alone);
    }
    if let Some(series) = ok_or_invalid(parse_series_key(&text)) {
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
    use crate::timearg::parse_duration;
    let exact = format!("{}s {}ns", d.as_secs(), d.subsec_nanos());
    assert_eq!(ok_or_invalid(parse_duration(&exact)), Some(d), "{exact}");
    if let Ok(ns) = u64::try_from(d.as_nanos()) {
        assert_eq!(ok_or_invalid(parse_duration(&ns.to_string())), Some(d));
    }
    let in_range = i64::try_from(d.as_nanos()).ok().filter(|&ns| ns > 0);
    assert_eq!(ok_or_invalid(duration_ns(text)), in_range, "duration_ns");
    if let Ok(ago) = i64::try_from(d.as_nanos()) {
        let before = now_ns();
        let at = ok_or_invalid(parse_time(&format!("now-{text}")));
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
/// Each gives a value or a usage error saying what is invalid. A parsed
/// time, printed as the tool prints times (`format_time`) or as an
/// integer, parses back to the same nanosecond; a parsed duration passes
/// the checks of `check_duration`.
pub fn cli_time(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Some(ns) = ok_or_invalid(parse_time(&text)) {
        let printed = format_time(ns);
        assert_eq!(ok_or_invalid(parse_time(&printed)), Some(ns), "{printed}");
        assert_eq!(ok_or_invalid(parse_time(&ns.to_string())), Some(ns));
    }
    match ok_or_invalid(crate::timearg::parse_duration(&text)) {
        Some(d) => check_duration(&text, d),
        None => assert!(ok_or_invalid(duration_ns(&text)).is_none()),
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
}
