#![doc = include_str!("../README.md")]
// One `unsafe` call, to the decoder compiled for AVX2 and FMA after the
// CPU was checked for them (`alp/fused.rs`).
#![deny(unsafe_code)]
// Bad input never panics (clippy.toml lets unit tests use these).
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod alp;
mod alp_rd;
mod alp_vectors;
#[cfg(feature = "unstable-internals")]
pub mod bitio;
#[cfg(not(feature = "unstable-internals"))]
mod bitio;
mod bitpack;
mod block;
mod centred;
mod choice;
mod delta_pack;
mod error;
mod gorilla;
mod id;
mod pfor;
mod raw;
mod registry;
mod selector;
mod step;
mod traits;

pub use alp::AlpValues;
pub use alp_rd::AlpRdValues;
pub use alp_vectors::AlpVectorValues;
pub use block::{BLOCK_HEADER_LEN, BlockHeader, BlockView, CompressedBlock};
pub use choice::CodecChoice;
pub use delta_pack::DeltaPackTimestamps;
pub use error::{CodecError, Result};
pub use gorilla::{
    GorillaTimestampAppender, GorillaTimestamps, GorillaValueAppender, GorillaValues,
};
pub use id::{CodecId, CodecKind};
pub use raw::{RawTimestamps, RawValues};
pub use registry::{timestamp_codec, value_codec};
#[cfg(feature = "unstable-internals")]
pub use selector::{encode_timestamps_adaptive, encode_values_adaptive};
pub use step::StepTimestamps;
pub use traits::{Appender, MAX_BLOCK_POINTS, TimestampCodec, ValueCodec, check_count};
