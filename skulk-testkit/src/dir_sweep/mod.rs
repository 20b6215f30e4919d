//! The directory sweep: a whole multi-partition data directory on the
//! simulated disk, each file damaged in turn (byte and bit flips,
//! truncation, a zeroed 4 KiB page, swapped sectors, appended bytes, the
//! file deleted), then opened through the public engine API, read back
//! in full and checked with [`skulk_engine::check_directory`].
//!
//! Every case must end in exactly one of: the original data, a typed error
//! (at open or at the read), or a loss the engine reported. Wrong data,
//! a loss nobody reported and a panic are failures; so is a directory
//! check that finds nothing wrong when the open did not give back exactly
//! the original data. A newest WAL segment cut exactly where a record ends
//! is no exception: its missing end mark reports the lost end.

mod faults;
mod sample;

use std::collections::BTreeMap;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

use skulk_engine::{Engine, EngineConfig, EngineError, OpenOptions, check_directory};

use crate::engine_suite::{Snapshot, read_engine};
use crate::sim_fs::SimFs;

pub use faults::{DirCase, FileFault, PAGE, SECTOR, cases};
pub use sample::{SampleDirectory, sample_directory};

/// How one damaged directory fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirOutcome {
    /// Opened and read back exactly the original data.
    Identical,
    /// A typed error, at open or at the read (the error's kind).
    Refused(String),
    /// Opened with part of the data, the cut reported as a torn WAL tail
    /// (damage to the newest records looks like a write that never
    /// completed).
    TornTailCut,
    /// Opened with part of the data, the newest WAL segment reported cut
    /// right after a record (its end mark missing: `skulk-wal/FORMAT.md`,
    /// "A lost end"), naming the last LSN left.
    LostEndReported,
    /// Opened with part of the data and nothing reported: a failure.
    SilentLoss,
    /// A point that was never written, or another value: a failure.
    WrongData(String),
    /// A panic: a failure.
    Panic(String),
}

impl DirOutcome {
    fn label(&self) -> String {
        match self {
            DirOutcome::Identical => "identical".into(),
            DirOutcome::Refused(kind) => format!("refused ({kind})"),
            DirOutcome::TornTailCut => "torn tail cut".into(),
            DirOutcome::LostEndReported => "lost WAL end reported".into(),
            DirOutcome::SilentLoss => "SILENT LOSS".into(),
            DirOutcome::WrongData(_) => "WRONG DATA".into(),
            DirOutcome::Panic(_) => "PANIC".into(),
        }
    }

    fn is_failure(&self) -> bool {
        matches!(
            self,
            DirOutcome::SilentLoss | DirOutcome::WrongData(_) | DirOutcome::Panic(_)
        )
    }
}

/// The counts of a sweep.
#[derive(Debug, Clone, Default)]
pub struct DirSweepReport {
    /// Cases run.
    pub cases: u64,
    /// Outcome counts, by fault kind then outcome label.
    pub by_fault: BTreeMap<&'static str, BTreeMap<String, u64>>,
    /// Outcome counts over all fault kinds.
    pub outcomes: BTreeMap<String, u64>,
    /// Cases whose open did not give back exactly the original data and
    /// whose directory check found nothing wrong.
    pub check_missed: u64,
    /// The first failures (every one is counted).
    pub failures: Vec<String>,
}

impl DirSweepReport {
    /// No wrong data, no silent loss, no panic, no check that looked away.
    pub fn is_clean(&self) -> bool {
        self.failures.is_empty() && self.check_missed == 0
    }

    fn add(&mut self, case: &DirCase, outcome: &DirOutcome, check_flagged: bool) {
        self.cases += 1;
        let label = outcome.label();
        *self
            .by_fault
            .entry(case.fault.kind())
            .or_default()
            .entry(label.clone())
            .or_default() += 1;
        *self.outcomes.entry(label).or_default() += 1;
        let missed = *outcome != DirOutcome::Identical && !check_flagged;
        self.check_missed += u64::from(missed);
        if (outcome.is_failure() || missed) && self.failures.len() < 20 {
            let why = if missed {
                ", directory check clean"
            } else {
                ""
            };
            self.failures.push(format!("{case}: {outcome:?}{why}"));
        }
    }
}

impl fmt::Display for DirSweepReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} cases; check missed {}",
            self.cases, self.check_missed
        )?;
        for (label, n) in &self.outcomes {
            writeln!(f, "  {label}: {n}")?;
        }
        for (kind, outcomes) in &self.by_fault {
            let line: Vec<String> = outcomes.iter().map(|(l, n)| format!("{l} {n}")).collect();
            writeln!(f, "  {kind}: {}", line.join(", "))?;
        }
        for failure in &self.failures {
            writeln!(f, "  failure: {failure}")?;
        }
        Ok(())
    }
}

/// Runs every case on a copy of `sample`'s disk.
pub fn sweep(sample: &SampleDirectory, cases: &[DirCase]) -> DirSweepReport {
    let mut report = DirSweepReport::default();
    for case in cases {
        let disk = damaged(&sample.disk, case);
        let check_flagged = flagged_by_check(&disk);
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            open_and_read(disk, &sample.config, &sample.data)
        }))
        .unwrap_or_else(|p| DirOutcome::Panic(panic_message(p.as_ref())));
        report.add(case, &outcome, check_flagged);
    }
    report
}

fn damaged(disk: &SimFs, case: &DirCase) -> SimFs {
    let copy = disk.fork();
    let bytes = copy.get(&case.file).unwrap_or_default();
    match case.fault.apply(&bytes) {
        Some(damaged) => copy.put(&case.file, &damaged),
        None => {
            copy.delete(&case.file);
        }
    }
    copy
}

fn flagged_by_check(disk: &SimFs) -> bool {
    let storage = Arc::new(disk.fork());
    panic::catch_unwind(AssertUnwindSafe(|| match check_directory(storage) {
        Ok(report) => report.problems().next().is_some(),
        Err(_) => true,
    }))
    .unwrap_or(true)
}

fn open_and_read(disk: SimFs, config: &EngineConfig, original: &Snapshot) -> DirOutcome {
    let options = OpenOptions::on(Arc::new(disk)).config(config.clone());
    let engine = match Engine::open_with(options) {
        Ok(engine) => engine,
        Err(e) => return DirOutcome::Refused(error_kind(&e)),
    };
    let data = match read_engine(&engine) {
        Ok(data) => data,
        Err(e) => return DirOutcome::Refused(format!("read: {}", first_word(&e))),
    };
    judge(&engine, &data, original)
}

fn judge(engine: &Engine, data: &Snapshot, original: &Snapshot) -> DirOutcome {
    if data == original {
        return DirOutcome::Identical;
    }
    if let Some((key, value)) = data.iter().find(|(k, v)| original.get(*k) != Some(*v)) {
        return DirOutcome::WrongData(format!("{key:?} read as {value:#x}"));
    }
    let stats = engine.recovery_stats();
    if stats.torn_bytes > 0 {
        DirOutcome::TornTailCut
    } else if stats.wal_lost_end.is_some() {
        DirOutcome::LostEndReported
    } else {
        DirOutcome::SilentLoss
    }
}

/// The error's variant (and, for I/O errors, the kind).
fn error_kind(e: &EngineError) -> String {
    match e {
        EngineError::Io { source, .. } => format!("Io/{:?}", source.kind()),
        other => first_word(&format!("{other:?}")),
    }
}

fn first_word(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric() && c != '_')
        .next()
        .unwrap_or_default()
        .to_string()
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic".into())
}
