//! The canonical bytes of every label pair of a [`LabelTable`], laid out
//! once per file, so that a series' canonical bytes (for its id) are its
//! metric and a copy of each of its pairs' pieces, with no string looked
//! up or length encoded per series.

use super::label_table::LabelTable;

/// Per pair, its label as [`crate::SeriesMeta::canonical_bytes`] lays one
/// out: the name's length (u32 LE), the name, the value's length, the value.
#[derive(Debug, Default)]
pub(crate) struct PairPieces {
    bytes: Vec<u8>,
    /// `ends[p]` is where pair `p`'s piece ends in `bytes`.
    ends: Vec<usize>,
}

impl PairPieces {
    /// The pieces of every pair of `table`, if they take at most `limit`
    /// bytes: a long string may be named by many pairs, and the pieces
    /// copy it once for each.
    pub(crate) fn of(table: &LabelTable, limit: u64) -> Option<Self> {
        let size: u64 = table
            .pairs()
            .map(|(name, value)| 8 + (name.len() + value.len()) as u64)
            .sum();
        if size > limit {
            return None;
        }
        let mut pieces = PairPieces {
            bytes: Vec::new(),
            ends: Vec::with_capacity(table.pair_count() as usize),
        };
        for (name, value) in table.pairs() {
            for text in [name, value] {
                pieces
                    .bytes
                    .extend_from_slice(&(text.len() as u32).to_le_bytes());
                pieces.bytes.extend_from_slice(text.as_bytes());
            }
            pieces.ends.push(pieces.bytes.len());
        }
        Some(pieces)
    }

    /// Appends the canonical bytes of a series of `metric` and the pairs
    /// `pairs` (in canonical order) to `out`.
    pub(crate) fn write(&self, metric: &str, pairs: impl Iterator<Item = u32>, out: &mut Vec<u8>) {
        out.extend_from_slice(&(metric.len() as u32).to_le_bytes());
        out.extend_from_slice(metric.as_bytes());
        let count_at = out.len();
        out.extend_from_slice(&[0; 4]);
        let mut count = 0u32;
        for p in pairs {
            let p = p as usize;
            let start = match p.checked_sub(1) {
                Some(previous) => self.ends.get(previous).copied().unwrap_or_default(),
                None => 0,
            };
            let end = self.ends.get(p).copied().unwrap_or_default();
            out.extend_from_slice(self.bytes.get(start..end).unwrap_or_default());
            count += 1;
        }
        if let Some(slot) = out.get_mut(count_at..count_at + 4) {
            slot.copy_from_slice(&count.to_le_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SeriesMeta;
    use crate::tsm::cursor::Cursor;
    use crate::tsm::label_table::TableBuilder;

    #[test]
    fn pieces_make_the_canonical_bytes() {
        let mut builder = TableBuilder::default();
        // In canonical (name) order.
        let labels = [("dc", "eu"), ("größe", "ä\"b"), ("host", "")];
        for (name, value) in labels {
            let n = builder.string(name).unwrap();
            builder.pair_of(n, value).unwrap();
        }
        let mut out = Vec::new();
        builder.encode(&mut out);
        let table = LabelTable::decode(&mut Cursor::new(&out, 0)).unwrap();
        let pieces = PairPieces::of(&table, 1 << 20).unwrap();
        assert!(PairPieces::of(&table, 10).is_none(), "over the limit");
        for pairs in [vec![], vec![0], vec![0, 1, 2], vec![1, 2]] {
            let chosen: Vec<(String, String)> = pairs
                .iter()
                .map(|&p| {
                    let (k, v) = labels[p as usize];
                    (k.to_string(), v.to_string())
                })
                .collect();
            let meta = SeriesMeta::new("cpu", chosen);
            let mut bytes = Vec::new();
            pieces.write("cpu", pairs.iter().copied(), &mut bytes);
            assert_eq!(bytes, meta.canonical_bytes(), "{pairs:?}");
        }
    }
}
