//! The series index, see `FORMAT.md`, "Series index".

use super::block::{BLOCK_ENTRY_LEN, BlockRef};
use super::cursor::Cursor;
use crate::{FormatError, Result, SeriesId, SeriesMeta};

/// Smallest possible encoded series entry: id, metadata length, the
/// smallest metadata (two `u32`s) and the block count.
const MIN_ENTRY_LEN: usize = 8 + 4 + 8 + 4;
/// Smallest encoded label: two `u32` lengths.
const MIN_LABEL_LEN: usize = 8;

/// One series of a TSM file: its id, metadata and blocks ordered by time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesEntry {
    /// The series id, `meta.id()`.
    pub id: SeriesId,
    /// The series' metric and labels.
    pub meta: SeriesMeta,
    /// The series' blocks, ordered by time, not overlapping.
    pub blocks: Vec<BlockRef>,
}

impl SeriesEntry {
    /// Number of points in the series.
    pub fn point_count(&self) -> u64 {
        self.blocks.iter().map(|b| u64::from(b.point_count)).sum()
    }

    /// Appends the entry (`FORMAT.md`, "Series entry").
    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        let too_big = |what: &str| FormatError::InvalidArgument(format!("{what} exceeds u32"));
        let meta = self.meta.canonical_bytes();
        out.extend_from_slice(&self.id.0.to_le_bytes());
        out.extend_from_slice(
            &u32::try_from(meta.len())
                .map_err(|_| too_big("metadata"))?
                .to_le_bytes(),
        );
        out.extend_from_slice(&meta);
        let blocks = u32::try_from(self.blocks.len()).map_err(|_| too_big("block count"))?;
        out.extend_from_slice(&blocks.to_le_bytes());
        for block in &self.blocks {
            block.encode(out);
        }
        Ok(())
    }

    fn decode(cursor: &mut Cursor<'_>, data_end: u64) -> Result<Self> {
        let at = cursor.offset();
        let id = SeriesId(cursor.u64("series id")?);
        let meta_len = cursor.u32("metadata length")? as usize;
        let meta_at = cursor.offset();
        let meta_bytes = cursor.take(meta_len, "series metadata")?;
        let meta = decode_meta(meta_bytes, meta_at)?;
        if meta.id() != id || meta.canonical_bytes() != meta_bytes {
            return Err(FormatError::corrupt(
                "series id equal to its metadata's hash",
                at,
            ));
        }
        let count = cursor.u32("block count")? as usize;
        let count_at = cursor.offset();
        if count.saturating_mul(BLOCK_ENTRY_LEN) > cursor.remaining() {
            return Err(FormatError::corrupt(
                "block count within the index",
                count_at,
            ));
        }
        let mut blocks: Vec<BlockRef> = Vec::with_capacity(count);
        for _ in 0..count {
            let entry_at = cursor.offset();
            let block = BlockRef::decode(cursor, id, data_end)?;
            if blocks
                .last()
                .is_some_and(|prev| prev.max_ts >= block.min_ts)
            {
                return Err(FormatError::corrupt("blocks ordered by time", entry_at));
            }
            blocks.push(block);
        }
        Ok(Self { id, meta, blocks })
    }
}

/// Decodes canonical metadata bytes (see `FORMAT.md`, "Series id").
fn decode_meta(bytes: &[u8], base: u64) -> Result<SeriesMeta> {
    let mut cursor = Cursor::new(bytes, base);
    let metric = text(&mut cursor)?;
    let count = cursor.u32("label count")? as usize;
    if count.saturating_mul(MIN_LABEL_LEN) > cursor.remaining() {
        return Err(FormatError::corrupt(
            "label count within the metadata",
            cursor.offset(),
        ));
    }
    let mut labels = Vec::with_capacity(count);
    for _ in 0..count {
        labels.push((text(&mut cursor)?, text(&mut cursor)?));
    }
    if cursor.remaining() != 0 {
        return Err(FormatError::corrupt(
            "metadata ending at its length",
            cursor.offset(),
        ));
    }
    Ok(SeriesMeta::new(metric, labels))
}

fn text(cursor: &mut Cursor<'_>) -> Result<String> {
    let len = cursor.u32("text length")? as usize;
    let at = cursor.offset();
    let bytes = cursor.take(len, "text")?;
    String::from_utf8(bytes.to_vec()).map_err(|_| FormatError::corrupt("UTF-8 text", at))
}

/// Encodes the index of `entries`, which must be sorted by id.
pub(crate) fn encode_index(entries: &[SeriesEntry], out: &mut Vec<u8>) -> Result<()> {
    let count = u32::try_from(entries.len())
        .map_err(|_| FormatError::InvalidArgument("more than u32::MAX series".into()))?;
    out.extend_from_slice(&count.to_le_bytes());
    entries.iter().try_for_each(|entry| entry.encode(out))
}

/// Decodes an index spanning exactly `bytes`, which start at file offset
/// `base`; block records must end by `data_end`.
pub(crate) fn decode_index(bytes: &[u8], base: u64, data_end: u64) -> Result<Vec<SeriesEntry>> {
    let mut cursor = Cursor::new(bytes, base);
    let count = cursor.u32("series count")? as usize;
    if count.saturating_mul(MIN_ENTRY_LEN) > cursor.remaining() {
        return Err(FormatError::corrupt("series count within the index", base));
    }
    let mut entries: Vec<SeriesEntry> = Vec::with_capacity(count);
    for _ in 0..count {
        let at = cursor.offset();
        let entry = SeriesEntry::decode(&mut cursor, data_end)?;
        if entries.last().is_some_and(|prev| prev.id >= entry.id) {
            return Err(FormatError::corrupt("series sorted by id, ids unique", at));
        }
        entries.push(entry);
    }
    if cursor.remaining() != 0 {
        return Err(FormatError::corrupt(
            "index ending at its length",
            cursor.offset(),
        ));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(metric: &str, blocks: usize) -> SeriesEntry {
        let meta = SeriesMeta::new(metric, vec![("host".into(), "a".into())]);
        let id = meta.id();
        let blocks = (0..blocks as i64)
            .map(|i| BlockRef {
                series: id,
                offset: 32 + 100 * i as u64,
                len: 100,
                min_ts: 10 * i,
                max_ts: 10 * i + 5,
                point_count: 3,
            })
            .collect();
        SeriesEntry { id, meta, blocks }
    }

    fn encoded(entries: &mut [SeriesEntry]) -> Vec<u8> {
        entries.sort_by_key(|e| e.id);
        let mut out = Vec::new();
        encode_index(entries, &mut out).unwrap();
        out
    }

    #[test]
    fn round_trips() {
        let mut entries = vec![entry("a", 2), entry("b", 0), entry("c", 1)];
        let bytes = encoded(&mut entries);
        assert_eq!(decode_index(&bytes, 500, 500).unwrap(), entries);
    }

    #[test]
    fn every_truncation_and_inconsistency_is_refused() {
        let mut entries = vec![entry("a", 2), entry("b", 1)];
        let bytes = encoded(&mut entries);
        for len in 0..bytes.len() {
            assert!(decode_index(&bytes[..len], 500, 500).is_err(), "{len}");
        }
        assert!(
            decode_index(&bytes, 500, 200).is_err(),
            "block beyond the data section"
        );
        let mut swapped = entries.clone();
        swapped.swap(0, 1);
        let mut out = Vec::new();
        encode_index(&swapped, &mut out).unwrap();
        assert!(decode_index(&out, 500, 500).is_err(), "unsorted ids");
    }

    #[test]
    fn a_huge_count_is_refused_before_allocating() {
        let bytes = u32::MAX.to_le_bytes();
        assert!(matches!(
            decode_index(&bytes, 0, 0),
            Err(FormatError::Corrupt { .. })
        ));
    }
}
