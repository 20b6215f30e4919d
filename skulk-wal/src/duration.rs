//! Durations written as text (`"90s"`, `"1h 30m"`, `"250ms"`: humantime's
//! syntax), for configuration files and command lines.
//!
//! humantime 2.4 panics instead of failing when the nanoseconds of a sum
//! carry into a seconds count already at `u64::MAX`
//! (`"18446744073709551615s 1000000000ns"`, upstream
//! chronotope/humantime#66). [`parse_duration`] first adds up, in `u128`
//! nanoseconds and following humantime's grammar, what the text can sum to,
//! and refuses text whose sum exceeds the largest `Duration` with
//! `NumberOverflow`, so bad text is an error, never a panic. Whole numbers
//! are counted exactly, so every duration written as `"<secs>s <nanos>ns"`
//! reads back; only a number with a fraction counts as one more unit than
//! its whole part, which can refuse a fractional sum within one unit of the
//! limit (about 5.8e11 years).

use std::time::Duration;

pub use humantime::DurationError;

/// Nanoseconds in humantime's longest unit, the year (365.25 days).
const YEAR_NANOS: u128 = 31_557_600 * NANOS_PER_SEC;
const NANOS_PER_SEC: u128 = 1_000_000_000;
/// The largest `Duration`, in nanoseconds.
const MAX_NANOS: u128 = u64::MAX as u128 * NANOS_PER_SEC + (NANOS_PER_SEC - 1);

/// One `unit` in nanoseconds, with humantime's unit names; a year (the
/// longest) for a name it refuses.
fn unit_nanos(unit: &str) -> u128 {
    let secs = |s: u128| s * NANOS_PER_SEC;
    match unit {
        "nanos" | "nsec" | "ns" => 1,
        "usec" | "us" | "µs" => 1_000,
        "millis" | "msec" | "ms" => 1_000_000,
        "seconds" | "second" | "secs" | "sec" | "s" => secs(1),
        "minutes" | "minute" | "min" | "mins" | "m" => secs(60),
        "hours" | "hour" | "hr" | "hrs" | "h" => secs(3_600),
        "days" | "day" | "d" => secs(86_400),
        "weeks" | "week" | "wk" | "wks" | "w" => secs(604_800),
        "months" | "month" | "M" => secs(2_630_016),
        _ => YEAR_NANOS,
    }
}

/// An upper bound of the nanoseconds humantime adds up while parsing
/// `text` (saturating). Each number (its digits may be separated by
/// whitespace, as humantime reads them) counts exactly in the unit that
/// follows it, plus one more unit when it has a fraction.
fn nanos_bound(text: &str) -> u128 {
    let mut chars = text.chars().peekable();
    let mut total: u128 = 0;
    while let Some(&c) = chars.peek() {
        if !c.is_ascii_digit() {
            chars.next();
            continue;
        }
        let mut number: u128 = 0;
        while let Some(&c) = chars.peek() {
            match c.to_digit(10) {
                Some(d) if c.is_ascii_digit() => {
                    number = number.saturating_mul(10).saturating_add(u128::from(d));
                }
                _ if c.is_whitespace() => {}
                _ => break,
            }
            chars.next();
        }
        let fraction = chars.next_if_eq(&'.').is_some();
        while fraction
            && chars
                .next_if(|c| c.is_ascii_digit() || c.is_whitespace())
                .is_some()
        {}
        let mut unit = String::new();
        while let Some(c) = chars.next_if(|&c| c.is_ascii_alphabetic() || c == 'µ') {
            unit.push(c);
        }
        let unit = unit_nanos(&unit);
        let whole = number.saturating_add(u128::from(fraction));
        total = total.saturating_add(whole.saturating_mul(unit));
    }
    total
}

/// Parses humantime text into a duration: humantime's answer, except that
/// text whose sum could exceed the largest `Duration` is
/// `Err(DurationError::NumberOverflow)` instead of a panic.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    if nanos_bound(text) > MAX_NANOS {
        return Err(DurationError::NumberOverflow);
    }
    humantime::parse_duration(text)
}

/// Deserializes a `Duration` from humantime text with [`parse_duration`]:
/// `#[serde(deserialize_with = "skulk_wal::duration::deserialize")]`.
pub fn deserialize<'de, D>(deserializer: D) -> Result<Duration, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let text = <String as serde::Deserialize>::deserialize(deserializer)?;
    parse_duration(&text).map_err(serde::de::Error::custom)
}

/// Deserializes an `Option<Duration>` (present: humantime text) with
/// [`parse_duration`]:
/// `#[serde(deserialize_with = "skulk_wal::duration::deserialize_option")]`.
pub fn deserialize_option<'de, D>(deserializer: D) -> Result<Option<Duration>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let text = <Option<String> as serde::Deserialize>::deserialize(deserializer)?;
    text.map(|t| parse_duration(&t).map_err(serde::de::Error::custom))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_like_humantime() {
        for (text, secs, nanos) in [
            ("90s", 90, 0),
            ("1h 30m", 5400, 0),
            ("250ms", 0, 250_000_000),
            ("1 5 s", 15, 0),
            ("1.5y", 47_336_400, 0),
            ("600000000000ns", 600, 0),
            ("18446744073709551615ns", 18_446_744_073, 709_551_615),
            ("584000000000y", 18_429_638_400_000_000_000, 0),
        ] {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::new(secs, nanos)),
                "{text}"
            );
        }
    }

    #[test]
    fn sums_at_u64_max_seconds_are_refused_not_panics() {
        for text in [
            "18446744073709551615s 1000000000ns",
            "18446744073709551615s 999999999ns 1ns",
            "18446744073709551615s 500ms 500ms",
            "1844674407 3709551615s 1000000000ns",
            "18446744073709551615.5s",
            "18446744073709551615s 999999999.5ns",
        ] {
            assert_eq!(
                parse_duration(text),
                Err(DurationError::NumberOverflow),
                "{text}"
            );
        }
    }

    #[test]
    fn sums_up_to_the_largest_duration_are_accepted() {
        for (text, secs, nanos) in [
            ("18446744073709551612s 0ns", u64::MAX - 3, 0),
            ("18446744073709551615s 999999999ns", u64::MAX, 999_999_999),
            ("18446744073709551614s 1999999999ns", u64::MAX, 999_999_999),
            ("18446744073709551615s", u64::MAX, 0),
        ] {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::new(secs, nanos)),
                "{text}"
            );
        }
    }

    fn duration_text() -> impl Strategy<Value = String> {
        let unit = prop_oneof![
            Just("ns"),
            Just("us"),
            Just("ms"),
            Just("s"),
            Just("m"),
            Just("h"),
            Just("d"),
            Just("M"),
            Just("y"),
            Just("x"),
        ];
        let number = prop_oneof![
            any::<u64>().prop_map(|n| n.to_string()),
            (0u64..1000).prop_map(|n| n.to_string()),
            Just("18446744073709551615".to_string()),
            Just("1000000000".to_string()),
        ];
        let term = (number, proptest::option::of("[0-9]{1,3}"), unit, " {0,1}").prop_map(
            |(n, frac, unit, space)| match frac {
                Some(f) => format!("{n}.{f}{space}{unit}"),
                None => format!("{n}{space}{unit}"),
            },
        );
        proptest::collection::vec(term, 1..4).prop_map(|terms| terms.join(" "))
    }

    proptest! {
        /// Every duration, written as whole seconds and nanoseconds, reads
        /// back.
        #[test]
        fn the_exact_form_of_every_duration_reads_back(secs in any::<u64>(), nanos in 0u32..1_000_000_000) {
            let d = Duration::new(secs, nanos);
            prop_assert_eq!(parse_duration(&format!("{secs}s {nanos}ns")), Ok(d));
        }
    }

    proptest! {
        /// The guard refuses only fractional sums within a year of the
        /// largest duration, text humantime refuses, and text humantime
        /// panics on.
        #[test]
        fn only_sums_near_u64_max_are_refused(text in duration_text()) {
            let ours = parse_duration(&text);
            let theirs = std::panic::catch_unwind(|| humantime::parse_duration(&text));
            match (ours, theirs) {
                (Err(DurationError::NumberOverflow), Ok(Ok(d))) => {
                    prop_assert!(text.contains('.'), "{text}");
                    prop_assert!(d.as_nanos() > MAX_NANOS - YEAR_NANOS, "{text}");
                }
                (ours, Ok(Ok(d))) => prop_assert_eq!(ours, Ok(d)),
                (ours, Ok(Err(_))) => prop_assert!(ours.is_err()),
                (ours, Err(_panicked)) => prop_assert_eq!(ours, Err(DurationError::NumberOverflow)),
            }
        }
    }
}
