//! The `tsz` crate (Gorilla as in the paper: 14-bit first delta, 32-bit
//! delta-of-delta buckets, interleaved timestamps and values).

use crate::{Contender, Encoded, Sizes};
use tsz::decode::Error as TszError;
use tsz::stream::{BufferedReader, BufferedWriter};
use tsz::{DataPoint, Decode, Encode, StdDecoder, StdEncoder};

const NS_PER_S: i64 = 1_000_000_000;

/// The unit of the times fed to `tsz`, which takes `u64` times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TszTime {
    /// The nanosecond timestamps as they are (`i64 as u64`): how a user of
    /// a nanosecond store would call it.
    Nanoseconds,
    /// Timestamps floored to whole seconds, tsz's design point; lossy for
    /// sub-second data (reported as not bit-exact).
    Seconds,
}

/// `tsz::StdEncoder` / `StdDecoder` over one block.
#[derive(Debug, Clone, Copy)]
pub struct TszGorilla {
    time: TszTime,
}

impl TszGorilla {
    /// A contender feeding `tsz` times in the given unit.
    pub fn new(time: TszTime) -> Self {
        Self { time }
    }

    fn tsz_time(&self, ts: i64) -> u64 {
        match self.time {
            TszTime::Nanoseconds => ts as u64,
            TszTime::Seconds => ts.div_euclid(NS_PER_S) as u64,
        }
    }

    fn timestamp(&self, time: u64) -> i64 {
        match self.time {
            TszTime::Nanoseconds => time as i64,
            TszTime::Seconds => (time as i64).wrapping_mul(NS_PER_S),
        }
    }

    fn encode_points(&self, timestamps: &[i64], values: impl Iterator<Item = f64>) -> Box<[u8]> {
        let start = timestamps.first().map_or(0, |&t| self.tsz_time(t));
        let mut encoder = StdEncoder::new(start, BufferedWriter::new());
        for (&t, v) in timestamps.iter().zip(values) {
            encoder.encode(DataPoint::new(self.tsz_time(t), v));
        }
        encoder.close()
    }
}

impl Contender for TszGorilla {
    fn name(&self) -> &str {
        match self.time {
            TszTime::Nanoseconds => "tsz (ns)",
            TszTime::Seconds => "tsz (fed seconds)",
        }
    }

    fn encode(&self, timestamps: &[i64], values: &[f64]) -> Encoded {
        let bytes = self.encode_points(timestamps, values.iter().copied());
        Encoded {
            parts: vec![bytes.into_vec()],
        }
    }

    fn decode(
        &self,
        encoded: &Encoded,
        timestamps: &mut Vec<i64>,
        values: &mut Vec<f64>,
    ) -> Result<(), String> {
        let bytes = encoded.parts.first().ok_or("no stream")?;
        timestamps.clear();
        values.clear();
        // tsz's reader takes ownership of its input.
        let mut decoder = StdDecoder::new(BufferedReader::new(bytes.clone().into_boxed_slice()));
        loop {
            match decoder.next() {
                Ok(point) => {
                    timestamps.push(self.timestamp(point.get_time()));
                    values.push(point.get_value());
                }
                Err(TszError::EndOfStream) => return Ok(()),
                Err(e) => return Err(e.to_string()),
            }
        }
    }

    /// Timestamps are measured as a stream with constant values (the value
    /// column then costs 8 bytes plus one bit per point, included);
    /// values as the rest of the full stream.
    fn sizes(&self, timestamps: &[i64], values: &[f64]) -> Sizes {
        let total = self.encode(timestamps, values).len();
        let ts_only = self.encode_points(timestamps, std::iter::repeat(0.0)).len();
        Sizes {
            timestamps: ts_only,
            values: total.saturating_sub(ts_only),
            total,
        }
    }
}
