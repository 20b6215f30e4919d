//! `skulk_format::TsmReader` against the TSM conformance check.

use skulk_format::TsmReader;
use skulk_testkit::corruption::SweepConfig;
use skulk_testkit::format_suite::{check_tsm_reader, golden_tsm_files, vectors_dir};

#[test]
fn the_skulk_reader_passes_the_tsm_conformance_check() {
    let report = check_tsm_reader(TsmReader::open, Some(&SweepConfig::quick()))
        .unwrap_or_else(|failure| panic!("{failure}"));
    println!(
        "{} golden files, {} range queries, corruption: {}",
        report.files, report.range_queries, report.corruption
    );
    assert_eq!(report.files, golden_tsm_files().len());
    assert!(report.range_queries > 20);
    assert!(report.corruption.cases > 1_000);
}

#[test]
fn a_reader_that_drops_a_point_fails_the_check() {
    struct Lossy(TsmReader<Vec<u8>>);
    impl skulk_testkit::format_suite::TsmReadApi for Lossy {
        type Error = skulk_format::FormatError;
        fn series(&self) -> Vec<skulk_format::SeriesMeta> {
            self.0.series().map(|e| e.meta.to_meta()).collect()
        }
        fn read_series(
            &self,
            id: skulk_format::SeriesId,
            range: skulk_format::TimeRange,
        ) -> Result<(Vec<i64>, Vec<f64>), Self::Error> {
            let (mut ts, mut vs) = self.0.read_series(id, range)?;
            ts.pop();
            vs.pop();
            Ok((ts, vs))
        }
    }
    let result = check_tsm_reader(|b| TsmReader::open(b).map(Lossy), None);
    assert!(result.is_err_and(|e| e.contains("contents differ")));
}

#[test]
fn every_golden_tsm_file_is_listed_with_its_contents() {
    let listed: Vec<_> = golden_tsm_files().iter().map(|g| g.path()).collect();
    for path in &listed {
        assert!(path.is_file(), "golden file {} is missing", path.display());
    }
    let dir = vectors_dir().join("tsm/v1");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let readme = path.file_name().is_some_and(|n| n == "README.md");
        assert!(
            readme || listed.contains(&path),
            "{} has no expected contents",
            path.display()
        );
    }
}

#[test]
fn the_skulk_wal_passes_the_wal_conformance_check() {
    use skulk_testkit::wal_suite::{check_wal_reader, golden_wal_logs, skulk_wal_contents};
    let checked =
        check_wal_reader(skulk_wal_contents).unwrap_or_else(|failure| panic!("{failure}"));
    assert_eq!(checked, golden_wal_logs().len());
}

#[test]
fn every_golden_wal_file_is_listed() {
    use skulk_testkit::wal_suite::golden_wal_logs;
    let logs = golden_wal_logs();
    let cases: Vec<_> = logs.iter().map(|g| g.dir()).collect();
    for entry in std::fs::read_dir(vectors_dir().join("wal/v1")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            let golden = logs.iter().find(|g| g.dir() == path);
            let golden =
                golden.unwrap_or_else(|| panic!("{} has no expected contents", path.display()));
            for file in std::fs::read_dir(&path).unwrap() {
                let name = file.unwrap().file_name().into_string().unwrap();
                assert!(
                    golden.files.contains(&name.as_str()),
                    "{name} in {} is not listed",
                    path.display()
                );
            }
        }
    }
    assert!(cases.iter().all(|c| c.is_dir()));
}
