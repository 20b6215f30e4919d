//! Codec golden vectors: the bytes of every codec's payloads, pinned.
//!
//! `vectors/codec/v<N>/` of this crate holds one file per codec id. Each
//! file is a short header and one record per input case: the point count
//! and the bare payload the codec wrote for that case (see the README there
//! for the layout and the exact inputs). The files are written once and
//! never regenerated: an encoder or decoder change that would make stored
//! data unreadable, or differently encoded, fails these checks.
//!
//! Two checks, for any implementation of `skulk-codec`'s traits:
//! - [`check_decoder`]: every payload decodes to its input, bit for bit,
//!   and consumes exactly the payload. Any reader of the codec must pass it.
//! - [`check_encoder`]: every input encodes to exactly the stored payload.
//!   Only encoders that claim byte-identical output (`skulk-codec`'s own)
//!   need pass it: `FORMAT.md` leaves some encoder choices open.
//!
//! This crate's `tests/it/codec_vectors.rs` runs both on `skulk-codec`'s
//! codecs, and writes a missing file under `SKULK_WRITE_GOLDEN=1`
//! ([`encode_vector_file`]).

mod cases;
mod cases_v2;

use std::fmt;
use std::path::PathBuf;

use skulk_codec::{CodecError, CodecId, TimestampCodec, ValueCodec, timestamp_codec, value_codec};

use crate::format_suite::vectors_dir;

/// The first bytes of every codec vector file.
pub const MAGIC: [u8; 4] = *b"SKCV";

/// Bytes before the first record: magic, layout version, codec id, record count.
pub const FILE_HEADER_LEN: usize = 4 + 1 + 1 + 4;

/// Bytes before each record's payload: point count and payload length.
pub const RECORD_HEADER_LEN: usize = 4 + 4;

/// One named input of a golden vector file.
#[derive(Debug, Clone, PartialEq)]
pub struct Case<T> {
    /// Name, as in the README table.
    pub name: &'static str,
    /// The timestamps or values.
    pub items: Vec<T>,
}

/// The inputs of a golden file, by column type.
#[derive(Debug, Clone, Copy)]
pub enum Inputs {
    /// Inputs of a timestamp codec.
    Timestamps(fn() -> Vec<Case<i64>>),
    /// Inputs of a value codec.
    Values(fn() -> Vec<Case<f64>>),
}

/// One golden vector file and the inputs it was written from.
#[derive(Debug, Clone)]
pub struct GoldenCodecFile {
    /// File name in `vectors/codec/v<version>/`.
    pub name: &'static str,
    /// Version of the codec bitstreams (`skulk-codec/FORMAT.md`, "Versions").
    pub version: u8,
    /// The codec whose payloads the file holds.
    pub codec: CodecId,
    /// The cases, one record each, in file order.
    pub inputs: Inputs,
}

impl GoldenCodecFile {
    /// The folder of the files of `version`.
    pub fn dir(version: u8) -> PathBuf {
        vectors_dir().join("codec").join(format!("v{version}"))
    }

    /// The file's path.
    pub fn path(&self) -> PathBuf {
        Self::dir(self.version).join(self.name)
    }

    /// The file's bytes.
    pub fn bytes(&self) -> std::io::Result<Vec<u8>> {
        std::fs::read(self.path())
    }

    /// Number of cases (records) in the file.
    pub fn case_count(&self) -> usize {
        match self.inputs {
            Inputs::Timestamps(cases) => cases().len(),
            Inputs::Values(cases) => cases().len(),
        }
    }
}

/// Every golden codec vector file of every version.
pub fn golden_codec_files() -> Vec<GoldenCodecFile> {
    let ts = |name, codec| GoldenCodecFile {
        name,
        version: 1,
        codec,
        inputs: Inputs::Timestamps(cases::timestamps_v1),
    };
    let vs = |name, codec| GoldenCodecFile {
        name,
        version: 1,
        codec,
        inputs: Inputs::Values(cases::values_v1),
    };
    let ts2 = |name, codec| GoldenCodecFile {
        name,
        version: 2,
        codec,
        inputs: Inputs::Timestamps(cases_v2::timestamps_v2),
    };
    let vs2 = |name, codec| GoldenCodecFile {
        name,
        version: 2,
        codec,
        inputs: Inputs::Values(cases_v2::values_v2),
    };
    vec![
        ts("01_raw_timestamps.bin", CodecId::RawTimestamps),
        vs("02_raw_values.bin", CodecId::RawValues),
        ts("10_gorilla_timestamps.bin", CodecId::GorillaTimestamps),
        vs("11_gorilla_values.bin", CodecId::GorillaValues),
        ts("20_delta_pack_timestamps.bin", CodecId::DeltaPackTimestamps),
        vs("21_alp_values.bin", CodecId::AlpValues),
        ts2("30_step_timestamps.bin", CodecId::StepTimestamps),
        vs2("31_alp_vector_values.bin", CodecId::AlpVectorValues),
        vs2("32_alp_rd_values.bin", CodecId::AlpRdValues),
    ]
}

/// One record of a vector file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// Points in the payload (the `count` handed to `decode`).
    pub count: usize,
    /// File offset of the payload.
    pub offset: usize,
    /// The bare codec payload.
    pub payload: &'a [u8],
}

/// A parsed vector file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VectorFile<'a> {
    /// Layout version of the file (1).
    pub version: u8,
    /// The codec id byte.
    pub codec: u8,
    /// The records, in order.
    pub records: Vec<Record<'a>>,
}

fn take<'a>(bytes: &'a [u8], at: &mut usize, n: usize) -> Result<&'a [u8], String> {
    let part = at
        .checked_add(n)
        .and_then(|end| bytes.get(*at..end))
        .ok_or_else(|| format!("vector file truncated: {n} bytes needed at offset {at}"))?;
    *at += n;
    Ok(part)
}

fn take_u32(bytes: &[u8], at: &mut usize) -> Result<usize, String> {
    let part = take(bytes, at, 4)?;
    let word: [u8; 4] = part.try_into().map_err(|_| "short u32".to_string())?;
    Ok(u32::from_le_bytes(word) as usize)
}

/// Parses the layout of a vector file (see the README of
/// `vectors/codec/v1/`); payloads are not decoded.
pub fn parse_vector_file(bytes: &[u8]) -> Result<VectorFile<'_>, String> {
    let mut at = 0;
    if take(bytes, &mut at, 4)? != MAGIC {
        return Err("not a codec vector file (magic SKCV)".into());
    }
    let head = take(bytes, &mut at, 2)?;
    let (version, codec) = (head.first().copied(), head.get(1).copied());
    let (Some(version), Some(codec)) = (version, codec) else {
        return Err("vector file header truncated".into());
    };
    if version != 1 {
        return Err(format!("vector file layout {version}, expected 1"));
    }
    let count = take_u32(bytes, &mut at)?;
    let mut records = Vec::new();
    for _ in 0..count {
        let points = take_u32(bytes, &mut at)?;
        let len = take_u32(bytes, &mut at)?;
        let offset = at;
        let payload = take(bytes, &mut at, len)?;
        records.push(Record {
            count: points,
            offset,
            payload,
        });
    }
    if at != bytes.len() {
        return Err(format!("{} bytes after the last record", bytes.len() - at));
    }
    Ok(VectorFile {
        version,
        codec,
        records,
    })
}

/// Builds a vector file from `(count, payload)` records.
pub fn build_vector_file(codec: CodecId, records: &[(usize, Vec<u8>)]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&[1, codec.as_u8()]);
    out.extend_from_slice(&(records.len() as u32).to_le_bytes());
    for (count, payload) in records {
        out.extend_from_slice(&(*count as u32).to_le_bytes());
        out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        out.extend_from_slice(payload);
    }
    out
}

/// A codec implementation to check against the vectors of its id.
#[derive(Clone, Copy)]
pub enum CodecUnderTest<'a> {
    /// A timestamp codec.
    Timestamps(&'a dyn TimestampCodec),
    /// A value codec.
    Values(&'a dyn ValueCodec),
}

impl CodecUnderTest<'_> {
    /// The id the codec claims.
    pub fn id(&self) -> CodecId {
        match self {
            CodecUnderTest::Timestamps(codec) => codec.id(),
            CodecUnderTest::Values(codec) => codec.id(),
        }
    }

    /// The codec `skulk-codec` registers under `id`.
    pub fn registered(id: CodecId) -> Result<Self, CodecError> {
        match id.kind() {
            skulk_codec::CodecKind::Timestamp => Ok(Self::Timestamps(timestamp_codec(id)?)),
            skulk_codec::CodecKind::Value => Ok(Self::Values(value_codec(id)?)),
        }
    }
}

impl fmt::Debug for CodecUnderTest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CodecUnderTest({:?})", self.id())
    }
}

/// Which half of a codec is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Payloads decode to their inputs.
    Decode,
    /// Inputs encode to the stored payloads.
    Encode,
}

/// What a check covered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VectorReport {
    /// Files checked.
    pub files: usize,
    /// Records checked.
    pub cases: usize,
    /// Points decoded or encoded.
    pub points: usize,
}

/// Encodes the inputs of `file` with `codec` into a whole vector file.
pub fn encode_with(file: &GoldenCodecFile, codec: CodecUnderTest<'_>) -> Result<Vec<u8>, String> {
    let mut records = Vec::new();
    match (file.inputs, codec) {
        (Inputs::Timestamps(cases), CodecUnderTest::Timestamps(codec)) => {
            for case in cases() {
                let encode = |items: &[i64], out: &mut Vec<u8>| codec.encode(items, out);
                records.push((case.items.len(), encode_case(&case, encode)?));
            }
        }
        (Inputs::Values(cases), CodecUnderTest::Values(codec)) => {
            for case in cases() {
                let encode = |items: &[f64], out: &mut Vec<u8>| codec.encode(items, out);
                records.push((case.items.len(), encode_case(&case, encode)?));
            }
        }
        _ => return Err(format!("{}: {codec:?} is of the wrong kind", file.name)),
    }
    Ok(build_vector_file(codec.id(), &records))
}

/// The bytes `file` must hold: its inputs encoded by `skulk-codec`'s codec.
pub fn encode_vector_file(file: &GoldenCodecFile) -> Result<Vec<u8>, String> {
    let codec = CodecUnderTest::registered(file.codec).map_err(|e| e.to_string())?;
    encode_with(file, codec)
}

/// Encodes one case with `encode`, a codec's `encode` of either kind.
fn encode_case<T>(
    case: &Case<T>,
    encode: impl Fn(&[T], &mut Vec<u8>) -> skulk_codec::Result<()>,
) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    encode(&case.items, &mut out).map_err(|e| format!("case {}: encode failed: {e}", case.name))?;
    Ok(out)
}

/// Checks `codec` against every golden file of its id. Fails when there is
/// none, when a file is missing, or on the first case that differs.
fn check_all(codec: CodecUnderTest<'_>, check: Check) -> Result<VectorReport, String> {
    let mut report = VectorReport::default();
    for file in golden_codec_files()
        .iter()
        .filter(|f| f.codec == codec.id())
    {
        let bytes = file
            .bytes()
            .map_err(|e| format!("{}: {e}", file.path().display()))?;
        let one = check_vector_bytes(file, &bytes, codec, check)?;
        report.files += one.files;
        report.cases += one.cases;
        report.points += one.points;
    }
    if report.files == 0 {
        return Err(format!("no golden vectors for {:?}", codec.id()));
    }
    Ok(report)
}

/// The reader check: every payload of every golden file of `codec`'s id
/// decodes to its input, bit for bit, consuming exactly the payload.
pub fn check_decoder(codec: CodecUnderTest<'_>) -> Result<VectorReport, String> {
    check_all(codec, Check::Decode)
}

/// The writer check: every input of every golden file of `codec`'s id
/// encodes to exactly the stored payload, and the whole file is reproduced.
pub fn check_encoder(codec: CodecUnderTest<'_>) -> Result<VectorReport, String> {
    check_all(codec, Check::Encode)
}

/// Runs `check` of `codec` on `bytes`, the contents of `file` (or a
/// modified copy of them, to show that a check fails).
pub fn check_vector_bytes(
    file: &GoldenCodecFile,
    bytes: &[u8],
    codec: CodecUnderTest<'_>,
    check: Check,
) -> Result<VectorReport, String> {
    let name = file.name;
    let parsed = parse_vector_file(bytes).map_err(|e| format!("{name}: {e}"))?;
    if parsed.codec != file.codec.as_u8() || codec.id() != file.codec {
        return Err(format!(
            "{name}: file codec 0x{:02x}, listed {:?}, checked with {:?}",
            parsed.codec,
            file.codec,
            codec.id()
        ));
    }
    if parsed.records.len() != file.case_count() {
        return Err(format!(
            "{name}: {} records, {} cases listed",
            parsed.records.len(),
            file.case_count()
        ));
    }
    let mut report = VectorReport {
        files: 1,
        ..VectorReport::default()
    };
    let records = &parsed.records;
    match (file.inputs, codec) {
        (Inputs::Timestamps(cases), CodecUnderTest::Timestamps(c)) => {
            let codec = CaseCodec {
                decode: &|input, count, out| c.decode(input, count, out),
                encode: &|items, out| c.encode(items, out),
                bits: |t: &i64| *t as u64,
            };
            check_cases(name, &cases(), records, &codec, check, &mut report)?;
        }
        (Inputs::Values(cases), CodecUnderTest::Values(c)) => {
            let codec = CaseCodec {
                decode: &|input, count, out| c.decode(input, count, out),
                encode: &|items, out| c.encode(items, out),
                bits: |v: &f64| v.to_bits(),
            };
            check_cases(name, &cases(), records, &codec, check, &mut report)?;
        }
        _ => return Err(format!("{name}: {codec:?} is of the wrong kind")),
    }
    if check == Check::Encode && encode_with(file, codec)? != bytes {
        return Err(format!("{name}: the re-encoded file differs"));
    }
    Ok(report)
}

/// A codec of either kind, as the checks use it: its `decode` and
/// `encode`, and `bits`, which maps an item to what must compare equal (the
/// bit pattern, for floats).
struct CaseCodec<'a, T> {
    decode: &'a DecodeFn<'a, T>,
    encode: &'a EncodeFn<'a, T>,
    bits: fn(&T) -> u64,
}

/// `TimestampCodec::decode` or `ValueCodec::decode`.
type DecodeFn<'a, T> = dyn Fn(&[u8], usize, &mut Vec<T>) -> skulk_codec::Result<usize> + 'a;

/// `TimestampCodec::encode` or `ValueCodec::encode`.
type EncodeFn<'a, T> = dyn Fn(&[T], &mut Vec<u8>) -> skulk_codec::Result<()> + 'a;

/// Checks each case against its record, adding to `report`.
fn check_cases<T>(
    name: &str,
    cases: &[Case<T>],
    records: &[Record<'_>],
    codec: &CaseCodec<'_, T>,
    check: Check,
    report: &mut VectorReport,
) -> Result<(), String> {
    for (case, record) in cases.iter().zip(records) {
        report.points += check_case(codec, case, record, check)
            .map_err(|e| format!("{name}, case {}: {e}", case.name))?;
        report.cases += 1;
    }
    Ok(())
}

/// Checks one case against its record; returns the points checked.
fn check_case<T>(
    codec: &CaseCodec<'_, T>,
    case: &Case<T>,
    record: &Record<'_>,
    check: Check,
) -> Result<usize, String> {
    check_count(case.items.len(), record)?;
    match check {
        Check::Decode => {
            let mut out = Vec::new();
            let used = (codec.decode)(record.payload, record.count, &mut out)
                .map_err(|e| format!("decode failed: {e}"))?;
            check_consumed(used, record)?;
            first_difference(&out, &case.items, codec.bits)
        }
        Check::Encode => same_payload(&encode_case(case, codec.encode)?, record),
    }?;
    Ok(record.count)
}

fn check_count(inputs: usize, record: &Record<'_>) -> Result<(), String> {
    if inputs != record.count {
        return Err(format!("{} points stored, {inputs} listed", record.count));
    }
    Ok(())
}

fn check_consumed(used: usize, record: &Record<'_>) -> Result<(), String> {
    if used != record.payload.len() {
        return Err(format!(
            "decode consumed {used} of {} payload bytes",
            record.payload.len()
        ));
    }
    Ok(())
}

/// Compares bit patterns; names the first differing point.
fn first_difference<T>(got: &[T], want: &[T], bits: impl Fn(&T) -> u64) -> Result<(), String> {
    if got.len() != want.len() {
        return Err(format!(
            "{} points decoded, {} expected",
            got.len(),
            want.len()
        ));
    }
    match got.iter().zip(want).position(|(g, w)| bits(g) != bits(w)) {
        None => Ok(()),
        Some(i) => Err(format!(
            "point {i}: decoded bits {:#018x}, expected {:#018x}",
            got.get(i).map(&bits).unwrap_or_default(),
            want.get(i).map(&bits).unwrap_or_default()
        )),
    }
}

fn same_payload(encoded: &[u8], record: &Record<'_>) -> Result<(), String> {
    if encoded == record.payload {
        return Ok(());
    }
    let at = encoded
        .iter()
        .zip(record.payload)
        .position(|(a, b)| a != b)
        .unwrap_or(encoded.len().min(record.payload.len()));
    Err(format!(
        "encoder output ({} bytes) differs from the stored payload ({} bytes) at payload \
         byte {at} (file offset {})",
        encoded.len(),
        record.payload.len(),
        record.offset + at
    ))
}
