//! Values split at a decimal exponent into integers and exceptions.

use super::exponent;

/// The integers of a block and the values that did not convert.
pub(crate) struct Split {
    /// The exponent the values were split at.
    pub exponent: u8,
    /// One integer per value; an exception's repeats the integer before it.
    pub ints: Vec<i64>,
    /// Positions of the values that do not convert, ascending.
    pub positions: Vec<u64>,
    /// Their bit patterns.
    pub raw: Vec<u64>,
}

/// Splits `values` at exponent `e` (see [`Split`]).
pub(crate) fn split(values: &[f64], e: u8) -> Split {
    // Leading exceptions repeat the first integer of the block.
    let mut fill = values
        .iter()
        .find_map(|&v| exponent::to_int(v, e))
        .unwrap_or(0);
    let mut parts = Split {
        exponent: e,
        ints: Vec::with_capacity(values.len()),
        positions: Vec::new(),
        raw: Vec::new(),
    };
    for (i, v) in values.iter().enumerate() {
        match exponent::to_int(*v, e) {
            Some(d) => fill = d,
            None => {
                parts.positions.push(i as u64);
                parts.raw.push(v.to_bits());
            }
        }
        parts.ints.push(fill);
    }
    parts
}
