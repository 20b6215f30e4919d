//! Hive-style partition folder names: `key=value`, with the characters Hive
//! escapes written `%XX`, and dates from nanosecond timestamps.

/// Nanoseconds in a day.
pub const DAY_NANOS: i64 = 86_400_000_000_000;

/// Hive's name for a partition whose value is empty.
pub const DEFAULT_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

/// `value` as Hive writes it in a folder name: control characters and
/// `"#%'*/:=?\{[]^` (and DEL) as `%XX` (upper-case hex of each byte), all
/// else as is; empty as [`DEFAULT_PARTITION`].
pub fn escape(value: &str) -> String {
    if value.is_empty() {
        return DEFAULT_PARTITION.to_string();
    }
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        let needs = c.is_ascii_control() || "\"#%'*/:=?\\{[]^".contains(c);
        if needs {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// The UTC day (days since 1970-01-01) holding timestamp `ts`.
pub fn day_of(ts: i64) -> i64 {
    ts.div_euclid(DAY_NANOS)
}

/// `YYYY-MM-DD` of UTC day `day` (days since 1970-01-01), proleptic
/// Gregorian calendar.
pub fn date_of_day(day: i64) -> String {
    // Days to civil date, after Howard Hinnant's `civil_from_days`.
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_hive_escapes() {
        assert_eq!(escape("cpu_usage"), "cpu_usage");
        assert_eq!(escape("a/b=c%d"), "a%2Fb%3Dc%25d");
        assert_eq!(escape("x\ny"), "x%0Ay");
        assert_eq!(escape("héllo"), "héllo");
        assert_eq!(escape(""), DEFAULT_PARTITION);
    }

    #[test]
    fn dates_of_days() {
        assert_eq!(date_of_day(0), "1970-01-01");
        assert_eq!(date_of_day(-1), "1969-12-31");
        assert_eq!(date_of_day(day_of(1_700_000_000_000_000_000)), "2023-11-14");
        assert_eq!(date_of_day(day_of(951_782_400_000_000_000)), "2000-02-29");
        assert_eq!(date_of_day(day_of(i64::MIN)), "1677-09-21");
        assert_eq!(date_of_day(day_of(i64::MAX)), "2262-04-11");
        assert_eq!(day_of(-1), -1);
    }
}
