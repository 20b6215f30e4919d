//! Postings lists: sorted, duplicate-free series numbers, and the set
//! operations matchers combine them with.

/// A series' number in the catalog: dense, assigned in order of arrival.
pub(crate) type SeriesRef = u32;

/// The series in both sorted lists. Gallops through the longer list when
/// the lengths differ a lot, so a short list costs little against a long
/// one.
pub(crate) fn intersect(a: &[SeriesRef], b: &[SeriesRef]) -> Vec<SeriesRef> {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let mut out = Vec::with_capacity(short.len());
    if short.len().saturating_mul(16) < long.len() {
        let mut rest = long;
        for &x in short {
            let at = gallop(rest, x);
            rest = rest.get(at..).unwrap_or_default();
            if rest.first() == Some(&x) {
                out.push(x);
            }
        }
        return out;
    }
    let (mut i, mut j) = (0, 0);
    while let (Some(&x), Some(&y)) = (short.get(i), long.get(j)) {
        match x.cmp(&y) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(x);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// The series of `a` not in `b` (both sorted).
pub(crate) fn difference(a: &[SeriesRef], b: &[SeriesRef]) -> Vec<SeriesRef> {
    let mut out = Vec::with_capacity(a.len());
    let mut rest = b;
    for &x in a {
        let at = gallop(rest, x);
        rest = rest.get(at..).unwrap_or_default();
        if rest.first() != Some(&x) {
            out.push(x);
        }
    }
    out
}

/// The union of sorted lists, sorted. Few series are gathered and sorted;
/// many are marked in a bitmap of `universe` bits (every series number is
/// below it).
pub(crate) fn union<'a>(
    lists: impl IntoIterator<Item = &'a [SeriesRef]>,
    universe: usize,
) -> Vec<SeriesRef> {
    let lists: Vec<&[SeriesRef]> = lists.into_iter().filter(|l| !l.is_empty()).collect();
    match lists.as_slice() {
        [] => return Vec::new(),
        [one] => return one.to_vec(),
        _ => {}
    }
    let total: usize = lists.iter().map(|l| l.len()).sum();
    if total.saturating_mul(32) < universe {
        let mut out: Vec<SeriesRef> = Vec::with_capacity(total);
        for list in lists {
            out.extend_from_slice(list);
        }
        out.sort_unstable();
        out.dedup();
        return out;
    }
    let mut bits = vec![0u64; universe.div_ceil(64)];
    for list in lists {
        for &x in list {
            if let Some(word) = bits.get_mut(x as usize / 64) {
                *word |= 1 << (x % 64);
            }
        }
    }
    let mut out = Vec::with_capacity(total);
    for (w, &word) in bits.iter().enumerate() {
        let mut word = word;
        while word != 0 {
            let bit = word.trailing_zeros();
            // Below `universe` <= u32::MAX + 1 by construction.
            out.push((w as u64 * 64 + u64::from(bit)) as SeriesRef);
            word &= word - 1;
        }
    }
    out
}

/// The first position of `sorted` holding a value `>= x`.
fn gallop(sorted: &[SeriesRef], x: SeriesRef) -> usize {
    let mut bound = 1;
    while sorted.get(bound).is_some_and(|&v| v < x) {
        bound *= 2;
    }
    let lo = bound / 2;
    let hi = (bound + 1).min(sorted.len());
    lo + sorted
        .get(lo..hi)
        .unwrap_or_default()
        .partition_point(|&v| v < x)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    fn sorted(v: Vec<u32>) -> Vec<u32> {
        v.into_iter().collect::<BTreeSet<_>>().into_iter().collect()
    }

    proptest! {
        #[test]
        fn operations_agree_with_sets(
            a in proptest::collection::vec(0u32..2000, 0..300),
            b in proptest::collection::vec(0u32..2000, 0..40),
            c in proptest::collection::vec(0u32..2000, 0..900),
        ) {
            let (a, b, c) = (sorted(a), sorted(b), sorted(c));
            let sa: BTreeSet<u32> = a.iter().copied().collect();
            let sb: BTreeSet<u32> = b.iter().copied().collect();
            let sc: BTreeSet<u32> = c.iter().copied().collect();
            let both: Vec<u32> = sa.intersection(&sb).copied().collect();
            prop_assert_eq!(intersect(&a, &b), both.clone());
            prop_assert_eq!(intersect(&b, &a), both);
            let minus: Vec<u32> = sa.difference(&sb).copied().collect();
            prop_assert_eq!(difference(&a, &b), minus);
            let all: Vec<u32> = sa.union(&sb).chain(sc.iter()).copied()
                .collect::<BTreeSet<_>>().into_iter().collect();
            let lists = [a.as_slice(), b.as_slice(), c.as_slice()];
            prop_assert_eq!(union(lists, 2000), all.clone());
            prop_assert_eq!(union(lists, 1 << 20), all);
        }
    }

    #[test]
    fn gallop_finds_the_first_not_smaller() {
        let v = [1, 3, 5, 7, 9, 11, 13];
        for x in 0..15 {
            assert_eq!(gallop(&v, x), v.partition_point(|&y| y < x), "{x}");
        }
        assert_eq!(gallop(&[], 4), 0);
    }
}
