//! A failed sync of a TSM file, the checkpoint or a folder makes the engine
//! read-only until it is reopened, and loses nothing acknowledged.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use skulk_engine::{Engine, EngineError, SystemClock};
use skulk_format::{StdStorage, TsmOutput, TsmStorage};

use crate::common::{Contents, apply, contents, pt, quiet_config};

/// Which syncs fail: files whose path ends with `file`, folders whose path
/// ends with `dir`.
#[derive(Debug, Default, Clone)]
struct Fault {
    file: Option<String>,
    dir: Option<String>,
}

/// The real file system, with syncs failing per the armed [`Fault`].
#[derive(Debug, Clone, Default)]
struct FaultyFiles {
    fault: Arc<Mutex<Fault>>,
}

impl FaultyFiles {
    fn arm(&self, fault: Fault) {
        *self.fault.lock().unwrap() = fault;
    }

    fn file_fails(&self, path: &Path) -> bool {
        let fault = self.fault.lock().unwrap();
        fault
            .file
            .as_ref()
            .is_some_and(|f| path.to_string_lossy().ends_with(f.as_str()))
    }
}

#[derive(Debug)]
struct FaultyOutput {
    inner: Box<dyn TsmOutput>,
    path: PathBuf,
    files: FaultyFiles,
}

impl Write for FaultyOutput {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl TsmOutput for FaultyOutput {
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        self.inner.write_at(offset, bytes)
    }
    fn sync(&mut self) -> io::Result<()> {
        if self.files.file_fails(&self.path) {
            return Err(io::Error::other("injected file sync failure"));
        }
        self.inner.sync()
    }
}

impl TsmStorage for FaultyFiles {
    fn create(&self, path: &Path) -> io::Result<Box<dyn TsmOutput>> {
        Ok(Box::new(FaultyOutput {
            inner: StdStorage.create(path)?,
            path: path.to_path_buf(),
            files: self.clone(),
        }))
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        StdStorage.rename(from, to)
    }
    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        let fails = self
            .fault
            .lock()
            .unwrap()
            .dir
            .as_ref()
            .is_some_and(|d| dir.to_string_lossy().ends_with(d.as_str()));
        if fails {
            return Err(io::Error::other("injected folder sync failure"));
        }
        StdStorage.sync_dir(dir)
    }
    fn remove(&self, path: &Path) -> io::Result<()> {
        StdStorage.remove(path)
    }
}

/// Writes, flushes and (when `compact`) writes and flushes again, then
/// arms `fault` and runs the failing step; checks the engine is read-only
/// after the error and that a reopen recovers everything acknowledged.
fn check_fault(fault: Fault, compact: bool) {
    let dir = tempfile::tempdir().unwrap();
    let files = FaultyFiles::default();
    let engine = Engine::open_with_file_storage(
        dir.path(),
        quiet_config(),
        Arc::new(SystemClock),
        Arc::new(files.clone()),
    )
    .unwrap();
    let mut acked = Contents::new();
    let first = [pt("m", "a", 1, 1.0), pt("m", "b", 2, 2.0)];
    engine.write_batch(&first).unwrap();
    apply(&mut acked, &first);
    if compact {
        engine.flush().unwrap();
        let second = [pt("m", "a", 3, 3.0), pt("m", "b", 1500, 4.0)];
        engine.write_batch(&second).unwrap();
        apply(&mut acked, &second);
        engine.flush().unwrap();
    }

    files.arm(fault.clone());
    let failed = if compact {
        engine.compact().map(drop)
    } else {
        engine.flush().map(drop)
    };
    assert!(failed.is_err(), "{fault:?}: the step must fail");
    assert!(!matches!(failed, Err(EngineError::Failed(_))));
    assert!(engine.stats().failed, "{fault:?}: engine still writable");
    files.arm(Fault::default());
    // Read-only until reopened, even with the fault gone.
    assert!(matches!(
        engine.write(&pt("m", "a", 9, 9.0)),
        Err(EngineError::Failed(_))
    ));
    assert!(matches!(engine.flush(), Err(EngineError::Failed(_))));
    assert!(matches!(engine.compact(), Err(EngineError::Failed(_))));
    assert_eq!(contents(&engine), acked);
    drop(engine);

    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    assert_eq!(contents(&engine), acked, "{fault:?}");
    engine.write(&pt("m", "a", 10, 10.0)).unwrap();
    engine.flush().unwrap();
}

#[test]
fn a_failed_tsm_sync_in_a_flush_fails_the_engine() {
    check_fault(
        Fault {
            file: Some(".tsm.tmp".into()),
            dir: None,
        },
        false,
    );
}

#[test]
fn a_failed_checkpoint_sync_fails_the_engine() {
    check_fault(
        Fault {
            file: Some("CHECKPOINT.tmp".into()),
            dir: None,
        },
        false,
    );
}

#[test]
fn a_failed_partitions_folder_sync_fails_the_engine() {
    check_fault(
        Fault {
            file: None,
            dir: Some("partitions".into()),
        },
        false,
    );
}

#[test]
fn a_failed_tsm_sync_in_a_compaction_fails_the_engine() {
    check_fault(
        Fault {
            file: Some(".tsm.tmp".into()),
            dir: None,
        },
        true,
    );
}

#[test]
fn a_failed_partition_folder_sync_in_a_compaction_fails_the_engine() {
    check_fault(
        Fault {
            file: None,
            dir: Some("partitions/0".into()),
        },
        true,
    );
}

#[test]
fn a_second_open_of_the_directory_fails_until_the_first_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    engine.write(&pt("m", "a", 1, 1.0)).unwrap();
    match Engine::open(dir.path(), quiet_config()) {
        Err(EngineError::DirectoryInUse { path }) => assert_eq!(path, dir.path()),
        other => panic!("expected DirectoryInUse, got {other:?}"),
    }
    drop(engine);
    let engine = Engine::open(dir.path(), quiet_config()).unwrap();
    assert_eq!(contents(&engine).len(), 1);
}
