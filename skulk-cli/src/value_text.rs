//! Values as text, losslessly: every `f64` bit pattern survives
//! [`format_value`] then [`parse_value`].
//!
//! Finite values and infinities use the shortest decimal form that parses
//! back to the same `f64` (`0.1`, `-0.0`, `inf`, `5e-324`). The default NaN
//! (bits `0x7ff8000000000000`) is `NaN`; any other NaN (another payload or
//! the sign bit set) is written with its bits, `NaN(0x7ff40000deadbeef)`,
//! so that an export imports back bit-exact.

/// The bits of the NaN written as plain `NaN`.
const PLAIN_NAN: u64 = 0x7ff8_0000_0000_0000;

/// `v` as text that [`parse_value`] turns back into the same bits.
pub fn format_value(v: f64) -> String {
    let bits = v.to_bits();
    if v.is_nan() && bits != PLAIN_NAN {
        format!("NaN(0x{bits:016x})")
    } else {
        format!("{v:?}")
    }
}

/// Parses a decimal number, `inf`/`-inf`/`NaN` (as Rust's `f64` parser
/// does), or `NaN(0x` + 16 hex digits + `)` naming a NaN's exact bits.
/// `None` for anything else, including a bit pattern that is not a NaN.
pub fn parse_value(text: &str) -> Option<f64> {
    if let Some(hex) = text
        .strip_prefix("NaN(0x")
        .and_then(|rest| rest.strip_suffix(')'))
    {
        if hex.len() != 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let v = f64::from_bits(u64::from_str_radix(hex, 16).ok()?);
        return v.is_nan().then_some(v);
    }
    let v = text.parse::<f64>().ok()?;
    (!v.is_infinite() || is_infinity_literal(text)).then_some(v)
}

/// Whether `text` parses as a decimal number too large for an `f64` (such
/// as `1e400`), which [`parse_value`] refuses rather than store as an
/// infinity; `inf`, `+Inf` and `-infinity` are not out of range.
pub fn is_out_of_range(text: &str) -> bool {
    text.parse::<f64>()
        .is_ok_and(|v| v.is_infinite() && !is_infinity_literal(text))
}

fn is_infinity_literal(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    unsigned.eq_ignore_ascii_case("inf") || unsigned.eq_ignore_ascii_case("infinity")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn special_values_have_readable_forms() {
        assert_eq!(format_value(f64::NAN), "NaN");
        assert_eq!(format_value(-0.0), "-0.0");
        assert_eq!(format_value(f64::INFINITY), "inf");
        assert_eq!(format_value(f64::NEG_INFINITY), "-inf");
        assert_eq!(
            format_value(f64::from_bits(0x7ff4_0000_dead_beef)),
            "NaN(0x7ff40000deadbeef)"
        );
        assert_eq!(format_value(-f64::NAN), "NaN(0xfff8000000000000)");
    }

    #[test]
    fn malformed_bit_patterns_are_refused() {
        for bad in [
            "NaN(0x7ff40000deadbee)",
            "NaN(0x7ff40000deadbeef0)",
            "NaN(0x3ff0000000000000)",
            "NaN(0x7ff0000000000000)",
            "NaN(0x+ff40000deadbeef)",
            "NaN(7ff40000deadbeef)",
            "NaN(0x7ff40000deadbeef",
        ] {
            assert_eq!(parse_value(bad).map(f64::to_bits), None, "{bad}");
        }
    }

    #[test]
    fn decimals_beyond_f64_are_refused_but_infinities_are_read() {
        for bad in ["1e400", "-1e309", "179769313486231570815e289"] {
            assert_eq!(parse_value(bad), None, "{bad}");
            assert!(is_out_of_range(bad), "{bad}");
        }
        for (text, v) in [
            ("inf", f64::INFINITY),
            ("+Inf", f64::INFINITY),
            ("-inf", f64::NEG_INFINITY),
            ("Infinity", f64::INFINITY),
            ("1e308", 1e308),
        ] {
            assert_eq!(parse_value(text), Some(v), "{text}");
            assert!(!is_out_of_range(text));
        }
    }

    proptest! {
        #[test]
        fn every_bit_pattern_round_trips(bits in any::<u64>()) {
            let text = format_value(f64::from_bits(bits));
            prop_assert_eq!(parse_value(&text).map(f64::to_bits), Some(bits), "{}", text);
        }

        #[test]
        fn every_nan_round_trips(payload in 1u64..(1 << 52), negative in any::<bool>()) {
            let bits = 0x7ff0_0000_0000_0000 | payload | (u64::from(negative) << 63);
            let text = format_value(f64::from_bits(bits));
            prop_assert_eq!(parse_value(&text).map(f64::to_bits), Some(bits), "{}", text);
        }
    }
}
