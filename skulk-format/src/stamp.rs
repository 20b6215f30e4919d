//! `Stamp`: the 20-byte self-checking record that heads a WAL segment and
//! makes up the engine's `CHECKPOINT` file (`FORMAT.md`, "Stamp").
//!
//! ```text
//! +---------+---------+----------+-----------+---------+
//! | magic 4 | version | reserved | value u64 | CRC-32  |
//! |         |   u8    |  3 zero  |           | of 0..16|
//! +---------+---------+----------+-----------+---------+
//!  0         4         5          8           16        20
//! ```
//!
//! Decoding checks the magic, then the CRC, then the reserved bytes: a
//! damaged byte anywhere is reported as damage, and only a stamp whose CRC
//! holds can tell the caller its version (which the caller checks).

/// Encoded length of a stamp.
pub const STAMP_LEN: usize = CRC_AT + 4;

const MAGIC_AT: usize = 0;
const VERSION_AT: usize = MAGIC_AT + 4;
const RESERVED_AT: usize = VERSION_AT + 1;
const VALUE_AT: usize = RESERVED_AT + 3;
const CRC_AT: usize = VALUE_AT + 8;

/// A decoded stamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// The four magic bytes.
    pub magic: [u8; 4],
    /// The format version of what the stamp heads.
    pub version: u8,
    /// The value it carries (a segment's first LSN, a safe LSN).
    pub value: u64,
}

/// Why bytes are not a valid stamp: what was expected, at which offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StampError {
    /// Offset of the bad field.
    pub offset: u64,
    /// What the field should have held.
    pub what: &'static str,
}

impl Stamp {
    /// The 20 bytes of this stamp.
    pub fn encode(&self) -> [u8; STAMP_LEN] {
        let mut out = [0u8; STAMP_LEN];
        let (body, crc) = out.split_at_mut(CRC_AT);
        let (magic, rest) = body.split_at_mut(VERSION_AT);
        magic.copy_from_slice(&self.magic);
        let (version, rest) = rest.split_at_mut(VALUE_AT - VERSION_AT);
        version.copy_from_slice(&[self.version, 0, 0, 0]);
        rest.copy_from_slice(&self.value.to_le_bytes());
        crc.copy_from_slice(&crc32fast::hash(body).to_le_bytes());
        out
    }

    /// Decodes exactly [`STAMP_LEN`] bytes that must start with `magic`.
    pub fn decode(bytes: &[u8; STAMP_LEN], magic: [u8; 4]) -> Result<Stamp, StampError> {
        let field = |at: usize, what| StampError {
            offset: at as u64,
            what,
        };
        let (body, crc) = bytes.split_at(CRC_AT);
        let (found, rest) = body.split_at(VERSION_AT);
        if found != magic {
            return Err(field(MAGIC_AT, "magic"));
        }
        let stored = crc.try_into().map(u32::from_le_bytes).unwrap_or_default();
        if crc32fast::hash(body) != stored {
            return Err(field(CRC_AT, "CRC-32 of bytes 0..16"));
        }
        let (head, value) = rest.split_at(VALUE_AT - VERSION_AT);
        let (version, reserved) = head.split_first().unwrap_or((&0, &[]));
        if reserved.iter().any(|&b| b != 0) {
            return Err(field(RESERVED_AT, "zero reserved bytes"));
        }
        Ok(Stamp {
            magic,
            version: *version,
            value: value.try_into().map(u64::from_le_bytes).unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAGIC: [u8; 4] = *b"TEST";

    fn sample() -> Stamp {
        Stamp {
            magic: MAGIC,
            version: 3,
            value: 0x0102_0304_0506_0708,
        }
    }

    #[test]
    fn the_layout_round_trips() {
        let bytes = sample().encode();
        assert_eq!(&bytes[..8], b"TEST\x03\0\0\0");
        assert_eq!(&bytes[8..16], &0x0102_0304_0506_0708u64.to_le_bytes());
        assert_eq!(bytes[16..], crc32fast::hash(&bytes[..16]).to_le_bytes());
        assert_eq!(Stamp::decode(&bytes, MAGIC), Ok(sample()));
    }

    #[test]
    fn every_byte_flip_is_damage_at_its_field() {
        let bytes = sample().encode();
        for i in 0..STAMP_LEN {
            let mut bad = bytes;
            bad[i] ^= 0x40;
            let err = Stamp::decode(&bad, MAGIC).unwrap_err();
            let offset = if i < 4 { 0 } else { 16 };
            assert_eq!(err.offset, offset, "byte {i}");
        }
    }

    #[test]
    fn reserved_bytes_must_be_zero_even_under_a_matching_crc() {
        let mut bytes = sample().encode();
        bytes[6] = 1;
        let crc = crc32fast::hash(&bytes[..16]).to_le_bytes();
        bytes[16..].copy_from_slice(&crc);
        assert_eq!(Stamp::decode(&bytes, MAGIC).unwrap_err().offset, 5);
    }
}
