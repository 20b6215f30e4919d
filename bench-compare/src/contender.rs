//! The contender interface: encode one block, decode it back.

/// Encoded form of one block: one or more byte buffers.
#[derive(Debug, Clone, Default)]
pub struct Encoded {
    /// The buffers (e.g. a timestamp chunk and a value chunk).
    pub parts: Vec<Vec<u8>>,
}

impl Encoded {
    /// Total bytes over all parts.
    pub fn len(&self) -> usize {
        self.parts.iter().map(Vec::len).sum()
    }

    /// True when there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Bytes one block takes, split by column where the codec allows it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sizes {
    /// Timestamp bytes.
    pub timestamps: usize,
    /// Value bytes.
    pub values: usize,
    /// Everything, headers included.
    pub total: usize,
}

impl std::ops::AddAssign for Sizes {
    fn add_assign(&mut self, other: Sizes) {
        self.timestamps += other.timestamps;
        self.values += other.values;
        self.total += other.total;
    }
}

/// One codec under comparison.
pub trait Contender {
    /// Row label in the table.
    fn name(&self) -> &str;
    /// Encodes one block of points.
    fn encode(&self, timestamps: &[i64], values: &[f64]) -> Encoded;
    /// Decodes one block, replacing the contents of `timestamps` and
    /// `values`; `Err` describes a failure to decode.
    fn decode(
        &self,
        encoded: &Encoded,
        timestamps: &mut Vec<i64>,
        values: &mut Vec<f64>,
    ) -> Result<(), String>;
    /// Size of one block by column; called outside the timed loops.
    fn sizes(&self, timestamps: &[i64], values: &[f64]) -> Sizes;
}
