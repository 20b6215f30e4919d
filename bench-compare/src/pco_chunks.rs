//! pcodec (`pco`) at its default level: timestamps and values compressed as
//! two separate standalone chunks.

use crate::{Contender, Encoded, Sizes};
use pco::ChunkConfig;
use pco::data_types::Number;
use pco::standalone::{FileDecompressor, simple_compress, simple_decompress_into};

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
            (Ok(ts), Ok(vs)) => Encoded {
                parts: vec![ts, vs],
            },
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
        decompress_into(ts, timestamps, 0)?;
        decompress_into(vs, values, 0.0)
    }

    fn sizes(&self, timestamps: &[i64], values: &[f64]) -> Sizes {
        let encoded = self.encode(timestamps, values);
        let len = |i: usize| encoded.parts.get(i).map_or(0, Vec::len);
        Sizes {
            timestamps: len(0),
            values: len(1),
            total: encoded.len(),
        }
    }
}

/// Decompresses a standalone chunk into `dst`, reusing its allocation as a
/// reader decoding block after block would (the same as the Skulk and `tsz`
/// contenders, which decode into reused vectors).
fn decompress_into<T: Number>(src: &[u8], dst: &mut Vec<T>, zero: T) -> Result<(), String> {
    let (file, _) = FileDecompressor::new(src).map_err(|e| e.to_string())?;
    dst.clear();
    dst.resize(file.n_hint(), zero);
    let progress = simple_decompress_into(src, dst).map_err(|e| e.to_string())?;
    if !progress.finished {
        return Err("pco: more numbers than the chunk's count hint".into());
    }
    dst.truncate(progress.n_processed);
    Ok(())
}
