//! The engine's own parsers: the `CHECKPOINT` decoder and the TOML
//! configuration.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use skulk_engine::{
    CHECKPOINT_LEN, CHECKPOINT_MAGIC, CODEC_CHOICE_NAMES, EngineConfig, EngineError, FileRecord,
    Manifest, SyncMode, WalConfig, decode_checkpoint, decode_manifest,
};

use super::input::Input;

/// The CRC-32 (IEEE, reflected polynomial `0xEDB88320`) of `bytes`, written
/// here from its definition so that the decoder is checked against an
/// implementation it does not share.
fn crc32_ieee(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// A checkpoint as `skulk-engine/FORMAT.md` ("CHECKPOINT") lays it out:
/// magic, version 1, three zero bytes, the safe LSN, the CRC32 of the 16
/// bytes before it.
pub fn checkpoint_bytes(safe_lsn: u64) -> Vec<u8> {
    let mut out = CHECKPOINT_MAGIC.to_vec();
    out.extend_from_slice(&[1, 0, 0, 0]);
    out.extend_from_slice(&safe_lsn.to_le_bytes());
    let crc = crc32_ieee(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// The offset of a `Corrupt` error; panics on any other kind of error.
fn corrupt_offset(result: &skulk_engine::Result<u64>, path: &Path) -> Option<u64> {
    match result {
        Ok(_) => None,
        Err(EngineError::Corrupt {
            path: p, offset, ..
        }) => {
            assert_eq!(p, path, "the error names another file");
            Some(*offset)
        }
        Err(EngineError::UnsupportedVersion { found, .. }) => {
            assert_ne!(*found, 1, "version 1 refused as unsupported");
            None
        }
        Err(other) => panic!("unexpected error kind: {other}"),
    }
}

/// The engine's `CHECKPOINT` decoder ([`decode_checkpoint`]) against the
/// layout of its spec.
///
/// - The input as a file: it decodes only if it is exactly the spec's
///   encoding of the LSN it decodes to (so nothing else is accepted: no
///   other length, magic, version, reserved bytes or CRC); otherwise a
///   `Corrupt` error at an offset inside the input, or `UnsupportedVersion`.
/// - The first 8 bytes as an LSN, encoded per the spec: it decodes to that
///   LSN; the next three bytes damage it (offset, XOR mask, and a cut): a
///   flipped byte is always refused, a cut gives `Corrupt` at the cut.
pub fn engine_checkpoint(data: &[u8]) {
    let path = Path::new("fuzz/CHECKPOINT");
    let result = decode_checkpoint(data, path);
    match &result {
        Ok(lsn) => assert_eq!(
            data,
            checkpoint_bytes(*lsn),
            "accepted a non-canonical file"
        ),
        Err(_) => {
            if let Some(offset) = corrupt_offset(&result, path) {
                assert!(offset <= data.len() as u64, "offset {offset} past the end");
            }
        }
    }

    let mut input = Input(data);
    let lsn = u64::from_le_bytes(input.bytes());
    let mut bytes = checkpoint_bytes(lsn);
    assert_eq!(
        decode_checkpoint(&bytes, path).ok(),
        Some(lsn),
        "round trip"
    );
    let (at, mask, cut) = (
        usize::from(input.u8()) % CHECKPOINT_LEN,
        input.u8(),
        input.u8(),
    );
    if cut % 4 == 0 {
        bytes.truncate(at);
        let result = decode_checkpoint(&bytes, path);
        assert_eq!(
            corrupt_offset(&result, path),
            Some(at as u64),
            "cut at {at}"
        );
    } else if mask != 0 {
        if let Some(byte) = bytes.get_mut(at) {
            *byte ^= mask;
        }
        assert!(
            decode_checkpoint(&bytes, path).is_err(),
            "flip at {at} accepted"
        );
    }
}

/// The engine's `MANIFEST` decoder ([`decode_manifest`]).
///
/// - The input as a file: never a panic; it decodes only to a manifest
///   that encodes back to exactly the input (nothing else is accepted);
///   otherwise `Corrupt` naming the file at an offset inside it, or
///   `UnsupportedVersion`.
/// - A manifest built from the input (sizes, generations, spans, paths,
///   segments), encoded: it decodes back to itself; then damaged in one
///   place (offset, XOR mask, or a cut): always refused.
pub fn engine_manifest(data: &[u8]) {
    let path = Path::new("fuzz/MANIFEST");
    match decode_manifest(data, path) {
        Ok(manifest) => assert_eq!(manifest.to_bytes(), data, "accepted a non-canonical file"),
        Err(EngineError::Corrupt {
            path: p, offset, ..
        }) => {
            assert_eq!(p, path, "the error names another file");
            assert!(offset <= data.len() as u64, "offset {offset} past the end");
        }
        Err(EngineError::UnsupportedVersion { found, .. }) => assert_ne!(found, 1),
        Err(other) => panic!("unexpected error kind: {other}"),
    }
    let mut input = Input(data);
    let manifest = manifest_from(&mut input);
    let mut bytes = manifest.to_bytes();
    let decoded = decode_manifest(&bytes, path).unwrap_or_else(|e| panic!("round trip: {e}"));
    assert_eq!(decoded, manifest, "round trip");
    let (at, mask, cut) = (input.u16(), input.u8(), input.u8());
    let at = usize::from(at) % bytes.len();
    if cut % 4 == 0 {
        bytes.truncate(at);
    } else if mask != 0 {
        if let Some(byte) = bytes.get_mut(at) {
            *byte ^= mask;
        }
    } else {
        return;
    }
    assert!(
        decode_manifest(&bytes, path).is_err(),
        "damage at {at} accepted"
    );
}

/// A valid manifest whose fields come from `input`.
fn manifest_from(input: &mut Input<'_>) -> Manifest {
    let partition = 1 + u64::from(input.u16());
    let mut manifest = Manifest::new(Duration::from_nanos(partition));
    manifest.sequence = u64::from(input.u8());
    manifest.safe_lsn = u64::from(input.u16());
    let files = usize::from(input.u8() % 5);
    for i in 0..files {
        let first = 1 + u64::from(input.u8());
        let last = first + u64::from(input.u8() % 4);
        let start = i64::from(input.u16()) * partition as i64 - 1_000_000;
        let span = partition as i64 * (1 + i64::from(input.u8() % 8));
        let points = u64::from(input.u8());
        let (min_ts, max_ts) = if points == 0 {
            (i64::MAX, i64::MIN)
        } else {
            (start, start + span - 1)
        };
        manifest.files.push(FileRecord {
            path: format!("tsm/{i}-{first:x}.tsm").into(),
            first_gen: first,
            last_gen: last,
            span_start: start,
            span_end: start + span,
            size: u64::from(input.u16()),
            file_crc: u32::from(input.u16()),
            points,
            min_ts,
            max_ts,
        });
        manifest.next_gen = manifest.next_gen.max(last + 1);
    }
    let mut lsn = 0;
    for _ in 0..input.u8() % 4 {
        lsn += 1 + u64::from(input.u8());
        manifest.wal_segments.push(lsn);
    }
    if input.u8() % 2 == 1 {
        manifest.retention_cutoff = Some(-i64::from(input.u16()));
        manifest.removed.push("tsm/old.tsm".into());
    }
    manifest
}

/// `duration` as humantime text that names every nanosecond.
fn duration_text(d: Duration) -> String {
    format!("\"{}s {}ns\"", d.as_secs(), d.subsec_nanos())
}

/// Every field of `config` as TOML. The destructuring is exhaustive, so a
/// new field fails to compile here until it is written out too.
pub fn config_toml(config: &EngineConfig) -> String {
    let EngineConfig {
        wal,
        partition_duration,
        flush_points,
        flush_size_bytes,
        flush_age,
        retention,
        max_active_partitions,
        compaction_max_span,
        compaction_min_files,
        block_points,
        query_threads,
        background,
        maintenance_interval,
        codec,
        tsm_version,
    } = config;
    let WalConfig {
        batch_size,
        batch_timeout,
        segment_size,
        sync_mode,
    } = wal;
    let mode = match sync_mode {
        SyncMode::None => "none",
        SyncMode::Fsync => "fsync",
        SyncMode::Fdatasync => "fdatasync",
    };
    let mut text = String::new();
    // A fixed codec pair has no TOML name; configs read from TOML never
    // hold one.
    let codec_name = CODEC_CHOICE_NAMES
        .iter()
        .find(|(_, choice)| choice == codec)
        .map_or("adaptive", |(name, _)| name);
    let top: [(&str, String); 14] = [
        (
            "partition_duration",
            partition_duration.map(duration_text).unwrap_or_default(),
        ),
        ("flush_points", flush_points.to_string()),
        ("flush_size_bytes", flush_size_bytes.to_string()),
        // `None` is written as zero, which is how TOML turns it off.
        (
            "flush_age",
            flush_age.map_or_else(|| "\"0s\"".to_string(), duration_text),
        ),
        (
            "retention",
            retention.map(duration_text).unwrap_or_default(),
        ),
        ("max_active_partitions", max_active_partitions.to_string()),
        (
            "compaction_max_span",
            compaction_max_span.map(duration_text).unwrap_or_default(),
        ),
        ("compaction_min_files", compaction_min_files.to_string()),
        ("block_points", block_points.to_string()),
        ("query_threads", query_threads.to_string()),
        ("background", background.to_string()),
        ("maintenance_interval", duration_text(*maintenance_interval)),
        ("codec", format!("\"{codec_name}\"")),
        ("tsm_version", tsm_version.as_u8().to_string()),
    ];
    let wal: [(&str, String); 4] = [
        ("batch_size", batch_size.to_string()),
        ("batch_timeout", duration_text(*batch_timeout)),
        ("segment_size", segment_size.to_string()),
        ("sync_mode", format!("\"{mode}\"")),
    ];
    for (key, value) in top {
        // An absent option is written by leaving its key out.
        if !value.is_empty() {
            let _ = writeln!(text, "{key} = {value}");
        }
    }
    text.push_str("[wal]\n");
    for (key, value) in wal {
        let _ = writeln!(text, "{key} = {value}");
    }
    text
}

/// The engine's TOML configuration parser ([`EngineConfig::from_toml_str`])
/// on arbitrary text (invalid UTF-8 replaced).
///
/// A parsed configuration passes [`EngineConfig::validate`] and parses back
/// identically from [`config_toml`], which writes every field out; a refused
/// one is a `Config` error (syntax, type, unknown key) or an
/// `InvalidArgument` one (a value out of range), never a panic.
pub fn engine_config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match EngineConfig::from_toml_str(&text) {
        Ok(config) => {
            assert!(config.validate().is_ok(), "accepted an invalid config");
            let written = config_toml(&config);
            match EngineConfig::from_toml_str(&written) {
                Ok(again) => assert_eq!(again, config, "re-parsed from:\n{written}"),
                Err(e) => panic!("its own TOML is refused: {e}\n{written}"),
            }
        }
        Err(EngineError::Config(_) | EngineError::InvalidArgument(_)) => {}
        Err(EngineError::OutOfRange { .. }) => {}
        Err(EngineError::Wal(skulk_wal::WalError::InvalidArgument(_))) => {}
        Err(other) => panic!("unexpected error kind: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_crc_is_crc32_ieee() {
        assert_eq!(crc32_ieee(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32_ieee(b""), 0);
    }

    #[test]
    fn the_default_config_round_trips() {
        let config = EngineConfig::default();
        let text = config_toml(&config);
        assert_eq!(EngineConfig::from_toml_str(&text).unwrap(), config);
        engine_config(text.as_bytes());
    }
}
