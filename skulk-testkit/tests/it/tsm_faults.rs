//! Fault injection at every operation of the TSM writer, on the simulated
//! disk: a failure is reported with the file it happened on, nothing is
//! published after a failed write, sync or rename, and no temporary file is
//! left behind.

use std::path::Path;
use std::sync::Arc;

use skulk_codec::CodecChoice;
use skulk_format::{FormatError, SeriesMeta, TsmReader, TsmWriter, TsmWriterOptions};
use skulk_testkit::sim_fs::{EIO, ENOSPC, Fault, FaultError, Op, OpSet, SimFs};

fn meta(metric: &str) -> SeriesMeta {
    SeriesMeta::new(metric, vec![])
}

fn options() -> TsmWriterOptions {
    TsmWriterOptions {
        max_points_per_block: 1000,
        codec: CodecChoice::RAW,
        ..Default::default()
    }
}

/// Writes two series (one large enough to reach the file before `finish`)
/// to `d/f.tsm`; returns the first error.
fn write_through(disk: &SimFs) -> Result<(), FormatError> {
    let mut writer = TsmWriter::create_in(Arc::new(disk.clone()), "d/f.tsm", options())?;
    let ts: Vec<i64> = (0..300_000).collect();
    let vs: Vec<f64> = ts.iter().map(|&t| t as f64).collect();
    writer.write_series(&meta("a"), &ts, &vs)?;
    writer.write_series(&meta("b"), &ts[..10], &vs[..10])?;
    writer.finish().map(drop)
}

fn disk() -> SimFs {
    let disk = SimFs::new();
    disk.put("d/keep", b"x");
    disk
}

fn files(disk: &SimFs) -> Vec<String> {
    let names = disk.files().into_keys();
    names.map(|p| p.display().to_string()).collect()
}

#[test]
fn no_fault_publishes_a_valid_file() {
    let disk = disk();
    write_through(&disk).unwrap();
    let reader = TsmReader::open(disk.get("d/f.tsm").unwrap()).unwrap();
    assert_eq!(reader.verify().unwrap().points, 300_010);
}

#[test]
fn every_failed_operation_before_the_rename_publishes_nothing_and_leaves_nothing() {
    let clean = disk();
    write_through(&clean).unwrap();
    let creates_writes_syncs = clean.count(OpSet::Only(Op::Create))
        + clean.count(OpSet::Only(Op::Write))
        + clean.count(OpSet::Only(Op::Sync))
        + clean.count(OpSet::Only(Op::Rename));
    assert!(
        creates_writes_syncs >= 6,
        "{creates_writes_syncs} operations"
    );
    for op in [Op::Create, Op::Write, Op::Sync, Op::Rename] {
        for nth in 0..clean.count(OpSet::Only(op)) {
            for error in [FaultError::Os(EIO), FaultError::Os(ENOSPC)] {
                let disk = disk();
                disk.arm(Fault::once(OpSet::Only(op), nth, error));
                let err = write_through(&disk).unwrap_err();
                let FormatError::Io { path, source } = &err else {
                    panic!("{op:?} #{nth}: {err}");
                };
                assert!(path.ends_with("d/f.tsm.tmp"), "{op:?} #{nth}: {err}");
                assert_eq!(
                    source.raw_os_error(),
                    Some(match error {
                        FaultError::Os(code) => code,
                        FaultError::Kind(_) => unreachable!(),
                    })
                );
                assert_eq!(files(&disk), ["d/keep"], "{op:?} #{nth}");
            }
        }
    }
}

#[test]
fn a_failed_directory_sync_is_reported_naming_the_folder() {
    let disk = disk();
    disk.arm(Fault::once(
        OpSet::Only(Op::SyncDir),
        0,
        FaultError::Os(EIO),
    ));
    let err = write_through(&disk).unwrap_err();
    assert!(
        matches!(&err, FormatError::Io { path, .. } if path == Path::new("sim/d")),
        "{err}"
    );
}

#[test]
fn a_failed_write_poisons_the_writer() {
    let disk = disk();
    disk.arm(Fault::from(OpSet::Only(Op::Write), 1, FaultError::Os(EIO)));
    let mut writer = TsmWriter::create_in(Arc::new(disk.clone()), "d/p.tsm", options()).unwrap();
    let ts: Vec<i64> = (0..300_000).collect();
    let vs = vec![0.5; ts.len()];
    assert!(matches!(
        writer.write_series(&meta("a"), &ts, &vs),
        Err(FormatError::Io { .. })
    ));
    let again = writer.write_series(&meta("b"), &ts[..1], &vs[..1]);
    assert!(
        matches!(again, Err(FormatError::Poisoned { .. })),
        "{again:?}"
    );
    assert!(matches!(writer.finish(), Err(FormatError::Poisoned { .. })));
    assert_eq!(files(&disk), ["d/keep"]);
}
