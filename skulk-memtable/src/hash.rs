//! Heap accounting for the maps keyed by series id (which hash with
//! [`skulk_format::SeriesIdBuildHasher`]).

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
