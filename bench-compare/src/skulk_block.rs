//! Skulk's `CompressedBlock` with a given codec choice.

use crate::{Contender, Encoded, Sizes};
use skulk_codec::{BLOCK_HEADER_LEN, BlockView, CodecChoice, CompressedBlock};

/// A Skulk block codec: `CompressedBlock::encode_with(.., choice)`.
#[derive(Debug, Clone)]
pub struct SkulkBlock {
    name: String,
    choice: CodecChoice,
}

impl SkulkBlock {
    /// A contender labelled `name` that encodes with `choice`.
    pub fn new(name: &str, choice: CodecChoice) -> Self {
        Self {
            name: name.to_owned(),
            choice,
        }
    }
}

impl Contender for SkulkBlock {
    fn name(&self) -> &str {
        &self.name
    }

    fn encode(&self, timestamps: &[i64], values: &[f64]) -> Encoded {
        match CompressedBlock::encode_with(timestamps, values, self.choice) {
            Ok(block) => Encoded {
                parts: vec![block.into_bytes()],
            },
            Err(e) => panic!("{}: encode failed: {e}", self.name),
        }
    }

    fn decode(
        &self,
        encoded: &Encoded,
        timestamps: &mut Vec<i64>,
        values: &mut Vec<f64>,
    ) -> Result<(), String> {
        let bytes = encoded.parts.first().ok_or("no block")?;
        timestamps.clear();
        values.clear();
        let view = BlockView::parse(bytes).map_err(|e| e.to_string())?;
        view.decode_into(timestamps, values)
            .map_err(|e| e.to_string())
    }

    fn sizes(&self, timestamps: &[i64], values: &[f64]) -> Sizes {
        let encoded = self.encode(timestamps, values);
        let bytes = encoded.parts.first().map(Vec::as_slice).unwrap_or_default();
        let ts_len = bytes
            .get(22..26)
            .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
        Sizes {
            timestamps: ts_len,
            values: bytes.len().saturating_sub(BLOCK_HEADER_LEN + ts_len),
            total: bytes.len(),
        }
    }
}
