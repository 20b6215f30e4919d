//! pcodec (`pco`) at its default level: timestamps and values compressed as
//! two separate standalone chunks.

use crate::{Contender, Encoded, Sizes};
use pco::ChunkConfig;
use pco::standalone::{simple_compress, simple_decompress};

/// `pco` standalone chunks, default config (level 8).
#[derive(Debug, Clone, Copy, Default)]
pub struct PcoChunks;

impl Contender for PcoChunks {
    fn name(&self) -> &str {
        "pco (level 8)"
    }

    fn encode(&self, timestamps: &[i64], values: &[f64]) -> Encoded {
        let config = ChunkConfig::default();
        let ts = simple_compress(timestamps, &config);
        let vs = simple_compress(values, &config);
        match (ts, vs) {
            (Ok(ts), Ok(vs)) => Encoded { parts: vec![ts, vs] },
            (Err(e), _) | (_, Err(e)) => panic!("pco: compress failed: {e}"),
        }
    }

    fn decode(
        &self,
        encoded: &Encoded,
        timestamps: &mut Vec<i64>,
        values: &mut Vec<f64>,
    ) -> Result<(), String> {
        let [ts, vs] = encoded.parts.as_slice() else {
            return Err("expected two chunks".into());
        };
        *timestamps = simple_decompress(ts).map_err(|e| e.to_string())?;
        *values = simple_decompress(vs).map_err(|e| e.to_string())?;
        Ok(())
    }

    fn sizes(&self, timestamps: &[i64], values: &[f64]) -> Sizes {
        let encoded = self.encode(timestamps, values);
        let len = |i: usize| encoded.parts.get(i).map_or(0, Vec::len);
        Sizes { timestamps: len(0), values: len(1), total: encoded.len() }
    }
}
