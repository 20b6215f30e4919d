//! The directory sweep over a whole multi-partition data directory: see
//! `skulk_testkit::dir_sweep`.

use std::path::PathBuf;

use skulk_format::SeriesMeta;
use skulk_testkit::dir_sweep::{DirCase, FileFault, cases, sample_directory, sweep};

#[test]
fn every_damaged_copy_of_a_directory_gives_its_data_a_typed_error_or_a_reported_loss() {
    let sample = sample_directory(4, 30, 7);
    let files = sample.disk.files();
    assert!(files.keys().any(|p| p.starts_with("wal")), "{files:?}");
    assert!(files.keys().filter(|p| p.starts_with("tsm")).count() > 1);
    let cases = cases(&files, 200, 11);
    let report = sweep(&sample, &cases);
    println!("{report}");
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.cases, cases.len() as u64);
    assert_eq!(report.by_fault.len(), 7, "every fault kind ran");
}

/// Negative control: a point the directory does not hold is a loss the
/// sweep sees, and damage it reports as such.
#[test]
fn the_sweep_sees_a_point_that_is_not_there() {
    let mut sample = sample_directory(1, 3, 7);
    let meta = SeriesMeta::new("cpu", vec![("host".into(), "h0".into())]);
    sample.data.insert((meta, -1), 0);
    let untouched = DirCase {
        file: PathBuf::from("LOCK"),
        fault: FileFault::Append { len: 0, byte: 0 },
    };
    let report = sweep(&sample, &[untouched]);
    assert!(!report.is_clean());
    assert_eq!(report.outcomes.get("SILENT LOSS"), Some(&1), "{report}");
}
