//! inspect, dump, verify, stats, compact, bench.

use serde_json::Value;

use crate::support::{LP, Scratch};

/// The one WAL segment in `dir` (the log keeps other files there too).
fn segment_in(dir: &std::path::Path) -> std::path::PathBuf {
    let mut segments: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wal"))
        .collect();
    assert_eq!(segments.len(), 1, "{segments:?}");
    segments.remove(0)
}

fn imported() -> Scratch {
    let s = Scratch::new();
    let input = s.write("in.lp", LP);
    s.ok(&["import", input.to_str().unwrap()]);
    s
}

#[test]
fn inspect_summarizes_a_directory_and_a_file() {
    let s = imported();
    let text = s.ok(&["inspect"]);
    assert!(text.contains(r#"cpu_idle{host="b"}"#), "{text}");
    assert!(
        text.contains("1 file(s), 5 series, 5 blocks, 6 points"),
        "{text}"
    );
    assert!(
        text.contains("bytes/point") && text.contains("compression"),
        "{text}"
    );

    let file = s.tsm_files().remove(0);
    let json: Value =
        serde_json::from_str(&s.ok(&["inspect", file.to_str().unwrap(), "-f", "json"])).unwrap();
    assert_eq!(json["points"], 6);
    let series = json["series"].as_array().unwrap();
    assert_eq!(series.len(), 5);
    let cpu_a = series
        .iter()
        .find(|v| v["series"] == r#"cpu{host="a"}"#)
        .unwrap();
    assert_eq!(
        (cpu_a["points"].clone(), cpu_a["min_timestamp"].clone()),
        (2.into(), 1000.into())
    );
    assert!(cpu_a["compression_ratio"].as_f64().unwrap() > 0.0);
}

#[test]
fn dump_prints_blocks_and_points_and_wal_records() {
    let s = imported();
    let file = s.tsm_files().remove(0);
    let text = s.ok(&["dump", file.to_str().unwrap()]);
    assert!(text.starts_with("TSM file"), "{text}");
    assert!(
        text.contains("  block @") && text.contains("    1000 1.5"),
        "{text}"
    );
    let headers_only = s.ok(&["dump", file.to_str().unwrap(), "--points", "0"]);
    assert!(!headers_only.contains("    1000 1.5"));

    // A WAL segment written directly with the log.
    let wal_dir = s.path("wal");
    {
        let wal = skulk_wal::Wal::new(&wal_dir, skulk_wal::WalConfig::default()).unwrap();
        let host = vec![("host".to_string(), "z".to_string())];
        wal.append_points(&[skulk_format::DataPoint::new("disk", host, 77, 0.25)])
            .unwrap();
    }
    let segment = segment_in(&wal_dir);
    let text = s.ok(&["dump", segment.to_str().unwrap()]);
    assert!(
        text.contains(r#"series-def"#) && text.contains(r#"disk{host="z"} 77 0.25"#),
        "{text}"
    );
}

#[test]
fn verify_passes_clean_data_and_names_a_flipped_byte() {
    let s = imported();
    let text = s.ok(&["verify"]);
    assert!(text.contains("0 corrupt"), "{text}");

    let file = s.tsm_files().remove(0);
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 3;
    bytes[middle] ^= 0x40;
    std::fs::write(&file, bytes).unwrap();
    let out = s.skulk(&["verify"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains("CORRUPT") && stdout.contains("1 corrupt"),
        "{stdout}"
    );
    assert!(
        stderr.contains(file.file_name().unwrap().to_str().unwrap()),
        "{stderr}"
    );
    assert!(stderr.contains("byte"), "the offset is named: {stderr}");
}

#[test]
fn verify_finds_corruption_in_a_wal_segment() {
    let s = Scratch::new();
    let wal_dir = s.path("wal");
    {
        let wal = skulk_wal::Wal::new(&wal_dir, skulk_wal::WalConfig::default()).unwrap();
        for i in 0..20 {
            wal.append_points(&[skulk_format::DataPoint::new("m", vec![], i, i as f64)])
                .unwrap();
        }
    }
    let segment = segment_in(&wal_dir);
    s.ok(&["verify", segment.to_str().unwrap()]);
    let mut bytes = std::fs::read(&segment).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    std::fs::write(&segment, bytes).unwrap();
    for target in [&segment, &wal_dir] {
        let out = s
            .skulk(&["verify", target.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(3),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("offset") || stderr.contains("byte"),
            "{stderr}"
        );
    }
}

#[test]
fn stats_and_compact() {
    let s = Scratch::new();
    // No compaction on close, so that each import leaves its own file.
    let config = s.write("skulk.toml", "compaction_min_files = 0\n");
    let config = config.to_str().unwrap();
    for (name, text) in [("in.lp", LP), ("more.lp", "cpu,host=a value=9 9000\n")] {
        let input = s.write(name, text);
        s.ok(&["--config", config, "import", input.to_str().unwrap()]);
    }
    assert_eq!(s.tsm_files().len(), 2);
    let stats: Value = serde_json::from_str(&s.ok(&["stats", "-f", "json"])).unwrap();
    assert_eq!(stats["series"], 5);
    assert_eq!(stats["tsm_files"], 2);
    assert_eq!(stats["points_on_disk"], 7);

    let text = s.ok(&["compact"]);
    assert!(text.contains("merged 2 file(s)"), "{text}");
    assert_eq!(s.tsm_files().len(), 1);
    let table = s.ok(&["stats"]);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("tsm_files") && l.ends_with(" 1")),
        "{table}"
    );
    assert_eq!(s.ok(&["export"]).lines().count(), 7);
}

#[test]
fn bench_with_generated_data_reports_and_checks() {
    let s = Scratch::new();
    let text = s.ok(&["bench", "--generate", "3", "--points", "2000"]);
    assert!(
        text.contains("3 generated series: 3 series, 6,000 points"),
        "{text}"
    );
    assert!(
        text.contains("throughput") && text.contains("bytes/point"),
        "{text}"
    );
    assert!(
        text.contains("lossless: all 6,000 points read back bit-exact"),
        "{text}"
    );
    // The bench's own directory is removed afterwards.
    let left: Vec<_> = std::fs::read_dir(s.data()).unwrap().collect();
    assert!(left.is_empty());
}

#[test]
fn delete_hides_points_at_once_and_compact_reclaims_them() {
    let s = Scratch::new();
    let input = s.write("in.lp", LP);
    s.ok(&["import", input.to_str().unwrap()]);
    let before = s.ok(&["export"]);
    let text = s.ok(&["delete", "cpu", "-m", "host=a", "--start", "2000"]);
    assert!(text.contains("2 series"), "{text}");
    let after = s.ok(&["export"]);
    let gone: Vec<&str> = before.lines().filter(|l| !after.contains(*l)).collect();
    assert_eq!(gone.len(), 2, "{before}\n{after}");
    assert!(
        gone.iter()
            .all(|l| l.contains("host=a") && !l.ends_with(" 1000")),
        "only host=a from 2000 on went: {gone:?}"
    );
    s.ok(&["compact"]);
    assert_eq!(s.ok(&["export"]), after, "the same after compaction");
    let refused = s.skulk(&["delete"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(2), "a delete needs a selector");
}

#[test]
fn reading_commands_read_a_snapshot_of_a_directory_in_use() {
    let s = Scratch::new();
    let input = s.write("in.lp", LP);
    s.ok(&["import", input.to_str().unwrap()]);
    let alone = s.ok(&["export"]);
    let writer = skulk_engine::Engine::open(s.data(), skulk_engine::EngineConfig::default())
        .expect("the test holds the directory");
    for args in [&["export"][..], &["query", "cpu"], &["stats"]] {
        let out = s.skulk(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {stderr}");
        assert!(
            stderr.contains("read-only snapshot"),
            "{args:?} says so: {stderr}"
        );
    }
    let beside = s.skulk(&["export"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&beside.stdout), alone);
    let compact = s.skulk(&["compact"]).output().unwrap();
    assert!(!compact.status.success(), "writing commands still refuse");
    drop(writer);
}
