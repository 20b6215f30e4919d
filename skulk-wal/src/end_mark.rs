//! The end mark of a version-3 segment (`FORMAT.md`, "End mark"): 16 bytes
//! after the last frame, overwritten by the next write. A segment that ends
//! right after a frame, without its mark, lost its end.

use crate::Lsn;
use crate::frame::mask;

/// Encoded length of the end mark after the last frame of a version-3
/// segment.
pub const END_MARK_LEN: usize = 16;
/// Its first four bytes. As a frame length (1_163_348_819) it is far above
/// the largest payload, so a mark never reads as a frame.
const MAGIC: [u8; 4] = *b"SKWE";

/// The mark that ends a segment at `offset`, before the record `next_lsn`.
pub(crate) fn encode(offset: u64, next_lsn: Lsn) -> [u8; END_MARK_LEN] {
    let mut out = [0u8; END_MARK_LEN];
    out[..4].copy_from_slice(&MAGIC);
    out[4..12].copy_from_slice(&next_lsn.to_le_bytes());
    out[12..].copy_from_slice(&checksum(offset, next_lsn).to_le_bytes());
    out
}

/// Appends the mark before record `next_lsn` to `bytes`, which are a
/// segment's bytes from offset `start` on; returns the mark's offset.
pub(crate) fn push(bytes: &mut Vec<u8>, start: u64, next_lsn: Lsn) -> u64 {
    let offset = start + bytes.len() as u64;
    bytes.extend_from_slice(&encode(offset, next_lsn));
    offset
}

/// True when `bytes` (the rest of a segment from `offset` on) start with
/// the end mark of `offset` before record `next_lsn`.
pub(crate) fn is_at(bytes: &[u8], offset: u64, next_lsn: Lsn) -> bool {
    bytes
        .get(..END_MARK_LEN)
        .is_some_and(|mark| mark == encode(offset, next_lsn))
}

/// The mark's CRC covers its magic, the LSN and its own offset, so a mark
/// copied elsewhere (a swapped sector) does not check out.
fn checksum(offset: u64, next_lsn: Lsn) -> u32 {
    let mut crc = crc32fast::Hasher::new();
    crc.update(&MAGIC);
    crc.update(&next_lsn.to_le_bytes());
    crc.update(&offset.to_le_bytes());
    mask(crc.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_checks_out_only_where_it_was_written() {
        let mark = encode(4096, 7);
        assert!(is_at(&mark, 4096, 7));
        assert!(!is_at(&mark, 4096 + 512, 7));
        assert!(!is_at(&mark, 4096, 8));
        assert!(!is_at(&mark[..END_MARK_LEN - 1], 4096, 7));
        for i in 0..END_MARK_LEN {
            let mut bad = mark;
            bad[i] ^= 1;
            assert!(!is_at(&bad, 4096, 7), "byte {i}");
        }
        assert!(!is_at(&[0; END_MARK_LEN], 0, 0));
    }

    #[test]
    fn a_mark_is_never_a_frame() {
        let len = u32::from_le_bytes(MAGIC);
        assert!(crate::frame::check_payload_len(len as usize).is_err());
    }
}
