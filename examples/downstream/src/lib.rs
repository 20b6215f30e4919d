//! A codec that lives outside the Skulk workspace, as a downstream crate
//! would write one: timestamps as zig-zag LEB128 varints of their deltas,
//! under an id from the range Skulk reserves for external codecs.
//!
//! Its tests run `skulk-testkit`'s conformance suite on it, and
//! `fuzz/fuzz_targets/varint_decode.rs` fuzzes its decoder through
//! `skulk_testkit::fuzz::timestamp_codec_decode`.
//!
//! ```
//! use skulk_codec::TimestampCodec;
//! use skulk_downstream_example::VarintDeltaTimestamps;
//!
//! let mut payload = Vec::new();
//! VarintDeltaTimestamps.encode(&[1_000, 1_010, 1_020], &mut payload)?;
//! assert_eq!(payload, [0xd0, 0x0f, 0x14, 0x14]);
//! let mut back = Vec::new();
//! assert_eq!(VarintDeltaTimestamps.decode(&payload, 3, &mut back)?, 4);
//! assert_eq!(back, [1_000, 1_010, 1_020]);
//! # Ok::<(), skulk_codec::CodecError>(())
//! ```
#![deny(missing_docs)]

use skulk_codec::{CodecError, CodecId, CodecKind, MAX_BLOCK_POINTS, TimestampCodec};

/// The byte this crate's codec writes into block headers (from
/// [`CodecId::EXTERNAL`]).
pub const ID_BYTE: u8 = 0xC0;

/// Longest LEB128 encoding of a `u64`.
const MAX_VARINT: usize = 10;

/// Timestamps as zig-zag varints of the differences between neighbours
/// (the first against zero).
#[derive(Debug, Clone, Copy, Default)]
pub struct VarintDeltaTimestamps;

impl TimestampCodec for VarintDeltaTimestamps {
    fn id(&self) -> CodecId {
        match CodecId::external(ID_BYTE, CodecKind::Timestamp) {
            Ok(id) => id,
            Err(_) => unreachable!("ID_BYTE lies in the external range"),
        }
    }

    fn max_encoded_len(&self, points: usize) -> usize {
        points.saturating_mul(MAX_VARINT)
    }

    fn encode(&self, timestamps: &[i64], out: &mut Vec<u8>) -> Result<(), CodecError> {
        if timestamps.len() > MAX_BLOCK_POINTS {
            return Err(too_many(timestamps.len()));
        }
        let mut previous = 0i64;
        for &t in timestamps {
            let delta = t.wrapping_sub(previous);
            write_varint(((delta << 1) ^ (delta >> 63)) as u64, out);
            previous = t;
        }
        Ok(())
    }

    fn decode(&self, input: &[u8], count: usize, out: &mut Vec<i64>) -> Result<usize, CodecError> {
        if count > MAX_BLOCK_POINTS {
            return Err(too_many(count));
        }
        // Every item takes at least one byte: never reserve beyond the input.
        out.reserve(count.min(input.len()));
        let start = out.len();
        let (mut offset, mut previous) = (0, 0i64);
        for _ in 0..count {
            let (zigzag, len) = match read_varint(input, offset) {
                Ok(read) => read,
                Err(e) => {
                    out.truncate(start);
                    return Err(e);
                }
            };
            let delta = ((zigzag >> 1) as i64) ^ -((zigzag & 1) as i64);
            previous = previous.wrapping_add(delta);
            out.push(previous);
            offset += len;
        }
        Ok(offset)
    }
}

fn too_many(count: usize) -> CodecError {
    CodecError::TooManyPoints {
        count: count as u64,
        max: MAX_BLOCK_POINTS,
    }
}

fn write_varint(mut value: u64, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// The varint at `offset` and its length; a truncated or over-long one is
/// an error naming the offset.
fn read_varint(input: &[u8], offset: usize) -> Result<(u64, usize), CodecError> {
    let mut value = 0u64;
    for i in 0..MAX_VARINT {
        let Some(&byte) = input.get(offset + i) else {
            return Err(CodecError::Truncated {
                offset: offset + i,
                needed: 1,
                available: 0,
            });
        };
        if i == MAX_VARINT - 1 && byte > 1 {
            return Err(CodecError::Corrupt {
                what: "varint of at most 64 bits",
                offset: offset + i,
            });
        }
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    Err(CodecError::Corrupt {
        what: "varint of at most 10 bytes",
        offset,
    })
}
