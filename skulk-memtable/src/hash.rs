//! A pass-through hasher for `SeriesId` keys, which are already well-mixed
//! 64-bit hashes.

use std::hash::{BuildHasherDefault, Hasher};

/// Hasher that returns the `u64` it is given.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not reached for `SeriesId` (a `u64`); a plain FNV-1a keeps it correct.
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

/// Builds [`IdHasher`]s.
pub(crate) type IdBuildHasher = BuildHasherDefault<IdHasher>;

/// Heap bytes of a `hashbrown`-backed `HashMap` with `capacity` and entries
/// of `entry` bytes: one bucket per entry slot plus one control byte per
/// bucket and a 16-byte control group tail.
pub(crate) fn map_heap_bytes(capacity: usize, entry: usize) -> usize {
    if capacity == 0 {
        return 0;
    }
    let buckets = if capacity < 8 {
        (capacity + 1).next_power_of_two()
    } else {
        capacity / 7 * 8
    };
    buckets * (entry + 1) + 16
}
