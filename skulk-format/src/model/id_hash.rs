//! Hash maps and sets keyed by [`SeriesId`]: a series id is already a
//! well-mixed 64-bit hash of the series key, so hashing it again (as the
//! standard library's SipHash does, at a few nanoseconds per lookup on
//! every point of a write) buys nothing.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use super::SeriesId;

/// A hasher that passes a [`SeriesId`]'s `u64` through unchanged.
///
/// Only for keys that are themselves well-mixed hashes; other input is
/// hashed with FNV-1a, so it stays correct, just not fast.
#[derive(Debug, Default, Clone, Copy)]
pub struct SeriesIdHasher(u64);

impl Hasher for SeriesIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

/// Builds [`SeriesIdHasher`]s.
pub type SeriesIdBuildHasher = BuildHasherDefault<SeriesIdHasher>;

/// A `HashMap` keyed by series id.
///
/// ```
/// use skulk_format::{SeriesIdMap, SeriesMeta};
///
/// let cpu = SeriesMeta::new("cpu", vec![("host".into(), "a".into())]);
/// let mut names = SeriesIdMap::default();
/// names.insert(cpu.id(), cpu.to_string());
/// assert_eq!(names[&cpu.id()], r#"cpu{host="a"}"#);
/// ```
pub type SeriesIdMap<V> = HashMap<SeriesId, V, SeriesIdBuildHasher>;

/// A `HashSet` of series ids.
pub type SeriesIdSet = HashSet<SeriesId, SeriesIdBuildHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn an_id_hashes_to_itself_and_bytes_still_spread() {
        let build = SeriesIdBuildHasher::default();
        assert_eq!(build.hash_one(SeriesId(0xdead_beef)), 0xdead_beef);
        assert_ne!(build.hash_one("a"), build.hash_one("b"));
        let set: SeriesIdSet = [SeriesId(1), SeriesId(2), SeriesId(1)]
            .into_iter()
            .collect();
        assert_eq!(set.len(), 2);
    }
}
