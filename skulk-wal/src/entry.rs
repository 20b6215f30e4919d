//! `WalEntry`: what a record says, and its payload encoding
//! (`FORMAT.md`, "Record payloads"). Framing lives in `frame.rs`.

use skulk_format::{SeriesId, SeriesMeta, TimePartition, Timestamp};

use crate::Lsn;
use crate::cursor::{Cursor, DecodeError};

/// One point in a [`WalEntry::Points`] record: the series is named by id,
/// defined by an earlier [`WalEntry::SeriesDef`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WalPoint {
    /// The series.
    pub series_id: SeriesId,
    /// Nanoseconds since the Unix epoch.
    pub timestamp: Timestamp,
    /// The sample; its bit pattern is kept exactly.
    pub value: f64,
}

impl WalPoint {
    /// True when both points have the same series, timestamp and value bits.
    pub fn bit_eq(&self, other: &WalPoint) -> bool {
        self.series_id == other.series_id
            && self.timestamp == other.timestamp
            && self.value.to_bits() == other.value.to_bits()
    }
}

/// One record of the log.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum WalEntry {
    /// Defines series `id` (always `meta.id()`), so that later points can
    /// name it by id alone.
    SeriesDef {
        /// The series id.
        id: SeriesId,
        /// Its metric and labels.
        meta: SeriesMeta,
    },
    /// A batch of points, at least one.
    Points(Vec<WalPoint>),
    /// Retention dropped every point of a partition.
    DropPartition(TimePartition),
    /// Every record with an LSN `<= safe_lsn` is durable in TSM files and
    /// need not be replayed.
    Checkpoint {
        /// The last LSN made durable elsewhere.
        safe_lsn: Lsn,
    },
    /// Written only by [`crate::repair`] in place of damaged records it
    /// could not save: the records from this record's LSN to `last_lsn`
    /// are lost. Replay skips it; the next record has LSN `last_lsn + 1`.
    Lost {
        /// The last LSN lost.
        last_lsn: Lsn,
    },
}

/// Record type bytes (`FORMAT.md`, "Record payloads"). Zero is never valid.
pub(crate) mod record_type {
    pub const SERIES_DEF: u8 = 1;
    pub const POINTS: u8 = 2;
    pub const DROP_PARTITION: u8 = 3;
    pub const CHECKPOINT: u8 = 4;
    pub const LOST: u8 = 5;
}

/// Encoded size of one point in a Points payload.
const POINT_LEN: usize = 24;

impl WalEntry {
    /// The LSN of the record after this one, logged with `lsn`: a Lost
    /// record stands for a whole run of LSNs.
    pub(crate) fn lsn_after(&self, lsn: crate::Lsn) -> crate::Lsn {
        match self {
            WalEntry::Lost { last_lsn } => last_lsn.saturating_add(1),
            _ => lsn + 1,
        }
    }

    /// A series definition for `meta`.
    pub fn series_def(meta: SeriesMeta) -> Self {
        Self::SeriesDef {
            id: meta.id(),
            meta,
        }
    }

    /// The record type byte.
    pub(crate) fn record_type(&self) -> u8 {
        match self {
            Self::SeriesDef { .. } => record_type::SERIES_DEF,
            Self::Points(_) => record_type::POINTS,
            Self::DropPartition(_) => record_type::DROP_PARTITION,
            Self::Checkpoint { .. } => record_type::CHECKPOINT,
            Self::Lost { .. } => record_type::LOST,
        }
    }

    /// Checks what the format cannot represent: an empty Points record or
    /// a series definition whose id is not its metadata's.
    pub(crate) fn check(&self) -> Result<(), &'static str> {
        match self {
            Self::Points(points) if points.is_empty() => Err("a Points record needs a point"),
            Self::Points(points) if u32::try_from(points.len()).is_err() => {
                Err("a Points record holds at most u32::MAX points")
            }
            Self::SeriesDef { id, meta } if *id != meta.id() => {
                Err("a SeriesDef id must be the id of its metadata")
            }
            _ => Ok(()),
        }
    }

    /// Appends the payload (without framing) to `out`.
    pub(crate) fn encode_payload(&self, out: &mut Vec<u8>) {
        match self {
            Self::SeriesDef { id, meta } => Self::encode_series_def(*id, meta, out),
            Self::Points(points) => {
                out.reserve(4 + POINT_LEN * points.len());
                out.extend_from_slice(&(points.len() as u32).to_le_bytes());
                for p in points {
                    out.extend_from_slice(&p.series_id.0.to_le_bytes());
                    out.extend_from_slice(&p.timestamp.to_le_bytes());
                    out.extend_from_slice(&p.value.to_bits().to_le_bytes());
                }
            }
            Self::DropPartition(partition) => {
                out.extend_from_slice(&partition.start().to_le_bytes());
                out.extend_from_slice(&partition.duration_ns().to_le_bytes());
            }
            Self::Checkpoint { safe_lsn } => out.extend_from_slice(&safe_lsn.to_le_bytes()),
            Self::Lost { last_lsn } => out.extend_from_slice(&last_lsn.to_le_bytes()),
        }
    }

    /// The payload of a definition of series `meta` under `id` (the caller
    /// vouches that `id` is `meta.id()`), without building the entry.
    pub(crate) fn encode_series_def(id: SeriesId, meta: &SeriesMeta, out: &mut Vec<u8>) {
        out.extend_from_slice(&id.0.to_le_bytes());
        meta.write_canonical(out);
    }

    /// Decodes a payload of record type `kind`; the payload must be used
    /// up exactly.
    pub(crate) fn decode_payload(kind: u8, payload: &[u8]) -> Result<Self, DecodeError> {
        let mut cur = Cursor::new(payload);
        let entry = match kind {
            record_type::SERIES_DEF => decode_series_def(&mut cur)?,
            record_type::POINTS => decode_points(&mut cur)?,
            record_type::DROP_PARTITION => {
                let start = cur.i64()?;
                let at = cur.pos();
                let duration_ns = cur.i64()?;
                let duration = u64::try_from(duration_ns)
                    .ok()
                    .filter(|&d| d > 0)
                    .map(std::time::Duration::from_nanos)
                    .ok_or(DecodeError::at(at, "a partition duration must be positive"))?;
                let partition = TimePartition::new(start, duration)
                    .map_err(|_| DecodeError::at(at, "a partition duration must be positive"))?;
                Self::DropPartition(partition)
            }
            record_type::CHECKPOINT => Self::Checkpoint {
                safe_lsn: cur.u64()?,
            },
            record_type::LOST => Self::Lost {
                last_lsn: cur.u64()?,
            },
            _ => return Err(DecodeError::at(0, "unknown record type")),
        };
        cur.finish()?;
        Ok(entry)
    }
}

fn decode_series_def(cur: &mut Cursor<'_>) -> Result<WalEntry, DecodeError> {
    let id = SeriesId(cur.u64()?);
    let start = cur.pos();
    let metric = cur.string()?;
    let count = cur.u32()?;
    // Each label takes at least 8 bytes: bound the allocation by the input.
    if (count as usize).saturating_mul(8) > cur.remaining() {
        return Err(DecodeError::at(
            cur.pos(),
            "label count exceeds the payload",
        ));
    }
    let mut labels: Vec<(String, String)> = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let at = cur.pos();
        let key = cur.string()?;
        let value = cur.string()?;
        if labels.last().is_some_and(|(prev, _)| *prev >= key) {
            return Err(DecodeError::at(
                at,
                "labels must be sorted by key, keys unique",
            ));
        }
        labels.push((key, value));
    }
    let meta = SeriesMeta::new(metric, labels);
    if meta.id() != id {
        return Err(DecodeError::at(
            start,
            "series id does not match its metadata",
        ));
    }
    Ok(WalEntry::SeriesDef { id, meta })
}

fn decode_points(cur: &mut Cursor<'_>) -> Result<WalEntry, DecodeError> {
    let count = cur.u32()? as usize;
    if count == 0 {
        return Err(DecodeError::at(0, "a Points record needs a point"));
    }
    if count.saturating_mul(POINT_LEN) != cur.remaining() {
        return Err(DecodeError::at(
            0,
            "point count does not match the payload length",
        ));
    }
    let mut points = Vec::with_capacity(count);
    for _ in 0..count {
        points.push(WalPoint {
            series_id: SeriesId(cur.u64()?),
            timestamp: cur.i64()?,
            value: f64::from_bits(cur.u64()?),
        });
    }
    Ok(WalEntry::Points(points))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(entry: &WalEntry) -> WalEntry {
        let mut out = Vec::new();
        entry.encode_payload(&mut out);
        WalEntry::decode_payload(entry.record_type(), &out).unwrap()
    }

    #[test]
    fn every_entry_type_round_trips() {
        let meta = SeriesMeta::new("cpu", vec![("host".into(), "a".into())]);
        let entries = [
            WalEntry::series_def(meta.clone()),
            WalEntry::Points(vec![WalPoint {
                series_id: meta.id(),
                timestamp: i64::MIN,
                value: f64::from_bits(0x7ff8_0000_dead_beef),
            }]),
            WalEntry::DropPartition(
                TimePartition::new(-5, std::time::Duration::from_secs(9)).unwrap(),
            ),
            WalEntry::Checkpoint { safe_lsn: u64::MAX },
            WalEntry::Lost { last_lsn: 17 },
        ];
        for entry in &entries {
            let back = round_trip(entry);
            match (entry, &back) {
                (WalEntry::Points(a), WalEntry::Points(b)) => {
                    assert!(a.iter().zip(b).all(|(x, y)| x.bit_eq(y)))
                }
                _ => assert_eq!(entry, &back),
            }
        }
    }

    #[test]
    fn every_prefix_and_extension_is_refused() {
        let meta = SeriesMeta::new(
            "m",
            vec![("a".into(), "1".into()), ("b".into(), "2".into())],
        );
        let entry = WalEntry::series_def(meta);
        let mut out = Vec::new();
        entry.encode_payload(&mut out);
        for len in 0..out.len() {
            assert!(
                WalEntry::decode_payload(1, &out[..len]).is_err(),
                "prefix {len}"
            );
        }
        out.push(0);
        assert!(WalEntry::decode_payload(1, &out).is_err());
    }

    #[test]
    fn a_wrong_series_id_is_refused() {
        let mut out = Vec::new();
        WalEntry::series_def(SeriesMeta::new("m", vec![])).encode_payload(&mut out);
        out[0] ^= 1;
        let err = WalEntry::decode_payload(1, &out).unwrap_err();
        assert_eq!(err.what, "series id does not match its metadata");
    }

    #[test]
    fn bad_partitions_and_types_are_refused() {
        let mut out = Vec::new();
        out.extend_from_slice(&0i64.to_le_bytes());
        out.extend_from_slice(&0i64.to_le_bytes());
        assert!(WalEntry::decode_payload(3, &out).is_err());
        assert!(WalEntry::decode_payload(0, &[]).is_err());
        assert!(WalEntry::decode_payload(9, &[1]).is_err());
        assert!(WalEntry::decode_payload(2, &0u32.to_le_bytes()).is_err());
    }
}
