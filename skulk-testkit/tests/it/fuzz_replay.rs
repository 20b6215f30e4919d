//! Replays the checked-in fuzz corpus (`fuzz/corpus/<target>/`) and every
//! regression input (`skulk-testkit/bad_data/<target>/`) through the fuzz
//! targets' entry points, so CI catches regressions without cargo-fuzz.
//!
//! The command-line tool's targets (`cli_*`) are replayed by skulk-cli's
//! own tests (`skulk_cli::fuzzing`); this test leaves their folders alone.
//!
//! The seed corpus is written from the golden files and the generators by
//! `SKULK_WRITE_CORPUS=1 cargo test -p skulk-testkit --test it fuzz_replay`
//! (only missing files are created).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use skulk_codec::{CodecChoice, CodecId, CodecKind, CompressedBlock, timestamp_codec, value_codec};
use skulk_format::DataPoint;
use skulk_testkit::corruption::quietly;
use skulk_testkit::format_suite::golden_tsm_files;
use skulk_testkit::fuzz::{TARGETS, WAL_SEGMENT_NAME, run};
use skulk_testkit::generators::{TimestampShape, ValueShape};
use skulk_testkit::sim_fs::SimFs;
use skulk_testkit::wal_suite::golden_wal_logs;
use skulk_wal::{Wal, WalConfig, WalEntry};

/// Targets of the command-line tool, owned by skulk-cli's tests.
fn is_cli_target(name: &str) -> bool {
    name.starts_with("cli_")
}

const CORPUS_LIMIT_BYTES: u64 = 100 * 1024;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn corpus_dir(target: &str) -> PathBuf {
    root().join("fuzz/corpus").join(target)
}

fn bad_data_dir(target: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/bad_data")).join(target)
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    files
}

fn special_points() -> (Vec<i64>, Vec<f64>) {
    let ts = vec![i64::MIN, -1, 0, 1, 1_000_000_000, i64::MAX];
    let vs = vec![
        f64::NAN,
        -0.0,
        f64::INFINITY,
        f64::from_bits(1),
        1e300,
        f64::from_bits(0x7ff4_0000_0000_0001),
    ];
    (ts, vs)
}

fn shaped(n: usize) -> Vec<(String, Vec<i64>, Vec<f64>)> {
    let (ts, vs) = special_points();
    let mut out = vec![("special".to_string(), ts, vs)];
    for (t, v) in [
        (TimestampShape::Regular, ValueShape::RandomWalk),
        (TimestampShape::Jittered, ValueShape::Decimals2),
    ] {
        out.push((
            format!("{}-{}", t.name(), v.name()),
            t.generate(1, n),
            v.generate(1, n),
        ));
    }
    out
}

fn codec_decode_seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds = Vec::new();
    for (index, &id) in CodecId::ALL.iter().enumerate() {
        for (shape, ts, vs) in shaped(40) {
            let mut payload = Vec::new();
            match id.kind() {
                CodecKind::Timestamp => timestamp_codec(id)
                    .unwrap()
                    .encode(&ts, &mut payload)
                    .unwrap(),
                CodecKind::Value => value_codec(id).unwrap().encode(&vs, &mut payload).unwrap(),
            }
            let mut seed = vec![index as u8];
            seed.extend_from_slice(&(ts.len() as u16).to_le_bytes());
            seed.extend_from_slice(&payload);
            seeds.push((format!("{id:?}-{shape}"), seed));
        }
    }
    seeds
}

fn codec_block_seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds = Vec::new();
    for (shape, ts, vs) in shaped(40) {
        for (name, choice) in [
            ("adaptive", CodecChoice::Adaptive),
            ("raw", CodecChoice::RAW),
        ] {
            let block = CompressedBlock::encode_with(&ts, &vs, choice).unwrap();
            seeds.push((format!("{name}-{shape}"), block.into_bytes()));
        }
    }
    seeds
}

fn codec_roundtrip_seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds = Vec::new();
    for (selector, (shape, ts, vs)) in shaped(12).into_iter().enumerate() {
        let mut seed = vec![selector as u8 * 17];
        for (t, v) in ts.iter().zip(&vs) {
            seed.extend_from_slice(&t.to_le_bytes());
            seed.extend_from_slice(&v.to_bits().to_le_bytes());
        }
        seeds.push((shape, seed));
    }
    seeds
}

fn format_tsm_reader_seeds() -> Vec<(String, Vec<u8>)> {
    // Files of later versions reuse version 1's names: prefixed apart.
    let name = |g: &skulk_testkit::format_suite::GoldenTsm| match g.version {
        1 => g.name.to_string(),
        v => format!("v{v}-{}", g.name),
    };
    golden_tsm_files()
        .iter()
        .map(|g| (name(g), g.bytes().unwrap()))
        .collect()
}

fn wal_recovery_seeds() -> Vec<(String, Vec<u8>)> {
    let dir = SimFs::labelled("seed");
    let (wal, _) = Wal::open_in(Arc::new(dir.clone()), "", WalConfig::default()).unwrap();
    let labels = vec![("host".to_string(), "a".to_string())];
    let lsn = wal
        .append_points(&[DataPoint::new("cpu", labels.clone(), 1, f64::NAN)])
        .unwrap();
    wal.append_points(&[
        DataPoint::new("cpu", labels, 2, -0.0),
        DataPoint::new("m", vec![], 3, 1.0),
    ])
    .unwrap();
    wal.append(&WalEntry::Checkpoint { safe_lsn: lsn }).unwrap();
    drop(wal);
    let mut seeds = vec![(
        "three-batches.wal".to_string(),
        dir.get(WAL_SEGMENT_NAME).unwrap(),
    )];
    for golden in golden_wal_logs() {
        let bytes = std::fs::read(golden.dir().join(WAL_SEGMENT_NAME)).unwrap();
        seeds.push((format!("golden-{}-{WAL_SEGMENT_NAME}", golden.case), bytes));
    }
    seeds
}

/// Inputs for the write-damage-read targets: no damage, a flip, a
/// truncation, each over a few series.
fn roundtrip_seeds() -> Vec<(String, Vec<u8>)> {
    let mut body = vec![3u8];
    for s in 0..4u8 {
        body.push(s);
        body.extend_from_slice(&1_700_000_000_000_000_000_i64.to_le_bytes());
        body.push(6);
        for i in 0..6u8 {
            body.extend_from_slice(&(f64::from(i) * 0.5 - 1.0).to_bits().to_le_bytes());
            body.extend_from_slice(&[9, 0, i % 5]);
        }
    }
    [
        ("clean", [0u8, 0, 0, 1]),
        ("flip", [40, 0, 0x10, 1]),
        ("truncate", [90, 0, 0, 8]),
    ]
    .into_iter()
    .map(|(name, damage)| {
        let mut seed = damage.to_vec();
        seed.push(0x03);
        seed.extend_from_slice(&body);
        (name.to_string(), seed)
    })
    .collect()
}

/// A `CHECKPOINT` as a layout-1 engine's flush wrote it, and damaged
/// copies.
fn engine_checkpoint_seeds() -> Vec<(String, Vec<u8>)> {
    let real = skulk_testkit::fuzz::checkpoint_bytes(5);
    let mut flipped = real.clone();
    flipped[9] ^= 0x04;
    vec![
        ("engine-flush".to_string(), real.clone()),
        ("crc-flipped".to_string(), flipped),
        ("truncated".to_string(), real[..11].to_vec()),
        (
            "lsn-max".to_string(),
            skulk_testkit::fuzz::checkpoint_bytes(u64::MAX),
        ),
    ]
}

/// A `MANIFEST` written by a real engine (files, segments, retention), and
/// damaged copies.
fn engine_manifest_seeds() -> Vec<(String, Vec<u8>)> {
    let dir = tempfile::tempdir().unwrap();
    let config = skulk_engine::EngineConfig {
        background: false,
        retention: Some(std::time::Duration::from_secs(3600)),
        ..Default::default()
    };
    let engine = skulk_engine::Engine::open(dir.path(), config).unwrap();
    for i in 0..3 {
        engine
            .write(&DataPoint::new("cpu", vec![], i, i as f64))
            .unwrap();
        engine.flush().unwrap();
    }
    engine.compact().unwrap();
    engine.close().unwrap();
    let real = std::fs::read(dir.path().join(skulk_engine::MANIFEST_FILE_NAME)).unwrap();
    let mut flipped = real.clone();
    flipped[30] ^= 0x04;
    vec![
        ("engine".to_string(), real.clone()),
        ("body-flipped".to_string(), flipped),
        ("truncated".to_string(), real[..real.len() / 2].to_vec()),
    ]
}

fn engine_config_seeds() -> Vec<(String, Vec<u8>)> {
    let full = skulk_testkit::fuzz::config_toml(&skulk_engine::EngineConfig::default());
    let typical = "# skulk.toml\npartition_duration = \"1h\"\nretention = \"30d\"\n\
        flush_points = 500000\nflush_age = \"90s\"\nbackground = false\n\n\
        [wal]\nsync_mode = \"fdatasync\"\nbatch_timeout = \"2ms 500us\"\nsegment_size = 1048576\n";
    let inline = "wal = { batch_size = 1, sync_mode = \"none\" }\nblock_points = 65535\n\
        maintenance_interval = \"1.5s\"\n";
    [
        ("every-key", full.as_str()),
        ("typical", typical),
        ("inline-wal", inline),
        ("bad-value", "block_points = 0\nflush_pionts = 3\n"),
    ]
    .into_iter()
    .map(|(name, text)| (name.to_string(), text.as_bytes().to_vec()))
    .collect()
}

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    match target {
        "codec_decode" => codec_decode_seeds(),
        "codec_block" => codec_block_seeds(),
        "codec_roundtrip" => codec_roundtrip_seeds(),
        "format_tsm_reader" => format_tsm_reader_seeds(),
        "wal_recovery" => wal_recovery_seeds(),
        "format_tsm_roundtrip" | "wal_roundtrip" => roundtrip_seeds(),
        "engine_checkpoint" => engine_checkpoint_seeds(),
        "engine_config" => engine_config_seeds(),
        "engine_manifest" => engine_manifest_seeds(),
        other => panic!("no seeds for fuzz target {other}: add them here"),
    }
}

#[test]
fn every_target_has_a_small_seed_corpus() {
    let write = std::env::var("SKULK_WRITE_CORPUS").is_ok_and(|v| v == "1");
    let mut total = 0;
    for (target, _) in TARGETS {
        let dir = corpus_dir(target);
        if write {
            std::fs::create_dir_all(&dir).unwrap();
            for (name, bytes) in seeds(target) {
                let path = dir.join(format!("seed-{name}"));
                if !path.exists() {
                    std::fs::write(&path, bytes).unwrap();
                }
            }
        }
        let files = files_in(&dir);
        assert!(
            !files.is_empty(),
            "fuzz/corpus/{target} is empty: run with SKULK_WRITE_CORPUS=1"
        );
        total += files
            .iter()
            .map(|f| f.metadata().unwrap().len())
            .sum::<u64>();
    }
    assert!(
        total < CORPUS_LIMIT_BYTES,
        "the checked-in corpus is {total} bytes: minimize it"
    );
}

#[test]
fn the_corpus_and_every_bad_data_input_replay_without_a_panic() {
    let mut failures = Vec::new();
    let mut replayed = 0;
    for (target, _) in TARGETS {
        for file in files_in(&corpus_dir(target))
            .into_iter()
            .chain(files_in(&bad_data_dir(target)))
        {
            let bytes = std::fs::read(&file).unwrap();
            if let Err(message) = quietly(|| run(target, &bytes)) {
                failures.push(format!("{target} {}: {message}", file.display()));
            }
            replayed += 1;
        }
    }
    println!("replayed {replayed} inputs");
    assert!(
        failures.is_empty(),
        "{} inputs panicked:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_corpus_and_bad_data_folder_names_a_target() {
    let known: Vec<&str> = TARGETS.iter().map(|(name, _)| *name).collect();
    for parent in [root().join("fuzz/corpus"), bad_data_dir("")] {
        let Ok(entries) = std::fs::read_dir(&parent) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if path.is_dir() && !is_cli_target(&name) {
                assert!(
                    known.contains(&name.as_str()),
                    "{} names no fuzz target",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn every_fuzz_target_file_is_registered() {
    let dir = root().join("fuzz/fuzz_targets");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!("skipping: {} not found", dir.display());
        return;
    };
    let mut on_disk: Vec<String> = entries
        .map(|e| {
            e.unwrap()
                .path()
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .to_string()
        })
        .filter(|name| !is_cli_target(name))
        .collect();
    on_disk.sort();
    let mut registered: Vec<String> = TARGETS.iter().map(|(n, _)| n.to_string()).collect();
    registered.sort();
    assert_eq!(
        on_disk, registered,
        "fuzz/fuzz_targets and skulk_testkit::fuzz::TARGETS differ"
    );
}
