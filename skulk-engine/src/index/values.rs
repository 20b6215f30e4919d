//! The values of one label name, kept in byte order for listing and for
//! narrowing a regular expression to the values under a literal prefix.

use super::catalog::{Pair, PairId};
use super::symbols::Symbols;

/// The pairs of one name: most sorted by value, the newest in arrival
/// order until there are enough of them to merge in (an eighth of the
/// sorted ones, at least [`PENDING_MIN`]), so that adding a value costs a
/// few moves on average however many values the name has.
#[derive(Debug, Default, Clone)]
pub(crate) struct Values {
    sorted: Vec<PairId>,
    pending: Vec<PairId>,
}

/// Values left unsorted before a merge, at least.
const PENDING_MIN: usize = 64;

fn text<'a>(p: PairId, pairs: &[Pair], symbols: &'a Symbols) -> &'a str {
    pairs
        .get(p as usize)
        .map_or("", |pair| symbols.resolve(pair.value))
}

impl Values {
    /// Adds pair `p` (new to this name).
    pub fn add(&mut self, p: PairId, pairs: &[Pair], symbols: &Symbols) {
        self.pending.push(p);
        if self.pending.len() > PENDING_MIN.max(self.sorted.len() / 8) {
            self.settle(pairs, symbols);
        }
    }

    /// Merges the unsorted values in.
    pub fn settle(&mut self, pairs: &[Pair], symbols: &Symbols) {
        if self.pending.is_empty() {
            return;
        }
        let by_text =
            |a: &PairId, b: &PairId| text(*a, pairs, symbols).cmp(text(*b, pairs, symbols));
        self.pending.sort_unstable_by(by_text);
        let mut merged = Vec::with_capacity(self.sorted.len() + self.pending.len());
        let (mut i, mut j) = (0, 0);
        while let (Some(a), Some(b)) = (self.sorted.get(i), self.pending.get(j)) {
            if by_text(a, b).is_le() {
                merged.push(*a);
                i += 1;
            } else {
                merged.push(*b);
                j += 1;
            }
        }
        merged.extend_from_slice(self.sorted.get(i..).unwrap_or_default());
        merged.extend_from_slice(self.pending.get(j..).unwrap_or_default());
        self.sorted = merged;
        self.pending = Vec::new();
    }

    /// Every value's pair, in no particular order.
    pub fn all(&self) -> impl Iterator<Item = PairId> + '_ {
        self.sorted.iter().chain(&self.pending).copied()
    }

    /// The pairs whose value starts with `prefix`: a range of the sorted
    /// ones, and the matching unsorted ones.
    pub fn with_prefix<'a>(
        &'a self,
        prefix: &'a str,
        pairs: &'a [Pair],
        symbols: &'a Symbols,
    ) -> impl Iterator<Item = PairId> + 'a {
        let start = self
            .sorted
            .partition_point(|&p| text(p, pairs, symbols) < prefix);
        let sorted = self.sorted.get(start..).unwrap_or_default().iter().copied();
        let sorted = sorted.take_while(move |&p| text(p, pairs, symbols).starts_with(prefix));
        let pending = self.pending.iter().copied();
        sorted.chain(pending.filter(move |&p| text(p, pairs, symbols).starts_with(prefix)))
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.sorted.len() + self.pending.len()
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        (self.sorted.capacity() + self.pending.capacity()) * std::mem::size_of::<PairId>()
    }
}
