//! Skulk write-ahead log: segments, group commit, recovery, truncation
