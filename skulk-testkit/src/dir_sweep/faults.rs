//! The damage a directory sweep does to one file, and the cases it tries.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use crate::generators::SplitMix64;

/// Bytes in the page a zeroed-page fault clears.
pub const PAGE: usize = 4096;
/// Bytes in the sectors a sector swap exchanges.
pub const SECTOR: usize = 512;

/// One kind of damage to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileFault {
    /// The byte at `offset` inverted (`xor 0xFF`).
    ByteFlip {
        /// Byte offset.
        offset: usize,
    },
    /// One bit of the byte at `offset` flipped.
    BitFlip {
        /// Byte offset.
        offset: usize,
        /// Bit, 0..8.
        bit: u8,
    },
    /// Only the first `len` bytes kept.
    Truncate {
        /// Bytes kept.
        len: usize,
    },
    /// The aligned 4 KiB page `page` (or what of it the file holds) zeroed.
    ZeroPage {
        /// Page index.
        page: usize,
    },
    /// The aligned 512-byte sectors `sector` and `sector + 1` exchanged.
    SwapSectors {
        /// Index of the first sector.
        sector: usize,
    },
    /// `len` bytes of `byte` appended.
    Append {
        /// Bytes appended.
        len: usize,
        /// Their value.
        byte: u8,
    },
    /// The file deleted.
    Delete,
}

impl FileFault {
    /// The kind's name, for counts.
    pub fn kind(&self) -> &'static str {
        match self {
            FileFault::ByteFlip { .. } => "byte flip",
            FileFault::BitFlip { .. } => "bit flip",
            FileFault::Truncate { .. } => "truncation",
            FileFault::ZeroPage { .. } => "zeroed page",
            FileFault::SwapSectors { .. } => "swapped sectors",
            FileFault::Append { .. } => "appended bytes",
            FileFault::Delete => "deleted file",
        }
    }

    /// The damaged copy of `bytes` (`None`: the file is deleted).
    pub fn apply(&self, bytes: &[u8]) -> Option<Vec<u8>> {
        let mut out = bytes.to_vec();
        match *self {
            FileFault::ByteFlip { offset } => xor(&mut out, offset, 0xFF),
            FileFault::BitFlip { offset, bit } => xor(&mut out, offset, 1 << (bit % 8)),
            FileFault::Truncate { len } => out.truncate(len),
            FileFault::ZeroPage { page } => {
                let start = (page * PAGE).min(out.len());
                let end = (start + PAGE).min(out.len());
                out[start..end].fill(0);
            }
            FileFault::SwapSectors { sector } => {
                let a = sector * SECTOR;
                if a + 2 * SECTOR <= out.len() {
                    let (first, second) = out[a..a + 2 * SECTOR].split_at_mut(SECTOR);
                    first.swap_with_slice(second);
                }
            }
            FileFault::Append { len, byte } => out.extend(std::iter::repeat_n(byte, len)),
            FileFault::Delete => return None,
        }
        Some(out)
    }
}

fn xor(bytes: &mut [u8], offset: usize, mask: u8) {
    if let Some(b) = bytes.get_mut(offset) {
        *b ^= mask;
    }
}

impl fmt::Display for FileFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileFault::ByteFlip { offset } => write!(f, "byte {offset} inverted"),
            FileFault::BitFlip { offset, bit } => write!(f, "bit {bit} of byte {offset} flipped"),
            FileFault::Truncate { len } => write!(f, "truncated to {len} bytes"),
            FileFault::ZeroPage { page } => write!(f, "page {page} (4 KiB) zeroed"),
            FileFault::SwapSectors { sector } => {
                write!(f, "sectors {sector} and {} swapped", sector + 1)
            }
            FileFault::Append { len, byte } => write!(f, "{len} bytes of {byte:#04x} appended"),
            FileFault::Delete => write!(f, "deleted"),
        }
    }
}

/// One file damaged one way.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DirCase {
    /// The file, relative to the data directory.
    pub file: PathBuf,
    /// The damage.
    pub fault: FileFault,
}

impl fmt::Display for DirCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.fault)
    }
}

/// The cases tried on every file of `files`: `per_kind` random offsets for
/// each flip and truncation (plus the first and last byte), every page and
/// sector pair up to `per_kind` of them (spread over the file), three
/// appends and the deletion. Deterministic in `seed`.
pub fn cases(files: &BTreeMap<PathBuf, Vec<u8>>, per_kind: usize, seed: u64) -> Vec<DirCase> {
    let mut rng = SplitMix64::new(seed);
    let mut out = Vec::new();
    for (file, bytes) in files {
        let mut faults = file_faults(bytes.len(), per_kind, &mut rng);
        if file.extension().is_some_and(|e| e == "wal") {
            // A WAL segment cut exactly where each of its records ends: no
            // torn bytes are left to report, only the missing end mark.
            faults.extend(record_ends(bytes).map(|len| FileFault::Truncate { len }));
        }
        faults.sort();
        faults.dedup();
        out.extend(faults.into_iter().map(|fault| DirCase {
            file: file.clone(),
            fault,
        }));
    }
    out
}

fn file_faults(len: usize, per_kind: usize, rng: &mut SplitMix64) -> Vec<FileFault> {
    let mut faults = vec![
        FileFault::Delete,
        FileFault::Append { len: 1, byte: 0 },
        FileFault::Append {
            len: 100,
            byte: 0xA5,
        },
        FileFault::Append { len: PAGE, byte: 0 },
    ];
    if len == 0 {
        return faults;
    }
    let mut offsets = vec![0, len - 1];
    offsets.extend((0..per_kind).map(|_| rng.below(len as u64) as usize));
    for &offset in &offsets {
        faults.push(FileFault::ByteFlip { offset });
        faults.push(FileFault::BitFlip {
            offset,
            bit: rng.below(8) as u8,
        });
        faults.push(FileFault::Truncate { len: offset });
    }
    faults.extend(spread(len.div_ceil(PAGE), per_kind).map(|page| FileFault::ZeroPage { page }));
    let pairs = (len / SECTOR).saturating_sub(1);
    faults.extend(spread(pairs, per_kind).map(|sector| FileFault::SwapSectors { sector }));
    faults
}

/// Where each record of a WAL segment ends (and the header, where the
/// first one starts), read from the frames' length fields.
fn record_ends(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let first = skulk_wal::SEGMENT_HEADER_LEN;
    std::iter::successors(Some(first), move |&at| {
        let len = bytes
            .get(at..at + 4)?
            .try_into()
            .ok()
            .map(u32::from_le_bytes)?;
        let end = at + skulk_wal::FRAME_HEADER_LEN + usize::try_from(len).ok()?;
        (end <= bytes.len()).then_some(end)
    })
}

/// Up to `max` indexes spread evenly over `0..n`, first and last included.
fn spread(n: usize, max: usize) -> impl Iterator<Item = usize> {
    let take = n.min(max.max(2));
    (0..take).map(move |i| {
        if take <= 1 {
            0
        } else {
            i * (n - 1) / (take - 1)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_fault_damages_as_named() {
        let bytes: Vec<u8> = (0..2048u32).map(|i| i as u8).collect();
        assert_eq!(
            FileFault::ByteFlip { offset: 3 }.apply(&bytes).unwrap()[3],
            3 ^ 0xFF
        );
        assert_eq!(
            FileFault::BitFlip { offset: 3, bit: 1 }
                .apply(&bytes)
                .unwrap()[3],
            1
        );
        assert_eq!(
            FileFault::Truncate { len: 7 }.apply(&bytes).unwrap().len(),
            7
        );
        let zeroed = FileFault::ZeroPage { page: 0 }.apply(&bytes).unwrap();
        assert!(zeroed.iter().all(|b| *b == 0) && zeroed.len() == bytes.len());
        let swapped = FileFault::SwapSectors { sector: 1 }.apply(&bytes).unwrap();
        assert_eq!(swapped[512..1024], bytes[1024..1536]);
        assert_eq!(swapped[1024..1536], bytes[512..1024]);
        assert_eq!(
            FileFault::Append { len: 5, byte: 9 }
                .apply(&bytes)
                .unwrap()
                .len(),
            2053
        );
        assert_eq!(FileFault::Delete.apply(&bytes), None);
    }

    #[test]
    fn cases_cover_every_kind_of_every_file() {
        let files = BTreeMap::from([(PathBuf::from("a"), vec![1u8; 10_000])]);
        let cases = cases(&files, 4, 1);
        let kinds: std::collections::BTreeSet<_> = cases.iter().map(|c| c.fault.kind()).collect();
        assert_eq!(kinds.len(), 7, "{kinds:?}");
        assert_eq!(cases, super::cases(&files, 4, 1), "deterministic");
    }
}
