//! The bytes of a `MANIFEST` (`FORMAT.md`, "MANIFEST"): a stamp whose value
//! is the body's length, the body, then the body's CRC-32.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use skulk_format::{STAMP_LEN, Stamp};

use skulk_format::{SeriesId, TimeRange};

use super::{FileRecord, Manifest};
use crate::tombstone::Tombstone;
use crate::{EngineError, Result};

/// The first four bytes of a manifest.
pub const MANIFEST_MAGIC: [u8; 4] = *b"SKMF";
/// The manifest format version this build writes and reads.
pub const MANIFEST_VERSION: u8 = 1;

/// The fixed fields of a file record after its path.
const FILE_FIXED_LEN: usize = 8 + 8 + 8 + 8 + 8 + 4 + 8 + 8 + 8;
/// The longest path a file record may hold.
const MAX_PATH_LEN: usize = 1024;
const HAS_RETENTION_CUTOFF: u8 = 1;
/// A tombstone section follows the removed files. Only set when there are
/// tombstones, so a manifest without deletes is what earlier builds wrote;
/// a build that does not know the flag refuses the manifest rather than
/// show deleted points.
const HAS_TOMBSTONES: u8 = 2;
/// The fixed fields of a tombstone before its series ids.
const TOMBSTONE_FIXED_LEN: usize = 8 + 8 + 8 + 4;

/// The bytes of `manifest`.
pub(crate) fn encode(manifest: &Manifest) -> Vec<u8> {
    let mut body = Vec::with_capacity(64 + manifest.files.len() * 96);
    put_u64(&mut body, manifest.sequence);
    put_u64(
        &mut body,
        u64::try_from(manifest.partition_duration.as_nanos()).unwrap_or(u64::MAX),
    );
    put_u64(&mut body, manifest.safe_lsn);
    put_u64(&mut body, manifest.next_gen);
    let mut flags = 0;
    if manifest.retention_cutoff.is_some() {
        flags |= HAS_RETENTION_CUTOFF;
    }
    if !manifest.tombstones.is_empty() {
        flags |= HAS_TOMBSTONES;
    }
    body.push(flags);
    body.extend_from_slice(&manifest.retention_cutoff.unwrap_or(0).to_le_bytes());
    body.extend_from_slice(&(manifest.files.len() as u32).to_le_bytes());
    for file in &manifest.files {
        put_path(&mut body, &file.path);
        for v in [file.first_gen, file.last_gen] {
            put_u64(&mut body, v);
        }
        for v in [file.span_start, file.span_end] {
            body.extend_from_slice(&v.to_le_bytes());
        }
        put_u64(&mut body, file.size);
        body.extend_from_slice(&file.file_crc.to_le_bytes());
        put_u64(&mut body, file.points);
        for v in [file.min_ts, file.max_ts] {
            body.extend_from_slice(&v.to_le_bytes());
        }
    }
    body.extend_from_slice(&(manifest.wal_segments.len() as u32).to_le_bytes());
    for first in &manifest.wal_segments {
        put_u64(&mut body, *first);
    }
    body.extend_from_slice(&(manifest.removed.len() as u32).to_le_bytes());
    for path in &manifest.removed {
        put_path(&mut body, path);
    }
    if !manifest.tombstones.is_empty() {
        put_tombstones(&mut body, &manifest.tombstones);
    }
    let stamp = Stamp {
        magic: MANIFEST_MAGIC,
        version: MANIFEST_VERSION,
        value: body.len() as u64,
    };
    let mut out = Vec::with_capacity(STAMP_LEN + body.len() + 4);
    out.extend_from_slice(&stamp.encode());
    out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

fn put_tombstones(out: &mut Vec<u8>, tombstones: &[Tombstone]) {
    out.extend_from_slice(&(tombstones.len() as u32).to_le_bytes());
    for t in tombstones {
        put_u64(out, t.gen_limit);
        out.extend_from_slice(&t.range.start().to_le_bytes());
        out.extend_from_slice(&t.range.end().to_le_bytes());
        out.extend_from_slice(&(t.series.len() as u32).to_le_bytes());
        for id in &t.series {
            put_u64(out, id.0);
        }
    }
}

fn put_path(out: &mut Vec<u8>, path: &Path) {
    let path = path.to_string_lossy();
    out.extend_from_slice(&(path.len() as u16).to_le_bytes());
    out.extend_from_slice(path.as_bytes());
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Decodes the bytes of a manifest file. `path` only names the file in
/// errors. Any input gives `Ok` or a typed error, never a panic:
/// [`EngineError::Corrupt`] naming what was expected and at which offset,
/// or [`EngineError::UnsupportedVersion`] for an intact manifest of a newer
/// format.
pub fn decode_manifest(bytes: &[u8], path: &Path) -> Result<Manifest> {
    let corrupt = |what, offset: usize| EngineError::Corrupt {
        what,
        path: path.to_path_buf(),
        offset: offset as u64,
    };
    let head: &[u8; STAMP_LEN] = bytes
        .get(..STAMP_LEN)
        .and_then(|h| h.try_into().ok())
        .ok_or_else(|| corrupt("manifest header (20 bytes)", bytes.len()))?;
    let stamp = Stamp::decode(head, MANIFEST_MAGIC).map_err(|e| {
        let what = match e.offset {
            0 => "manifest magic SKMF",
            5 => "manifest reserved bytes (zero)",
            _ => "manifest header CRC32",
        };
        corrupt(what, e.offset as usize)
    })?;
    if stamp.version != MANIFEST_VERSION {
        return Err(EngineError::UnsupportedVersion {
            path: path.to_path_buf(),
            found: u32::from(stamp.version),
            supported: u32::from(MANIFEST_VERSION),
        });
    }
    let crc_at = STAMP_LEN;
    let body_at = crc_at + 4;
    let stored = bytes
        .get(crc_at..body_at)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or_else(|| corrupt("manifest body CRC32", bytes.len()))?;
    let body_len = usize::try_from(stamp.value).unwrap_or(usize::MAX);
    let body = bytes
        .get(body_at..)
        .filter(|b| b.len() == body_len)
        .ok_or_else(|| corrupt("manifest body of the length its header says", bytes.len()))?;
    if crc32fast::hash(body) != stored {
        return Err(corrupt("manifest body CRC32", crc_at));
    }
    let mut reader = Reader {
        bytes: body,
        at: 0,
        base: body_at,
    };
    let manifest = read_body(&mut reader).map_err(|(what, at)| corrupt(what, at))?;
    if reader.at != body.len() {
        return Err(corrupt("end of the manifest body", body_at + reader.at));
    }
    Ok(manifest)
}

/// A cursor over the body; errors carry (what, absolute offset).
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    base: usize,
}

type Field<T> = std::result::Result<T, (&'static str, usize)>;

impl Reader<'_> {
    fn take<const N: usize>(&mut self, what: &'static str) -> Field<[u8; N]> {
        let here = self.base + self.at;
        let got = self
            .bytes
            .get(self.at..self.at + N)
            .and_then(|b| b.try_into().ok())
            .ok_or((what, here))?;
        self.at += N;
        Ok(got)
    }

    fn u64(&mut self, what: &'static str) -> Field<u64> {
        self.take::<8>(what).map(u64::from_le_bytes)
    }

    fn i64(&mut self, what: &'static str) -> Field<i64> {
        self.take::<8>(what).map(i64::from_le_bytes)
    }

    fn u32(&mut self, what: &'static str) -> Field<u32> {
        self.take::<4>(what).map(u32::from_le_bytes)
    }

    fn left(&self) -> usize {
        self.bytes.len().saturating_sub(self.at)
    }

    fn offset(&self) -> usize {
        self.base + self.at
    }

    /// A count of items of at least `min_len` bytes each, bounded by what
    /// is left.
    fn count(&mut self, what: &'static str, min_len: usize) -> Field<usize> {
        let at = self.offset();
        let n = self.u32(what)? as usize;
        if n.saturating_mul(min_len) > self.left() {
            return Err((what, at));
        }
        Ok(n)
    }
}

fn read_body(r: &mut Reader<'_>) -> Field<Manifest> {
    let sequence = r.u64("sequence")?;
    let at = r.offset();
    let duration_ns = r.u64("partition duration")?;
    if duration_ns == 0 || duration_ns > i64::MAX as u64 {
        return Err(("partition duration of 1 ns to i64::MAX ns", at));
    }
    let safe_lsn = r.u64("safe LSN")?;
    let next_gen = r.u64("next generation")?;
    let at = r.offset();
    let [flags] = r.take::<1>("flags")?;
    if flags & !(HAS_RETENTION_CUTOFF | HAS_TOMBSTONES) != 0 {
        return Err(("known flags only", at));
    }
    let at = r.offset();
    let cutoff = r.i64("retention cutoff")?;
    // Without the flag the field is written as 0: anything else would
    // decode to a manifest that does not encode back to these bytes.
    if flags & HAS_RETENTION_CUTOFF == 0 && cutoff != 0 {
        return Err(("a retention cutoff of 0 when none is set", at));
    }
    let files = read_files(r, next_gen)?;
    let count = r.count("WAL segment count", 8)?;
    let mut wal_segments = Vec::with_capacity(count);
    for _ in 0..count {
        let at = r.offset();
        let first = r.u64("WAL segment first LSN")?;
        if wal_segments.last().is_some_and(|&prev| prev >= first) {
            return Err(("WAL segments in increasing order", at));
        }
        wal_segments.push(first);
    }
    let count = r.count("removed file count", 3)?;
    let mut removed = Vec::with_capacity(count);
    for _ in 0..count {
        removed.push(read_path(r)?);
    }
    let tombstones = if flags & HAS_TOMBSTONES != 0 {
        read_tombstones(r, next_gen)?
    } else {
        Vec::new()
    };
    Ok(Manifest {
        sequence,
        partition_duration: Duration::from_nanos(duration_ns),
        safe_lsn,
        next_gen,
        retention_cutoff: (flags & HAS_RETENTION_CUTOFF != 0).then_some(cutoff),
        files,
        wal_segments,
        removed,
        tombstones,
    })
}

fn read_tombstones(r: &mut Reader<'_>, next_gen: u64) -> Field<Vec<Tombstone>> {
    let count = r.count("tombstone count", TOMBSTONE_FIXED_LEN + 8)?;
    if count == 0 {
        return Err((
            "a tombstone section only when there are tombstones",
            r.offset(),
        ));
    }
    let mut tombstones = Vec::with_capacity(count);
    for _ in 0..count {
        let at = r.offset();
        let gen_limit = r.u64("tombstone generation limit")?;
        if gen_limit == 0 || gen_limit > next_gen {
            return Err((
                "a tombstone generation limit of 1 to the next generation",
                at,
            ));
        }
        let at = r.offset();
        let start = r.i64("tombstone start")?;
        let end = r.i64("tombstone end")?;
        let range = TimeRange::new(start, end)
            .ok()
            .filter(|range| !range.is_empty())
            .ok_or(("a tombstone range with start < end", at))?;
        let n = r.count("tombstone series count", 8)?;
        let mut series: Vec<SeriesId> = Vec::with_capacity(n);
        for _ in 0..n {
            let at = r.offset();
            let id = SeriesId(r.u64("tombstone series id")?);
            if series.last().is_some_and(|prev| *prev >= id) {
                return Err(("tombstone series ids in increasing order", at));
            }
            series.push(id);
        }
        if series.is_empty() {
            return Err(("a tombstone with a series", at));
        }
        tombstones.push(Tombstone {
            gen_limit,
            range,
            series,
        });
    }
    Ok(tombstones)
}

fn read_files(r: &mut Reader<'_>, next_gen: u64) -> Field<Vec<FileRecord>> {
    let count = r.count("file count", 2 + FILE_FIXED_LEN)?;
    let mut files = Vec::with_capacity(count);
    for _ in 0..count {
        files.push(read_file(r, next_gen)?);
    }
    Ok(files)
}

fn read_path(r: &mut Reader<'_>) -> Field<PathBuf> {
    let at = r.offset();
    let len = usize::from(u16::from_le_bytes(r.take::<2>("file path length")?));
    if len == 0 || len > MAX_PATH_LEN || len > r.left() {
        return Err(("file path of 1 to 1024 bytes", at));
    }
    let bytes = r.bytes.get(r.at..r.at + len).ok_or(("file path", at))?;
    let path = std::str::from_utf8(bytes)
        .ok()
        .map(PathBuf::from)
        .filter(|p| is_plain_relative(p))
        .ok_or(("file path: relative, UTF-8, no `..`", at + 2))?;
    r.at += len;
    Ok(path)
}

fn read_file(r: &mut Reader<'_>, next_gen: u64) -> Field<FileRecord> {
    let path = read_path(r)?;
    let at = r.offset();
    let first_gen = r.u64("first generation")?;
    let last_gen = r.u64("last generation")?;
    if first_gen > last_gen || last_gen >= next_gen {
        return Err(("generations first <= last < next generation", at));
    }
    let at = r.offset();
    let span_start = r.i64("span start")?;
    let span_end = r.i64("span end")?;
    if span_start >= span_end {
        return Err(("span start before span end", at));
    }
    let size = r.u64("file size")?;
    let file_crc = r.u32("file CRC")?;
    let points = r.u64("point count")?;
    let at = r.offset();
    let min_ts = r.i64("smallest timestamp")?;
    let max_ts = r.i64("largest timestamp")?;
    let empty = points == 0 && min_ts == i64::MAX && max_ts == i64::MIN;
    // An end of i64::MAX saturated: the last partition holds i64::MAX too.
    let below_end = max_ts < span_end || span_end == i64::MAX;
    let inside = points > 0 && span_start <= min_ts && min_ts <= max_ts && below_end;
    if !(empty || inside) {
        return Err(("timestamps within the file's span", at));
    }
    Ok(FileRecord {
        path,
        first_gen,
        last_gen,
        span_start,
        span_end,
        size,
        file_crc,
        points,
        min_ts,
        max_ts,
    })
}

/// True for a relative path of plain names (no root, `.` or `..`).
fn is_plain_relative(path: &Path) -> bool {
    path.components().all(|c| matches!(c, Component::Normal(_)))
        && path.components().next().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        Manifest {
            sequence: 9,
            partition_duration: Duration::from_secs(3600),
            safe_lsn: 41,
            next_gen: 8,
            retention_cutoff: Some(-5),
            files: vec![
                FileRecord {
                    path: PathBuf::from("tsm/0000000000000001-0000000000000005.tsm"),
                    first_gen: 1,
                    last_gen: 5,
                    span_start: 0,
                    span_end: 8 * 3_600_000_000_000,
                    size: 4096,
                    file_crc: 0xdead_beef,
                    points: 100,
                    min_ts: 10,
                    max_ts: 3_600_000_000_000,
                },
                FileRecord {
                    path: PathBuf::from("partitions/-3600/0000000000000007-0000000000000007.tsm"),
                    first_gen: 7,
                    last_gen: 7,
                    span_start: -3_600_000_000_000,
                    span_end: 0,
                    size: 80,
                    file_crc: 1,
                    points: 0,
                    min_ts: i64::MAX,
                    max_ts: i64::MIN,
                },
            ],
            wal_segments: vec![3, 40],
            removed: vec![PathBuf::from("tsm/0000000000000002-0000000000000002.tsm")],
            tombstones: Vec::new(),
        }
    }

    fn with_tombstones() -> Manifest {
        let mut m = sample();
        m.tombstones = vec![
            Tombstone {
                gen_limit: 6,
                range: TimeRange::new(-10, 10).unwrap(),
                series: vec![SeriesId(3), SeriesId(u64::MAX)],
            },
            Tombstone {
                gen_limit: 8,
                range: TimeRange::ALL,
                series: vec![SeriesId(0)],
            },
        ];
        m
    }

    #[test]
    fn tombstones_round_trip_and_a_manifest_without_them_has_no_section() {
        let m = with_tombstones();
        assert_eq!(decode_manifest(&encode(&m), Path::new("M")).unwrap(), m);
        let mut none = m.clone();
        none.tombstones.clear();
        assert_eq!(encode(&none), encode(&sample()));
        let bad = |change: fn(&mut Manifest)| {
            let mut m = with_tombstones();
            change(&mut m);
            decode_manifest(&encode(&m), Path::new("M")).is_err()
        };
        assert!(
            bad(|m| m.tombstones[0].gen_limit = 9),
            "limit past next gen"
        );
        assert!(bad(|m| m.tombstones[0].gen_limit = 0));
        assert!(bad(
            |m| m.tombstones[0].series = vec![SeriesId(4), SeriesId(3)]
        ));
        assert!(bad(|m| m.tombstones[0].series.clear()));
        assert!(bad(
            |m| m.tombstones[0].range = TimeRange::new(5, 5).unwrap()
        ));
    }

    #[test]
    fn a_manifest_round_trips() {
        let m = sample();
        let bytes = encode(&m);
        assert_eq!(decode_manifest(&bytes, Path::new("M")).unwrap(), m);
        let empty = Manifest::new(Duration::from_nanos(1));
        assert_eq!(
            decode_manifest(&encode(&empty), Path::new("M")).unwrap(),
            empty
        );
    }

    #[test]
    fn every_prefix_and_every_byte_flip_is_a_typed_error() {
        let bytes = encode(&with_tombstones());
        for len in 0..bytes.len() {
            assert!(
                matches!(
                    decode_manifest(&bytes[..len], Path::new("M")),
                    Err(EngineError::Corrupt { .. })
                ),
                "prefix {len}"
            );
        }
        for i in 0..bytes.len() {
            for mask in [0x01, 0x80, 0xff] {
                let mut bad = bytes.clone();
                bad[i] ^= mask;
                assert!(decode_manifest(&bad, Path::new("M")).is_err(), "flip {i}");
            }
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode_manifest(&longer, Path::new("M")).is_err());
    }

    #[test]
    fn intact_but_invalid_fields_are_refused() {
        let reseal = |m: &Manifest| encode(m);
        let mut m = sample();
        m.files[0].path = PathBuf::from("../outside.tsm");
        assert!(decode_manifest(&reseal(&m), Path::new("M")).is_err());
        let mut m = sample();
        m.files[0].last_gen = 8;
        assert!(decode_manifest(&reseal(&m), Path::new("M")).is_err());
        let mut m = sample();
        m.wal_segments = vec![5, 5];
        assert!(decode_manifest(&reseal(&m), Path::new("M")).is_err());
        let mut m = sample();
        m.files[0].max_ts = m.files[0].span_end;
        assert!(decode_manifest(&reseal(&m), Path::new("M")).is_err());
    }

    #[test]
    fn newer_versions_are_refused() {
        let mut bytes = encode(&sample());
        bytes[4] = MANIFEST_VERSION + 1;
        let crc = crc32fast::hash(&bytes[..16]).to_le_bytes();
        bytes[16..20].copy_from_slice(&crc);
        assert!(matches!(
            decode_manifest(&bytes, Path::new("M")),
            Err(EngineError::UnsupportedVersion { found: 2, .. })
        ));
    }
}
