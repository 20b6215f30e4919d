//! Uncompressed codecs: 8 little-endian bytes per item.
//!
//! The fallback every selector can use, and a reference implementation of
//! the traits for tests.

use crate::{CodecError, CodecId, Result, TimestampCodec, ValueCodec, check_count};

/// Timestamps as plain little-endian `i64`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawTimestamps;

/// Values as plain little-endian `f64` bit patterns.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawValues;

fn decode_words(input: &[u8], count: usize) -> Result<(&[u8], usize)> {
    check_count(count)?;
    let needed = count * 8;
    match input.get(..needed) {
        Some(words) => Ok((words, needed)),
        None => Err(CodecError::Truncated {
            offset: input.len(),
            needed: needed - input.len(),
            available: input.len(),
        }),
    }
}

fn words(bytes: &[u8]) -> impl Iterator<Item = [u8; 8]> + '_ {
    bytes.chunks_exact(8).map(|chunk| {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        word
    })
}

impl TimestampCodec for RawTimestamps {
    fn id(&self) -> CodecId {
        CodecId::RawTimestamps
    }

    fn max_encoded_len(&self, points: usize) -> usize {
        points.saturating_mul(8)
    }

    fn encode(&self, timestamps: &[i64], out: &mut Vec<u8>) -> Result<()> {
        check_count(timestamps.len())?;
        out.reserve(timestamps.len() * 8);
        timestamps
            .iter()
            .for_each(|ts| out.extend_from_slice(&ts.to_le_bytes()));
        Ok(())
    }

    fn decode(&self, input: &[u8], count: usize, out: &mut Vec<i64>) -> Result<usize> {
        let (bytes, consumed) = decode_words(input, count)?;
        out.extend(words(bytes).map(i64::from_le_bytes));
        Ok(consumed)
    }
}

impl ValueCodec for RawValues {
    fn id(&self) -> CodecId {
        CodecId::RawValues
    }

    fn max_encoded_len(&self, points: usize) -> usize {
        points.saturating_mul(8)
    }

    fn encode(&self, values: &[f64], out: &mut Vec<u8>) -> Result<()> {
        check_count(values.len())?;
        out.reserve(values.len() * 8);
        values
            .iter()
            .for_each(|v| out.extend_from_slice(&v.to_bits().to_le_bytes()));
        Ok(())
    }

    fn decode(&self, input: &[u8], count: usize, out: &mut Vec<f64>) -> Result<usize> {
        let (bytes, consumed) = decode_words(input, count)?;
        out.extend(words(bytes).map(|w| f64::from_bits(u64::from_le_bytes(w))));
        Ok(consumed)
    }
}
