//! The bloom filter over a file's series ids, see `FORMAT.md`, "Bloom filter".

use super::cursor::Cursor;
use crate::{FormatError, Result, SeriesId};

/// Largest hash count a file may declare.
const MAX_HASHES: u32 = 32;
/// Encoded size of the bloom filter's fixed fields.
const BLOOM_HEADER_LEN: usize = 8;

/// A bloom filter over series ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BloomFilter {
    hashes: u32,
    words: Vec<u64>,
}

impl BloomFilter {
    /// An empty filter sized for `items` ids at false-positive rate `rate`
    /// (`0 < rate < 1`, checked by the writer options).
    pub(crate) fn with_rate(items: usize, rate: f64) -> Self {
        let n = items.max(1) as f64;
        let ln2 = std::f64::consts::LN_2;
        let bits = (-n * rate.ln() / (ln2 * ln2)).ceil().max(64.0);
        let words = (bits / 64.0).ceil();
        let hashes = (words * 64.0 / n * ln2)
            .round()
            .clamp(1.0, f64::from(MAX_HASHES));
        Self {
            hashes: hashes as u32,
            words: vec![0; words as usize],
        }
    }

    fn probes(&self, id: SeriesId) -> impl Iterator<Item = (usize, u64)> + use<> {
        let bits = self.words.len() as u64 * 64;
        let h1 = id.0;
        let h2 = id.0.rotate_left(32) | 1;
        (0..u64::from(self.hashes)).map(move |i| {
            let bit = h1.wrapping_add(i.wrapping_mul(h2)) % bits;
            ((bit / 64) as usize, 1u64 << (bit % 64))
        })
    }

    /// Adds `id`.
    pub(crate) fn insert(&mut self, id: SeriesId) {
        for (word, mask) in self.probes(id) {
            if let Some(w) = self.words.get_mut(word) {
                *w |= mask;
            }
        }
    }

    /// False when `id` is certainly absent.
    pub(crate) fn may_contain(&self, id: SeriesId) -> bool {
        self.probes(id)
            .all(|(word, mask)| self.words.get(word).is_some_and(|w| w & mask != 0))
    }

    /// Number of hash functions.
    pub(crate) fn hashes(&self) -> u32 {
        self.hashes
    }

    /// Size of the bit array in bits.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.words.capacity() * 8
    }

    pub(crate) fn bits(&self) -> u64 {
        self.words.len() as u64 * 64
    }

    /// Encoded size in bytes.
    pub(crate) fn encoded_len(&self) -> usize {
        BLOOM_HEADER_LEN + 8 * self.words.len()
    }

    /// Appends the encoding to `out`.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.hashes.to_le_bytes());
        out.extend_from_slice(&(self.words.len() as u32).to_le_bytes());
        for word in &self.words {
            out.extend_from_slice(&word.to_le_bytes());
        }
    }

    /// Decodes a filter spanning exactly `bytes`, which start at file offset
    /// `base`.
    pub(crate) fn decode(bytes: &[u8], base: u64) -> Result<Self> {
        let mut cursor = Cursor::new(bytes, base);
        let hashes = cursor.u32("bloom hash count")?;
        if !(1..=MAX_HASHES).contains(&hashes) {
            return Err(FormatError::corrupt("bloom hash count in 1..=32", base));
        }
        let word_count = cursor.u32("bloom word count")? as usize;
        if word_count == 0 || word_count.checked_mul(8) != Some(cursor.remaining()) {
            return Err(FormatError::corrupt(
                "bloom word count matching its length",
                base + 4,
            ));
        }
        let words = cursor
            .take(cursor.remaining(), "bloom words")?
            .chunks_exact(8)
            .map(|chunk| {
                let mut word = [0u8; 8];
                word.copy_from_slice(chunk);
                u64::from_le_bytes(word)
            })
            .collect();
        Ok(Self { hashes, words })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserted_ids_are_found_and_the_filter_round_trips() {
        let mut bloom = BloomFilter::with_rate(100, 0.01);
        for i in 0..100u64 {
            bloom.insert(SeriesId(i.wrapping_mul(0x9e37_79b9_7f4a_7c15)));
        }
        let mut bytes = Vec::new();
        bloom.encode(&mut bytes);
        assert_eq!(bytes.len(), bloom.encoded_len());
        let decoded = BloomFilter::decode(&bytes, 0).unwrap();
        assert_eq!(decoded, bloom);
        for i in 0..100u64 {
            assert!(decoded.may_contain(SeriesId(i.wrapping_mul(0x9e37_79b9_7f4a_7c15))));
        }
    }

    #[test]
    fn sizing_follows_the_rate() {
        let bloom = BloomFilter::with_rate(1000, 0.01);
        assert_eq!(bloom.hashes(), 7);
        assert!(
            (9_585..9_585 + 64).contains(&bloom.bits()),
            "{}",
            bloom.bits()
        );
        assert_eq!(BloomFilter::with_rate(0, 0.5).bits(), 64);
    }

    #[test]
    fn bad_fields_are_refused() {
        let mut bytes = Vec::new();
        BloomFilter::with_rate(10, 0.01).encode(&mut bytes);
        let mut zero_hashes = bytes.clone();
        zero_hashes[..4].copy_from_slice(&0u32.to_le_bytes());
        assert!(BloomFilter::decode(&zero_hashes, 0).is_err());
        assert!(BloomFilter::decode(&bytes[..bytes.len() - 1], 0).is_err());
        assert!(BloomFilter::decode(&bytes[..6], 0).is_err());
    }
}
