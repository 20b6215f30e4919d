//! Record framing (`FORMAT.md`, "Record frame"): length, masked CRC, type,
//! LSN, from version 2 on the synced-through mark, payload. What the payload
//! means is `entry.rs`'s business.

use crate::Lsn;
#[cfg(test)]
use crate::WalEntry;
use crate::header::WalVersion;

/// Bytes before the payload in a version-1 segment: length, CRC, type, LSN.
pub const FRAME_HEADER_LEN_V1: usize = LSN_AT + 8;
/// Bytes before the payload in a version-2 or -3 segment (the version written
/// today): length, CRC, type, LSN, synced-through mark.
pub const FRAME_HEADER_LEN: usize = SYNCED_AT + 8;
/// The largest payload a record may carry (128 MiB).
pub const MAX_PAYLOAD_LEN: usize = 128 << 20;

const LEN_AT: usize = 0;
const CRC_AT: usize = LEN_AT + 4;
const TYPE_AT: usize = CRC_AT + 4;
const LSN_AT: usize = TYPE_AT + 1;
const SYNCED_AT: usize = LSN_AT + 8;
const _: () = assert!(FRAME_HEADER_LEN_V1 == 17 && FRAME_HEADER_LEN == 25);

const MASK_DELTA: u32 = 0xa282_ead8;

/// LevelDB's CRC mask: stored CRCs never equal the CRC of their own bytes,
/// and an all-zero frame cannot check out.
pub(crate) fn mask(crc: u32) -> u32 {
    crc.rotate_right(15).wrapping_add(MASK_DELTA)
}

/// Bytes before the payload in a segment of `version`.
pub(crate) fn header_len(version: WalVersion) -> usize {
    match version {
        WalVersion::V1 => FRAME_HEADER_LEN_V1,
        WalVersion::V2 | WalVersion::V3 => FRAME_HEADER_LEN,
    }
}

/// The CRC of a frame: every header byte but the stored CRC, then the
/// payload.
fn frame_crc(header: &[u8], payload: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(header.get(LEN_AT..CRC_AT).unwrap_or_default());
    hasher.update(header.get(TYPE_AT..).unwrap_or_default());
    hasher.update(payload);
    mask(hasher.finalize())
}

/// Appends the version-2 frame of `entry` with `lsn` and mark `synced` to
/// `out`. Fails (and leaves `out` as it was) when the payload is empty or
/// larger than [`MAX_PAYLOAD_LEN`].
#[cfg(test)]
pub(crate) fn encode(
    out: &mut Vec<u8>,
    lsn: Lsn,
    entry: &WalEntry,
    synced: u64,
) -> Result<(), &'static str> {
    let mut payload = Vec::new();
    entry.encode_payload(&mut payload);
    check_payload_len(payload.len())?;
    encode_parts(out, lsn, entry.record_type(), &payload, synced);
    Ok(())
}

/// Fails unless a payload of `len` bytes fits a frame.
pub(crate) fn check_payload_len(len: usize) -> Result<(), &'static str> {
    if len == 0 || len > MAX_PAYLOAD_LEN {
        return Err("record payload must be 1 byte to 128 MiB");
    }
    Ok(())
}

/// Appends a version-2 frame around an already encoded, length-checked
/// payload: `synced` is how many bytes of the segment were durable before
/// this frame was written (its synced-through mark).
pub(crate) fn encode_parts(out: &mut Vec<u8>, lsn: Lsn, kind: u8, payload: &[u8], synced: u64) {
    out.reserve(FRAME_HEADER_LEN + payload.len());
    encode_in_place(out, lsn, kind, synced, |out| out.extend_from_slice(payload));
}

/// Appends a version-2 frame whose payload `write` appends in place (no
/// copy of it is made); returns the payload's length, which the caller
/// keeps within [`MAX_PAYLOAD_LEN`].
pub(crate) fn encode_in_place(
    out: &mut Vec<u8>,
    lsn: Lsn,
    kind: u8,
    synced: u64,
    write: impl FnOnce(&mut Vec<u8>),
) -> usize {
    let start = out.len();
    out.extend_from_slice(&[0u8; FRAME_HEADER_LEN]);
    write(out);
    let payload_len = out.len() - start - FRAME_HEADER_LEN;
    let (header, payload) = out
        .get_mut(start..)
        .unwrap_or_default()
        .split_at_mut(FRAME_HEADER_LEN);
    put(header, LEN_AT, &(payload_len as u32).to_le_bytes());
    put(header, TYPE_AT, &[kind]);
    put(header, LSN_AT, &lsn.to_le_bytes());
    put(header, SYNCED_AT, &synced.to_le_bytes());
    let crc = frame_crc(header, payload);
    put(header, CRC_AT, &crc.to_le_bytes());
    payload_len
}

fn put(header: &mut [u8], at: usize, bytes: &[u8]) {
    if let Some(slot) = header.get_mut(at..at + bytes.len()) {
        slot.copy_from_slice(bytes);
    }
}

fn field<const N: usize>(header: &[u8], at: usize) -> [u8; N] {
    header
        .get(at..at + N)
        .and_then(|s| s.try_into().ok())
        .unwrap_or([0; N])
}

/// A frame whose CRC checked out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Frame<'a> {
    /// The record type byte.
    pub kind: u8,
    /// The LSN stored in the frame.
    pub lsn: Lsn,
    /// Bytes of the segment durable before the frame was written (0 in
    /// version 1, which has no mark).
    pub synced: u64,
    /// The payload.
    pub payload: &'a [u8],
    /// Total encoded length, header included.
    pub len: usize,
}

/// Why no frame could be read at an offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FrameError {
    /// The bytes end before the frame does.
    Incomplete,
    /// The frame is invalid (what is wrong).
    Bad(&'static str),
}

/// Reads the frame at the start of `bytes`, in a segment of `version`.
pub(crate) fn decode(bytes: &[u8], version: WalVersion) -> Result<Frame<'_>, FrameError> {
    let len = header_len(version);
    let header = bytes.get(..len).ok_or(FrameError::Incomplete)?;
    let payload_len = u32::from_le_bytes(field(header, LEN_AT)) as usize;
    let kind = field::<1>(header, TYPE_AT)[0];
    if kind == 0 {
        return Err(FrameError::Bad("record type 0 (zero-filled or torn tail)"));
    }
    if payload_len == 0 || payload_len > MAX_PAYLOAD_LEN {
        return Err(FrameError::Bad("record length out of range"));
    }
    let payload = bytes
        .get(len..len + payload_len)
        .ok_or(FrameError::Incomplete)?;
    if u32::from_le_bytes(field(header, CRC_AT)) != frame_crc(header, payload) {
        return Err(FrameError::Bad("record CRC mismatch"));
    }
    let synced = match version {
        WalVersion::V1 => 0,
        WalVersion::V2 | WalVersion::V3 => u64::from_le_bytes(field(header, SYNCED_AT)),
    };
    Ok(Frame {
        kind,
        lsn: u64::from_le_bytes(field(header, LSN_AT)),
        synced,
        payload,
        len: len + payload_len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut out = Vec::new();
        encode(&mut out, 42, &WalEntry::Checkpoint { safe_lsn: 7 }, 1234).unwrap();
        out
    }

    #[test]
    fn a_frame_round_trips() {
        let bytes = sample();
        let frame = decode(&bytes, WalVersion::V2).unwrap();
        assert_eq!((frame.kind, frame.lsn, frame.len), (4, 42, bytes.len()));
        assert_eq!(
            (frame.synced, frame.payload),
            (1234, &7u64.to_le_bytes()[..])
        );
    }

    #[test]
    fn an_all_zero_frame_is_never_valid() {
        for version in [WalVersion::V1, WalVersion::V2] {
            assert_eq!(
                decode(&[0; 64], version),
                Err(FrameError::Bad("record type 0 (zero-filled or torn tail)"))
            );
        }
        // Even with a nonzero type, a zero CRC never matches an empty-ish frame.
        assert_ne!(mask(crc32fast::hash(&[0; 13])), 0);
    }

    #[test]
    fn every_prefix_is_incomplete_and_every_flip_is_caught() {
        let bytes = sample();
        for len in 0..bytes.len() {
            assert_eq!(
                decode(&bytes[..len], WalVersion::V2),
                Err(FrameError::Incomplete),
                "prefix {len}"
            );
        }
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut bad = bytes.clone();
                bad[i] ^= 1 << bit;
                // A flipped length may make the frame look longer than the input.
                assert!(
                    decode(&bad, WalVersion::V2).is_err(),
                    "flip byte {i} bit {bit}"
                );
            }
        }
    }

    #[test]
    fn a_version_1_frame_has_no_mark() {
        // The version-1 layout: the version-2 header without its mark.
        let mut v1 = vec![8, 0, 0, 0, 0, 0, 0, 0, 4];
        v1.extend_from_slice(&42u64.to_le_bytes());
        let payload = 7u64.to_le_bytes();
        let crc = {
            let mut h = crc32fast::Hasher::new();
            h.update(&v1[..4]);
            h.update(&v1[8..]);
            h.update(&payload);
            mask(h.finalize())
        };
        v1[4..8].copy_from_slice(&crc.to_le_bytes());
        v1.extend_from_slice(&payload);
        let frame = decode(&v1, WalVersion::V1).unwrap();
        assert_eq!((frame.lsn, frame.synced, frame.len), (42, 0, 25));
        assert!(decode(&v1, WalVersion::V2).is_err());
    }
}
