//! The window `[base, base + 2^width)` holding most values of a run: a
//! sorted sample and sliding-window scans over it.

/// Runs longer than this choose their width from a sample of this many
/// values at fixed scattered positions; exceptions are still exact.
pub(crate) const SAMPLE: usize = 512;

/// The values, or [`SAMPLE`] of them at fixed scattered positions when
/// there are more, sorted ascending.
pub(crate) fn sample_sorted(scaled: &[u64]) -> Vec<u64> {
    let n = scaled.len();
    let mut sample: Vec<u64> = if n <= SAMPLE {
        scaled.to_vec()
    } else {
        let cell = n / SAMPLE;
        (0..SAMPLE)
            .filter_map(|k| {
                let jitter = (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
                // `jitter` < 2^24: a 32-bit remainder when `cell` fits
                // (always, for block-sized runs) is the same and cheaper.
                let offset = match u32::try_from(cell) {
                    Ok(cell32) => (jitter as u32 % cell32) as usize,
                    Err(_) => (jitter % cell as u64) as usize,
                };
                scaled.get(k * cell + offset).copied()
            })
            .collect()
    };
    radix_sort(&mut sample);
    sample
}

/// Sorts ascending with a least-significant-digit radix sort on bytes,
/// skipping the bytes above the largest value and those every value shares:
/// the sample spans a few bytes at most, so this takes a few linear passes.
/// The result is the one sorted order, as with any other sort.
fn radix_sort(values: &mut Vec<u64>) {
    let max = values.iter().fold(0, |acc, &v| acc | v);
    let mut spare = vec![0u64; values.len()];
    let mut shift = 0;
    while shift < u64::BITS && max >> shift != 0 {
        let at = shift;
        let digit = move |v: u64| ((v >> at) & 0xFF) as usize;
        let mut starts = [0usize; 256];
        for &v in values.iter() {
            if let Some(count) = starts.get_mut(digit(v)) {
                *count += 1;
            }
        }
        shift += 8;
        if starts.contains(&values.len()) {
            continue;
        }
        let mut total = 0;
        for start in &mut starts {
            (*start, total) = (total, total + *start);
        }
        for &v in values.iter() {
            if let Some(start) = starts.get_mut(digit(v))
                && let Some(slot) = spare.get_mut(*start)
            {
                *slot = v;
                *start += 1;
            }
        }
        std::mem::swap(values, &mut spare);
    }
}

/// Window `[base, base + 2^width)` holding the most of `sorted`, and how many it holds.
pub(crate) fn best_window(sorted: &[u64], width: u32) -> (u64, usize) {
    // Largest spread `top - bottom` inside the window (width < 64 here).
    let spread = (1u64 << width) - 1;
    let (mut best_base, mut best_count, mut lo) = (sorted.first().copied().unwrap_or(0), 0, 0);
    for (hi, &top) in sorted.iter().enumerate() {
        while sorted.get(lo).is_some_and(|&bottom| top - bottom > spread) {
            lo += 1;
        }
        if hi + 1 - lo > best_count {
            best_count = hi + 1 - lo;
            best_base = sorted.get(lo).copied().unwrap_or(0);
        }
    }
    (best_base, best_count)
}

/// Whether some `count` consecutive values of `sorted` fit in `width` bits.
pub(crate) fn window_fits(sorted: &[u64], count: usize, width: u32) -> bool {
    let spread = (1u64 << width) - 1;
    count == 0
        || sorted
            .iter()
            .zip(sorted.iter().skip(count - 1))
            .any(|(lo, hi)| hi - lo <= spread)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn radix_sort_sorts(mut values in proptest::collection::vec(
            proptest::prop_oneof![0u64..300, proptest::num::u64::ANY, 1u64 << 40..(1 << 40) + 70_000],
            0..700,
        )) {
            let mut expected = values.clone();
            expected.sort_unstable();
            radix_sort(&mut values);
            proptest::prop_assert_eq!(values, expected);
        }
    }
}
