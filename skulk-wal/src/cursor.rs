//! A bounds-checked little-endian reader over a payload.

/// Why a payload did not decode, and where (offset into the payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DecodeError {
    /// Offset into the payload.
    pub offset: usize,
    /// What was wrong.
    pub what: &'static str,
}

impl DecodeError {
    pub(crate) fn at(offset: usize, what: &'static str) -> Self {
        Self { offset, what }
    }
}

/// Reads fixed-width little-endian fields, never past the end.
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len());
        let slice = end.and_then(|end| self.bytes.get(self.pos..end));
        let slice = slice.ok_or(DecodeError::at(self.pos, "payload ends inside a field"))?;
        self.pos += n;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let at = self.pos;
        self.take(N)?
            .try_into()
            .map_err(|_| DecodeError::at(at, "payload ends inside a field"))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        self.array().map(u32::from_le_bytes)
    }

    pub(crate) fn u64(&mut self) -> Result<u64, DecodeError> {
        self.array().map(u64::from_le_bytes)
    }

    pub(crate) fn i64(&mut self) -> Result<i64, DecodeError> {
        self.array().map(i64::from_le_bytes)
    }

    /// A `u32` byte length followed by that many bytes of UTF-8.
    pub(crate) fn string(&mut self) -> Result<String, DecodeError> {
        let len = self.u32()? as usize;
        let at = self.pos;
        let bytes = self.take(len)?;
        let s =
            std::str::from_utf8(bytes).map_err(|_| DecodeError::at(at, "string is not UTF-8"))?;
        Ok(s.to_owned())
    }

    /// Fails unless every byte was read.
    pub(crate) fn finish(&self) -> Result<(), DecodeError> {
        if self.remaining() == 0 {
            Ok(())
        } else {
            Err(DecodeError::at(
                self.pos,
                "unexpected bytes after the payload",
            ))
        }
    }
}
