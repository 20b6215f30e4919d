//! Skulk's engine against the golden data directories of
//! `vectors/engine/v1/`: recovery reads them, and a fresh run of their
//! script writes them again byte for byte.
//!
//! Missing golden files are created by
//! `SKULK_WRITE_GOLDEN=1 cargo test -p skulk-testkit --test it engine_golden`
//! (existing files are never touched).

use std::sync::{Arc, Once};

use skulk_engine::{DataPoint, Engine, SeriesMeta};
use skulk_testkit::engine_golden::{
    check_engine_dir, check_engine_writer, check_listed, compare_files, golden_engine_dirs,
    recovery_config, write_missing_files,
};
use skulk_testkit::format_suite::vectors_dir;
use skulk_testkit::golden::write_missing_once;

/// Under `SKULK_WRITE_GOLDEN=1`, creates the missing golden files. Once per
/// test run: every test here calls it first, so the tests running in
/// parallel wait until the writing is done before they read the folders.
fn write_golden_if_asked() {
    static ONCE: Once = Once::new();
    write_missing_once(&ONCE, write_missing);
}

fn write_missing() {
    for golden in golden_engine_dirs() {
        let created = write_missing_files(&golden).unwrap_or_else(|e| panic!("{e}"));
        println!("{}: created {created:?}", golden.case);
    }
}

#[test]
fn every_golden_engine_file_is_listed() {
    write_golden_if_asked();
    let dirs = golden_engine_dirs();
    for golden in &dirs {
        check_listed(golden).unwrap_or_else(|e| panic!("{e}"));
    }
    for version in ["v1", "v2"] {
        let root = vectors_dir().join("engine").join(version);
        for entry in std::fs::read_dir(&root).unwrap() {
            let path = entry.unwrap().path();
            let readme = path.file_name().is_some_and(|n| n == "README.md");
            assert!(
                readme || dirs.iter().any(|g| g.dir() == path),
                "{} has no expected contents",
                path.display()
            );
        }
    }
}

#[test]
fn the_engine_recovers_every_golden_directory() {
    write_golden_if_asked();
    for golden in golden_engine_dirs() {
        let report = check_engine_dir(&golden, |dir| Engine::open(dir, recovery_config()))
            .unwrap_or_else(|e| panic!("{e}"));
        println!("{}: {report:?}", golden.case);
        let want = match golden.case {
            "crash_with_wal_tail" | "crash_with_wal_tail_wal3" => (21, 4),
            "interrupted_cleanup" | "interrupted_cleanup_wal3" => (20, 4),
            other => panic!("{other}: say how many points and series it holds"),
        };
        assert_eq!((report.points, report.series), want, "{}", golden.case);
        assert!(report.recovery.wal_records_replayed > 0);
        assert!(report.recovery.files_opened >= 2);
    }
}

#[test]
fn a_fresh_run_of_each_script_writes_the_same_bytes() {
    write_golden_if_asked();
    let reproduced: Vec<_> = golden_engine_dirs()
        .into_iter()
        .filter(|g| g.reproduced)
        .collect();
    assert!(!reproduced.is_empty());
    for golden in reproduced {
        let files = check_engine_writer(&golden).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(files, golden.files.len());
    }
}

#[test]
fn the_check_fails_for_an_engine_that_invents_points_or_cannot_open() {
    write_golden_if_asked();
    let golden = &golden_engine_dirs()[0];
    let invents = |dir: &std::path::Path| {
        let engine = Engine::open(dir, recovery_config())?;
        let series = Arc::new(SeriesMeta::new("invented", vec![]));
        engine.write(&DataPoint::for_series(series, golden.start_ns, 1.0))?;
        Ok::<_, skulk_engine::EngineError>(engine)
    };
    let err = check_engine_dir(golden, invents).unwrap_err();
    assert!(err.contains("first extra"), "{err}");

    // Opening with another partition length is refused on the first open:
    // the check reports the engine's error.
    let wrong = |dir: &std::path::Path| {
        let config = skulk_engine::EngineConfig {
            partition_duration: Some(std::time::Duration::from_secs(7 * 60)),
            ..recovery_config()
        };
        Engine::open(dir, config)
    };
    let err = check_engine_dir(golden, wrong).unwrap_err();
    assert!(
        err.contains(": open: ") && err.contains("does not match partition_duration"),
        "{err}"
    );
}

#[test]
fn the_writer_check_names_the_first_differing_byte() {
    write_golden_if_asked();
    let dirs = golden_engine_dirs();
    let golden = dirs.iter().find(|g| g.reproduced).unwrap();
    let dir = tempfile::tempdir().unwrap();
    golden.build(dir.path()).unwrap();
    compare_files(&golden.dir(), dir.path(), golden.files).unwrap();
    for file in golden.files {
        let path = dir.path().join(file);
        let mut bytes = std::fs::read(&path).unwrap();
        let at = bytes.len() / 2;
        bytes[at] ^= 0x10;
        std::fs::write(&path, &bytes).unwrap();
        let err = compare_files(&golden.dir(), dir.path(), golden.files).unwrap_err();
        assert!(
            err.contains(&format!("{file}: differs at byte {at} ")),
            "{err}"
        );
        bytes[at] ^= 0x10;
        bytes.pop();
        std::fs::write(&path, &bytes).unwrap();
        let err = compare_files(&golden.dir(), dir.path(), golden.files).unwrap_err();
        assert!(
            err.contains(&format!("differs at byte {}", bytes.len())),
            "{err}"
        );
        std::fs::write(&path, std::fs::read(golden.dir().join(file)).unwrap()).unwrap();
    }
}
