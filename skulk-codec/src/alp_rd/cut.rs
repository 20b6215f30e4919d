//! Where to cut the bits of real doubles, and the dictionary of their left
//! parts.

use crate::bitpack::bit_width;

/// Smallest right part: the left part is at most 16 bits.
pub(crate) const MIN_RIGHT: u32 = 48;
/// Largest right part: the left part is at least 1 bit.
pub(crate) const MAX_RIGHT: u32 = 63;
/// Dictionary entries at most (codes of up to 3 bits).
pub(crate) const MAX_DICTIONARY: usize = 8;
/// Values sampled to choose the cut.
const SAMPLE: usize = 256;

/// A cut: `right` low bits are packed as they are, the left `64 - right`
/// bits are coded through `dictionary` (most frequent first) or are
/// exceptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cut {
    /// Bits in the right part.
    pub right: u32,
    /// The left parts that get a code, at most [`MAX_DICTIONARY`].
    pub dictionary: Vec<u16>,
}

impl Cut {
    /// Bits per code.
    pub(crate) fn code_width(&self) -> u32 {
        bit_width(self.dictionary.len().saturating_sub(1) as u64)
    }

    /// The code of `left`, if the dictionary holds it.
    #[inline(always)]
    pub(crate) fn code(&self, left: u16) -> Option<u64> {
        self.dictionary
            .iter()
            .position(|&entry| entry == left)
            .map(|i| i as u64)
    }
}

/// The left parts of `bits` at `right`, most frequent first (ties: the
/// smaller left part first), with their counts.
fn frequencies(bits: &[u64], right: u32) -> Vec<(usize, u16)> {
    let mut lefts: Vec<u16> = bits.iter().map(|&b| (b >> right) as u16).collect();
    lefts.sort_unstable();
    let mut counts: Vec<(usize, u16)> = Vec::new();
    for left in lefts {
        match counts.last_mut() {
            Some((count, last)) if *last == left => *count += 1,
            _ => counts.push((1, left)),
        }
    }
    counts.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    counts
}

/// The sampled bit patterns: every value of short blocks, else [`SAMPLE`]
/// evenly spread ones.
fn sample(values: &[f64]) -> Vec<u64> {
    let step = values.len().div_ceil(SAMPLE).max(1);
    values.iter().step_by(step).map(|v| v.to_bits()).collect()
}

/// The cut with the smallest estimated size for a block of `values`:
/// right bits and a code per value, plus a position and a left part per
/// exception, on a sample. Ties go to the wider right part.
pub(crate) fn choose(values: &[f64]) -> Cut {
    let bits = sample(values);
    let positions = u64::from(bit_width(values.len().saturating_sub(1) as u64));
    let n = bits.len() as u64;
    let mut best: Option<(u64, Cut)> = None;
    for right in (MIN_RIGHT..=MAX_RIGHT).rev() {
        let counts = frequencies(&bits, right);
        let kept = counts.len().min(MAX_DICTIONARY);
        let covered: usize = counts.iter().take(kept).map(|&(count, _)| count).sum();
        let code_width = u64::from(bit_width(kept.saturating_sub(1) as u64));
        let misses = n - covered as u64;
        let cost =
            n * (u64::from(right) + code_width) + misses * (positions + 64 - u64::from(right));
        if best.as_ref().is_none_or(|(best_cost, _)| cost < *best_cost) {
            let dictionary = counts.iter().take(kept).map(|&(_, left)| left).collect();
            best = Some((cost, Cut { right, dictionary }));
        }
    }
    best.map_or(
        Cut {
            right: MAX_RIGHT,
            dictionary: vec![0],
        },
        |(_, cut)| cut,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_exponent_keeps_the_mantissa_whole() {
        // Values in [1, 2): sign and exponent are constant, the mantissa
        // random: the left part is the 12 bits of sign and exponent, one
        // dictionary entry, no codes.
        let values: Vec<f64> = (0..1000u64)
            .map(|i| {
                1.0 + (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 12) as f64 / (1u64 << 52) as f64
            })
            .collect();
        let cut = choose(&values);
        assert_eq!(cut.right, 52, "{cut:?}");
        assert_eq!(cut.dictionary, [0x3FF]);
        assert_eq!(cut.code_width(), 0);
    }

    #[test]
    fn frequent_left_parts_come_first() {
        let bits = [5u64 << 60, 7 << 60, 5 << 60, 1 << 60, 7 << 60, 5 << 60];
        assert_eq!(frequencies(&bits, 60), [(3, 5), (2, 7), (1, 1)]);
    }
}
