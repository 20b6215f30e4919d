//! Skulk: an embeddable, lossless, compact time-series storage engine
