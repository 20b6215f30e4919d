//! Failure reports of the column suites: which case, where two sequences
//! first differ (as numbers and as bits), and what a panicking codec was
//! given.

use std::any::Any;
use std::fmt::Debug;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Longest input printed whole in a report; longer ones are shortened to
/// their start and end (proptest reports shrink inputs to their smallest
/// failing form first).
const PRINTED_ITEMS: usize = 64;

/// Where `got` first differs from `expected`, compared by bit pattern:
/// `None` when they are equal.
pub(crate) fn first_difference<T: Copy + Debug>(
    expected: &[T],
    got: &[T],
    bits: impl Fn(T) -> u64,
) -> Option<String> {
    let differing = expected
        .iter()
        .zip(got)
        .enumerate()
        .find(|(_, (e, g))| bits(**e) != bits(**g));
    let show = |x: T| format!("{x:?} (bits {:#018x})", bits(x));
    match differing {
        Some((i, (&e, &g))) => Some(format!(
            "first difference at index {i} of {}: expected {}, got {}",
            expected.len(),
            show(e),
            show(g),
        )),
        None if expected.len() != got.len() => Some(format!(
            "expected {} items, got {} (equal up to the shorter)",
            expected.len(),
            got.len()
        )),
        None => None,
    }
}

/// `items` for a report, shortened when long.
pub(crate) fn show_input<T: Debug>(items: &[T]) -> String {
    if items.len() <= PRINTED_ITEMS {
        return format!("{items:?}");
    }
    let half = PRINTED_ITEMS / 2;
    let (head, tail) = (&items[..half], &items[items.len() - half..]);
    format!("{} items: {head:?} .. {tail:?}", items.len())
}

/// Runs `f`, turning a panic into an error that names `what` was done.
pub(crate) fn no_panic<R>(
    what: impl FnOnce() -> String,
    f: impl FnOnce() -> R,
) -> Result<R, String> {
    catch_unwind(AssertUnwindSafe(f))
        .map_err(|payload| format!("{} panicked: {}", what(), panic_message(payload.as_ref())))
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a non-string panic payload)".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_difference_is_named_with_both_values_and_their_bits() {
        let report = first_difference(&[1.0, -0.0, 3.0], &[1.0, 0.0, 3.0], f64::to_bits).unwrap();
        assert!(report.contains("index 1 of 3"), "{report}");
        assert!(
            report.contains("-0.0 (bits 0x8000000000000000)"),
            "{report}"
        );
        assert!(
            report.contains("got 0.0 (bits 0x0000000000000000)"),
            "{report}"
        );
        let short = first_difference(&[1i64, 2], &[1], |x| x as u64).unwrap();
        assert!(short.contains("expected 2 items, got 1"), "{short}");
        assert_eq!(
            first_difference(&[f64::NAN], &[f64::NAN], f64::to_bits),
            None
        );
    }

    #[test]
    fn a_panic_becomes_an_error_naming_the_step() {
        let outcome: Result<(), String> = no_panic(|| "decode of case x".into(), || panic!("boom"));
        assert_eq!(outcome.unwrap_err(), "decode of case x panicked: boom");
        assert_eq!(no_panic(String::new, || 7), Ok(7));
    }

    #[test]
    fn long_inputs_are_shortened() {
        let items: Vec<u32> = (0..1000).collect();
        let shown = show_input(&items);
        assert!(shown.starts_with("1000 items: [0, 1,"), "{shown}");
        assert!(shown.ends_with("998, 999]"), "{shown}");
    }
}
