//! Fault injection at every write, sync and rename of the writer: a failure
//! is reported, nothing is published after a failed fsync, and no
//! temporary file is left behind.

use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

use skulk_codec::CodecChoice;
use skulk_format::{
    FormatError, StdStorage, TsmOutput, TsmReader, TsmStorage, TsmWriter, TsmWriterOptions,
};

use crate::common::meta;

/// Which operation fails.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    Create,
    WriteAfter(usize),
    HeaderWrite,
    Sync,
    Rename,
    SyncDir,
}

#[derive(Debug)]
struct Faulty(Fault);

#[derive(Debug)]
struct FaultyOutput {
    inner: Box<dyn TsmOutput>,
    fault: Fault,
    written: usize,
}

fn injected() -> io::Error {
    io::Error::other("injected fault")
}

impl Write for FaultyOutput {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Fault::WriteAfter(limit) = self.fault
            && self.written + buf.len() > limit
        {
            return Err(injected());
        }
        self.written += buf.len();
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl TsmOutput for FaultyOutput {
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        if self.fault == Fault::HeaderWrite {
            return Err(injected());
        }
        self.inner.write_at(offset, bytes)
    }

    fn sync(&mut self) -> io::Result<()> {
        if self.fault == Fault::Sync {
            return Err(injected());
        }
        self.inner.sync()
    }
}

impl TsmStorage for Faulty {
    fn create(&self, path: &Path) -> io::Result<Box<dyn TsmOutput>> {
        if self.0 == Fault::Create {
            return Err(injected());
        }
        let inner = StdStorage.create(path)?;
        Ok(Box::new(FaultyOutput {
            inner,
            fault: self.0,
            written: 0,
        }))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        if self.0 == Fault::Rename {
            return Err(injected());
        }
        StdStorage.rename(from, to)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        if self.0 == Fault::SyncDir {
            return Err(injected());
        }
        StdStorage.sync_dir(dir)
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        StdStorage.remove(path)
    }
}

/// Writes two series (one large enough to reach the file before `finish`)
/// through `storage`; returns the first error.
fn write_through(storage: Faulty, path: &Path) -> Result<(), FormatError> {
    let options = TsmWriterOptions {
        max_points_per_block: 1000,
        codec: CodecChoice::RAW,
        ..Default::default()
    };
    let mut writer = TsmWriter::create_in(Arc::new(storage), path, options)?;
    let ts: Vec<i64> = (0..300_000).collect();
    let vs: Vec<f64> = ts.iter().map(|&t| t as f64).collect();
    writer.write_series(&meta("a", &[]), &ts, &vs)?;
    writer.write_series(&meta("b", &[]), &ts[..10], &vs[..10])?;
    writer.finish().map(drop)
}

fn files_in(dir: &Path) -> Vec<String> {
    let names = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name());
    names.map(|n| n.into_string().unwrap()).collect()
}

#[test]
fn no_fault_publishes_a_valid_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ok.tsm");
    write_through(Faulty(Fault::WriteAfter(usize::MAX)), &path).unwrap();
    let reader = TsmReader::open(std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(reader.verify().unwrap().points, 300_010);
}

#[test]
fn a_fault_before_the_rename_publishes_nothing_and_leaves_nothing() {
    for fault in [
        Fault::Create,
        Fault::WriteAfter(100),
        Fault::WriteAfter(4 << 20),
        Fault::HeaderWrite,
        Fault::Sync,
        Fault::Rename,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.tsm");
        let err = write_through(Faulty(fault), &path).unwrap_err();
        assert!(
            matches!(&err, FormatError::Io { path, .. } if path.ends_with("f.tsm.tmp")),
            "{err}"
        );
        assert!(
            files_in(dir.path()).is_empty(),
            "{fault:?}: {:?}",
            files_in(dir.path())
        );
    }
}

#[test]
fn a_failed_directory_sync_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.tsm");
    let err = write_through(Faulty(Fault::SyncDir), &path).unwrap_err();
    assert!(
        matches!(&err, FormatError::Io { path, .. } if path == dir.path()),
        "{err}"
    );
}

#[test]
fn a_failed_write_poisons_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.tsm");
    let storage = Arc::new(Faulty(Fault::WriteAfter(2 << 20)));
    let options = TsmWriterOptions {
        max_points_per_block: 1000,
        codec: CodecChoice::RAW,
        ..Default::default()
    };
    let mut writer = TsmWriter::create_in(storage, &path, options).unwrap();
    let ts: Vec<i64> = (0..300_000).collect();
    let vs = vec![0.5; ts.len()];
    assert!(matches!(
        writer.write_series(&meta("a", &[]), &ts, &vs),
        Err(FormatError::Io { .. })
    ));
    let again = writer.write_series(&meta("b", &[]), &ts[..1], &vs[..1]);
    assert!(
        matches!(again, Err(FormatError::Poisoned { .. })),
        "{again:?}"
    );
    assert!(matches!(writer.finish(), Err(FormatError::Poisoned { .. })));
    assert!(files_in(dir.path()).is_empty());
}
