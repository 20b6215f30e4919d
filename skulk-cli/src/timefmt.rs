//! Timestamps as RFC 3339 text for humans.

use std::time::{Duration, UNIX_EPOCH};

/// `ns` (since the epoch) as RFC 3339 UTC with the fraction it needs;
/// the raw integer when outside what the formatter supports.
pub fn format_time(ns: i64) -> String {
    if ns < 0 {
        return ns.to_string();
    }
    let time = UNIX_EPOCH + Duration::from_nanos(ns as u64);
    let text = humantime::format_rfc3339_nanos(time).to_string();
    // Drop trailing zeros of the fraction: `...:00.500000000Z` -> `...:00.5Z`.
    match text.strip_suffix('Z').and_then(|t| t.split_once('.')) {
        Some((whole, frac)) => {
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() {
                format!("{whole}Z")
            } else {
                format!("{whole}.{frac}Z")
            }
        }
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_minimal_fraction() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_time(1_500_000_000), "1970-01-01T00:00:01.5Z");
        assert_eq!(format_time(-1), "-1");
    }
}
