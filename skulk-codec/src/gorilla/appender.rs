//! Streaming Gorilla encoders for in-memory head chunks.
//!
//! An appender's sealed bytes equal the block encoding of the same items, so
//! they decode with [`super::GorillaTimestamps`] / [`super::GorillaValues`]
//! and a count of [`Appender::len`].

use super::timestamps::TimestampEncoder;
use super::values::ValueEncoder;
use crate::bitio::BitWriter;
use crate::{Appender, CodecError, CodecId, MAX_BLOCK_POINTS, Result};

/// Shared bookkeeping: the bit writer, the item count and the capacity.
#[derive(Debug, Clone)]
struct Stream {
    writer: BitWriter,
    len: usize,
    capacity: usize,
}

impl Stream {
    fn new(capacity: usize) -> Result<Self> {
        if capacity > MAX_BLOCK_POINTS {
            return Err(CodecError::TooManyPoints {
                count: capacity as u64,
                max: MAX_BLOCK_POINTS,
            });
        }
        Ok(Self {
            writer: BitWriter::default(),
            len: 0,
            capacity,
        })
    }

    fn reserve_one(&mut self) -> Result<()> {
        if self.len >= self.capacity {
            return Err(CodecError::Full {
                capacity: self.capacity,
            });
        }
        self.len += 1;
        Ok(())
    }
}

macro_rules! appender {
    ($name:ident, $encoder:ty, $item:ty, $id:expr, $what:literal) => {
        #[doc = concat!("Streaming Gorilla encoder for ", $what, ", one item at a time.")]
        #[derive(Debug, Clone)]
        pub struct $name {
            stream: Stream,
            encoder: $encoder,
        }

        impl $name {
            /// An appender that holds up to [`MAX_BLOCK_POINTS`] items.
            pub fn new() -> Self {
                Self {
                    stream: Stream {
                        writer: BitWriter::default(),
                        len: 0,
                        capacity: MAX_BLOCK_POINTS,
                    },
                    encoder: Default::default(),
                }
            }

            /// An appender that refuses items beyond `capacity`, which must
            /// not exceed [`MAX_BLOCK_POINTS`].
            pub fn with_capacity(capacity: usize) -> Result<Self> {
                Ok(Self {
                    stream: Stream::new(capacity)?,
                    encoder: Default::default(),
                })
            }

            /// The capacity in items.
            pub fn capacity(&self) -> usize {
                self.stream.capacity
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl Appender for $name {
            type Item = $item;

            fn id(&self) -> CodecId {
                $id
            }

            fn push(&mut self, item: $item) -> Result<()> {
                self.stream.reserve_one()?;
                self.encoder.push(&mut self.stream.writer, item);
                Ok(())
            }

            fn len(&self) -> usize {
                self.stream.len
            }

            fn encoded_len(&self) -> usize {
                let pending = self.encoder.pending_bits() as usize;
                (self.stream.writer.len_bits() + pending).div_ceil(8)
            }

            fn finish(mut self) -> Vec<u8> {
                self.encoder.flush(&mut self.stream.writer);
                self.stream.writer.finish()
            }
        }
    };
}

appender!(
    GorillaTimestampAppender,
    TimestampEncoder,
    i64,
    CodecId::GorillaTimestamps,
    "timestamps"
);
appender!(
    GorillaValueAppender,
    ValueEncoder,
    f64,
    CodecId::GorillaValues,
    "values"
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GorillaTimestamps, GorillaValues, TimestampCodec, ValueCodec};

    #[test]
    fn appenders_match_the_block_encoders() {
        let ts: Vec<i64> = (0..500).map(|i| i * 1_000_000_007 + (i % 7) * 13).collect();
        let vs: Vec<f64> = (0..500).map(|i| (i as f64 * 0.37).sin()).collect();
        let mut ta = GorillaTimestampAppender::new();
        let mut va = GorillaValueAppender::new();
        for (&t, &v) in ts.iter().zip(&vs) {
            ta.push(t).unwrap();
            va.push(v).unwrap();
        }
        assert_eq!((ta.len(), va.len()), (500, 500));
        let (mut tb, mut vb) = (Vec::new(), Vec::new());
        GorillaTimestamps.encode(&ts, &mut tb).unwrap();
        GorillaValues.encode(&vs, &mut vb).unwrap();
        assert_eq!(ta.encoded_len(), tb.len());
        assert_eq!(va.encoded_len(), vb.len());
        assert_eq!(ta.finish(), tb);
        assert_eq!(va.finish(), vb);
    }

    #[test]
    fn pending_zero_runs_are_counted_and_flushed() {
        let mut ts: Vec<i64> = (0..300).map(|i| i * 1_000).collect();
        ts.extend([7, 7, 7, 9]);
        let mut appender = GorillaTimestampAppender::new();
        for (i, &t) in ts.iter().enumerate() {
            appender.push(t).unwrap();
            let mut block = Vec::new();
            GorillaTimestamps.encode(&ts[..=i], &mut block).unwrap();
            assert_eq!(
                appender.encoded_len(),
                block.len(),
                "after {} points",
                i + 1
            );
        }
        let mut block = Vec::new();
        GorillaTimestamps.encode(&ts, &mut block).unwrap();
        assert_eq!(appender.finish(), block);
    }

    #[test]
    fn a_full_appender_refuses_more() {
        let mut a = GorillaValueAppender::with_capacity(2).unwrap();
        a.push(1.0).unwrap();
        a.push(2.0).unwrap();
        assert_eq!(a.push(3.0), Err(CodecError::Full { capacity: 2 }));
        assert_eq!(a.len(), 2);
        assert!(GorillaTimestampAppender::with_capacity(MAX_BLOCK_POINTS + 1).is_err());
    }
}
