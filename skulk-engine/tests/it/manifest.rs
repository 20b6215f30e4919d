//! The manifest: the directory knows what it holds. A lost or changed file
//! is an error naming it, a stray is reported and left alone, and a loss is
//! accepted only explicitly, naming what was lost.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use skulk_engine::{
    DataPoint, Engine, EngineError, FileStatus, LOSSES_FILE_NAME, OpenOptions, accept_losses,
    check_directory,
};
use skulk_format::storage::FsStorage;

use crate::common::{Contents, apply, contents, pt, quiet_config};

/// Two flushed files (partitions 0 and 1) and unflushed points in partition
/// 2; returns what the directory holds, and the files, oldest first.
fn two_files(dir: &Path) -> (Contents, Vec<PathBuf>) {
    let engine = Engine::open(dir, quiet_config()).unwrap();
    let mut model = Contents::new();
    for (base, flush) in [(0, true), (1000, true), (2000, false)] {
        let points: Vec<DataPoint> = (0..50).map(|i| pt("m", "a", base + i, i as f64)).collect();
        engine.write_batch(&points).unwrap();
        apply(&mut model, &points);
        if flush {
            engine.flush().unwrap();
        }
    }
    drop(engine);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("tsm"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    (model, files)
}

fn check(dir: &Path) -> skulk_engine::DirectoryReport {
    check_directory(Arc::new(FsStorage::new(dir))).unwrap()
}

#[test]
fn a_deleted_file_is_an_error_naming_it_until_the_loss_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let (mut model, files) = two_files(dir.path());
    assert!(check(dir.path()).problems().next().is_none());
    std::fs::remove_file(&files[0]).unwrap();
    let err = Engine::open(dir.path(), quiet_config()).unwrap_err();
    assert!(
        matches!(&err, EngineError::MissingFile { path, holds } if path == &files[0] && holds == "50 points from 0 to 49 ns"),
        "{err}"
    );
    let report = check(dir.path());
    let problems: Vec<_> = report.problems().collect();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].status, FileStatus::Missing);
    let losses = accept_losses(Arc::new(FsStorage::new(dir.path()))).unwrap();
    assert_eq!(losses.len(), 1);
    assert!(
        losses[0]
            .what
            .starts_with("50 points from 0 to 49 ns (missing)"),
        "{losses:?}"
    );
    let log = std::fs::read_to_string(dir.path().join(LOSSES_FILE_NAME)).unwrap();
    assert!(log.contains("50 points from 0 to 49 ns"), "{log}");
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    model.retain(|(_, ts), _| *ts >= 1000);
    assert_eq!(contents(&engine), model);
    assert!(
        accept_losses(Arc::new(FsStorage::new(dir.path()))).is_err(),
        "locked"
    );
}

#[test]
fn a_truncated_or_replaced_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_, files) = two_files(dir.path());
    let bytes = std::fs::read(&files[1]).unwrap();
    std::fs::write(&files[1], &bytes[..bytes.len() - 1]).unwrap();
    let err = Engine::open(dir.path(), quiet_config()).unwrap_err();
    assert!(
        matches!(&err, EngineError::FileChanged { path, .. } if path == &files[1]),
        "{err}"
    );
    // The same size, another file: the other flushed file's bytes.
    std::fs::write(&files[1], std::fs::read(&files[0]).unwrap()).unwrap();
    let err = Engine::open(dir.path(), quiet_config()).unwrap_err();
    assert!(matches!(err, EngineError::FileChanged { .. }), "{err}");
    let statuses: Vec<_> = check(dir.path()).problems().map(|f| f.status).collect();
    assert_eq!(statuses, [FileStatus::Changed]);
}

#[test]
fn a_deleted_newest_wal_segment_is_an_error_naming_its_records() {
    let dir = tempfile::tempdir().unwrap();
    let (mut model, _) = two_files(dir.path());
    let wal: Vec<PathBuf> = std::fs::read_dir(dir.path().join("wal"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "wal"))
        .collect();
    assert_eq!(wal.len(), 1);
    std::fs::remove_file(&wal[0]).unwrap();
    let err = Engine::open(dir.path(), quiet_config()).unwrap_err();
    assert!(
        matches!(&err, EngineError::MissingFile { path, holds } if path == &wal[0] && holds.starts_with("WAL records from LSN")),
        "{err}"
    );
    let losses = accept_losses(Arc::new(FsStorage::new(dir.path()))).unwrap();
    assert_eq!(losses.len(), 1, "{losses:?}");
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    model.retain(|(_, ts), _| *ts < 2000);
    assert_eq!(contents(&engine), model);
}

#[test]
fn a_stray_file_is_reported_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (model, files) = two_files(dir.path());
    let stray = dir
        .path()
        .join("tsm/0000000000000001-0000000000000001.tsm.copy");
    std::fs::copy(&files[0], &stray).unwrap();
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    assert_eq!(
        engine.recovery_stats().stray_files,
        [PathBuf::from(
            "tsm/0000000000000001-0000000000000001.tsm.copy"
        )]
    );
    assert_eq!(contents(&engine), model);
    drop(engine);
    assert!(stray.exists());
    let report = check(dir.path());
    let problems: Vec<_> = report.problems().collect();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].status, FileStatus::Stray);
    assert!(
        problems[0].detail.contains("a valid TSM file"),
        "{problems:?}"
    );
}

#[test]
fn after_close_no_covered_wal_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    let points: Vec<DataPoint> = (0..20_000).map(|i| pt("m", "a", i, i as f64)).collect();
    engine.write_batch(&points).unwrap();
    engine.close().unwrap();
    let wal_bytes: u64 = std::fs::read_dir(dir.path().join("wal"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert_eq!(
        wal_bytes,
        (skulk_wal::SEGMENT_HEADER_LEN + skulk_wal::END_MARK_LEN) as u64,
        "an empty segment: its header and end mark"
    );
    let engine = Engine::open_read_only(OpenOptions::existing(dir.path())).unwrap();
    assert_eq!(engine.recovery_stats().wal_points_replayed, 0);
    assert_eq!(contents(&engine).len(), 20_000);
}
