//! Damaged files give typed errors, never panics or wrong data.

use skulk_engine::{DataPoint, Engine, EngineError, Query, SeriesSelector, TimeRange};

use crate::common::{pt, quiet_config};

/// A directory with one flushed TSM file in partition 0; returns its path.
fn one_file(dir: &std::path::Path) -> std::path::PathBuf {
    let engine = Engine::open(dir, quiet_config()).unwrap();
    let points: Vec<DataPoint> = (0..500).map(|i| pt("m", "a", i, i as f64 * 1.5)).collect();
    engine.write_batch(&points).unwrap();
    engine.close().unwrap();
    let file = std::fs::read_dir(dir.join("tsm"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert_eq!(file.extension().unwrap(), "tsm");
    file
}

#[test]
fn a_damaged_manifest_fails_open() {
    let dir = tempfile::tempdir().unwrap();
    one_file(dir.path());
    let path = dir.path().join("MANIFEST");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[30] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let err = Engine::open(dir.path(), quiet_config()).unwrap_err();
    assert!(matches!(err, EngineError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("MANIFEST"), "{err}");
}

#[test]
fn a_truncated_tsm_file_fails_open_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = one_file(dir.path());
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() - 7]).unwrap();
    let err = Engine::open(dir.path(), quiet_config()).unwrap_err();
    assert!(matches!(err, EngineError::FileChanged { .. }), "{err}");
    assert!(
        err.to_string()
            .contains(&file.file_name().unwrap().to_string_lossy().to_string()),
        "{err}"
    );
}

#[test]
fn every_flipped_byte_is_an_error_or_the_right_data() {
    let dir = tempfile::tempdir().unwrap();
    let file = one_file(dir.path());
    let good = std::fs::read(&file).unwrap();
    let expected = {
        let e = Engine::open(dir.path(), quiet_config()).unwrap();
        e.query(&Query::raw(SeriesSelector::all(), TimeRange::ALL))
            .unwrap()
    };
    for at in (0..good.len()).step_by(3) {
        let mut bad = good.clone();
        bad[at] ^= 0x10;
        std::fs::write(&file, &bad).unwrap();
        let Ok(engine) = Engine::open(dir.path(), quiet_config()) else {
            continue;
        };
        match engine.query(&Query::raw(SeriesSelector::all(), TimeRange::ALL)) {
            Ok(results) => assert!(
                results.len() == expected.len()
                    && results.iter().zip(&expected).all(|(a, b)| {
                        a.timestamps == b.timestamps
                            && a.values
                                .iter()
                                .map(|v| v.to_bits())
                                .eq(b.values.iter().map(|v| v.to_bits()))
                    }),
                "byte {at}: wrong data returned"
            ),
            Err(e) => assert!(
                matches!(e, EngineError::Format(_) | EngineError::Codec(_)),
                "byte {at}: {e}"
            ),
        }
    }
    std::fs::write(&file, &good).unwrap();
}
