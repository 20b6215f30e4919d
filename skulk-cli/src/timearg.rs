//! Times and durations as typed on the command line.
//!
//! A time is an integer of nanoseconds since the epoch (`1700000000000000000`),
//! an RFC 3339 date (`2024-01-02T03:04:05Z`, `2024-01-02`), `now`, or
//! `now-<duration>` (`now-1h`). A duration is `90s`, `5m`, `1h 30m`,
//! `250ms`, or an integer of nanoseconds.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::CliError;

fn usage(what: &str, input: &str, hint: &str) -> CliError {
    CliError::Usage(format!("invalid {what} {input:?}: {hint}"))
}

/// Nanoseconds since the epoch of `t` (before 1970 gives negative values),
/// `None` outside `i64`.
fn system_time_ns(t: SystemTime) -> Option<i64> {
    match t.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_nanos()).ok(),
        Err(before) => i64::try_from(before.duration().as_nanos()).ok().map(|n| -n),
    }
}

/// Parses a time argument into nanoseconds since the epoch.
pub fn parse_time(input: &str) -> Result<i64, CliError> {
    const HINT: &str = "expected nanoseconds, an RFC 3339 date, `now` or `now-1h`";
    let text = input.trim();
    if let Ok(ns) = text.parse::<i64>() {
        return Ok(ns);
    }
    if let Some(rest) = text.strip_prefix("now") {
        let now = system_time_ns(SystemTime::now()).unwrap_or(i64::MAX);
        let rest = rest.trim();
        if rest.is_empty() {
            return Ok(now);
        }
        let ago = rest
            .strip_prefix('-')
            .ok_or_else(|| usage("time", input, HINT))?;
        let ago = parse_duration(ago)?;
        return i64::try_from(ago.as_nanos())
            .ok()
            .and_then(|ns| now.checked_sub(ns))
            .ok_or_else(|| usage("time", input, "out of range"));
    }
    parse_rfc3339(text).ok_or_else(|| usage("time", input, HINT))
}

/// An RFC 3339 time (`2024-01-02T03:04:05.5Z`, a space for the `T`, or a
/// date alone) in nanoseconds since the epoch; `None` when it is not one
/// or lies outside `i64`.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let parsed = humantime::parse_rfc3339_weak(text)
        .or_else(|_| humantime::parse_rfc3339_weak(&format!("{text} 00:00:00")))
        .ok()?;
    system_time_ns(parsed)
}

/// Parses a duration argument.
pub fn parse_duration(input: &str) -> Result<Duration, CliError> {
    let text = input.trim();
    if let Ok(ns) = text.parse::<u64>() {
        return Ok(Duration::from_nanos(ns));
    }
    // Not humantime's own: it panics on sums that reach u64::MAX seconds.
    skulk_wal::duration::parse_duration(text).map_err(|e| {
        usage(
            "duration",
            input,
            &format!("{e} (expected e.g. `90s`, `5m`, `1h`)"),
        )
    })
}

/// A duration in whole nanoseconds, positive and within `i64`.
pub fn duration_ns(input: &str) -> Result<i64, CliError> {
    let d = parse_duration(input)?;
    i64::try_from(d.as_nanos())
        .ok()
        .filter(|&ns| ns > 0)
        .ok_or_else(|| {
            usage(
                "duration",
                input,
                "must be between 1 ns and about 292 years",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("-5").unwrap(), -5);
        assert_eq!(parse_time("1970-01-01T00:00:01Z").unwrap(), 1_000_000_000);
        assert_eq!(parse_time("1970-01-02").unwrap(), 86_400_000_000_000);
        let now = parse_time("now").unwrap();
        let hour_ago = parse_time("now-1h").unwrap();
        assert!((now - hour_ago - 3_600_000_000_000).abs() < 60_000_000_000);
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time("now+1h").is_err());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,30}") {
            let _ = parse_time(&text);
            let _ = duration_ns(&text);
            let _ = parse_time(&format!("now-{text}"));
        }

        #[test]
        fn integers_are_nanoseconds(ns in proptest::prelude::any::<i64>()) {
            proptest::prop_assert_eq!(parse_time(&ns.to_string()).unwrap(), ns);
        }
    }

    #[test]
    fn durations() {
        assert_eq!(duration_ns("1m").unwrap(), 60_000_000_000);
        assert_eq!(duration_ns("1h 30m").unwrap(), 5_400_000_000_000);
        assert_eq!(duration_ns("250").unwrap(), 250);
        assert!(duration_ns("0s").is_err());
        assert!(duration_ns("fast").is_err());
        // humantime alone panics on this one.
        assert!(duration_ns("18446744073709551615s 1000000000ns").is_err());
    }
}
