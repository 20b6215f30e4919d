//! Peer comparison of Skulk's codecs with `tsz` (a public Rust Gorilla) and
//! `pco` (pcodec) on the real datasets: bytes per point, encode and decode
//! throughput, and whether each contender round-trips bit-exactly.
//!
//! Unpublished; run it with `cargo bench -p skulk-bench-compare --bench table`.
//! A new contender is one [`Contender`] implementation (or one more
//! [`SkulkBlock`] with another [`skulk_codec::CodecChoice`]) added to
//! [`contenders`].

#![forbid(unsafe_code)]

mod contender;
mod measure;
mod pco_chunks;
mod skulk_block;
pub mod synthetic;
mod table;
mod targets;
mod tsz_gorilla;

pub use contender::{Contender, Encoded, Sizes};
pub use measure::{Measurement, RUNS, measure_all};
pub use pco_chunks::PcoChunks;
pub use skulk_block::SkulkBlock;
pub use table::{decode_ratios, markdown_header, markdown_row};
pub use targets::{targets_header, targets_row};
pub use tsz_gorilla::{TszGorilla, TszTime};

use skulk_codec::CodecChoice;

/// Every contender of the comparison, in table order.
pub fn contenders() -> Vec<Box<dyn Contender>> {
    vec![
        Box::new(SkulkBlock::new("skulk-adaptive", CodecChoice::Adaptive)),
        Box::new(SkulkBlock::new(
            "skulk-adaptive v1",
            CodecChoice::AdaptiveV1,
        )),
        Box::new(SkulkBlock::new("skulk gorilla", CodecChoice::GORILLA)),
        Box::new(TszGorilla::new(TszTime::Nanoseconds)),
        Box::new(TszGorilla::new(TszTime::Seconds)),
        Box::new(PcoChunks),
    ]
}
