//! Automatic flushes, compactions and retention.
//!
//! With `background = true` (the default) one thread does them: writers
//! that cross a flush threshold wake it, and it also wakes every
//! `maintenance_interval` to check `flush_age` and retention. With
//! `background = false` a writer that crosses a threshold runs the flush
//! (and what follows it) inline before its write returns.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use crate::Result;
use crate::engine::Inner;
use crate::error::IoContext;
use crate::flush::Scope;
use crate::locks::guard;

/// Wakes and stops the maintenance thread.
#[derive(Debug, Default)]
pub(crate) struct Signal {
    /// (woken, stopping)
    flags: Mutex<(bool, bool)>,
    cond: Condvar,
}

impl Signal {
    pub fn wake(&self) {
        guard(&self.flags).0 = true;
        self.cond.notify_one();
    }

    pub fn stop(&self) {
        guard(&self.flags).1 = true;
        self.cond.notify_one();
    }

    /// Waits for a wake-up, a stop or the timeout; true when stopping.
    fn wait(&self, timeout: std::time::Duration) -> bool {
        let mut flags = guard(&self.flags);
        if !flags.0 && !flags.1 {
            flags = self
                .cond
                .wait_timeout(flags, timeout)
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
        flags.0 = false;
        flags.1
    }
}

/// Starts the maintenance thread.
pub(crate) fn spawn(inner: Arc<Inner>) -> Result<JoinHandle<()>> {
    let root = inner.layout.root().to_path_buf();
    std::thread::Builder::new()
        .name("skulk-maintenance".into())
        .spawn(move || worker(&inner))
        .at(&root)
}

fn worker(inner: &Inner) {
    let mut last_retention = std::time::Instant::now();
    loop {
        if inner.signal.wait(inner.config.maintenance_interval) {
            return;
        }
        if inner.failed.load(Ordering::SeqCst) {
            continue;
        }
        let mut result = run_due(inner);
        if result.is_ok() && last_retention.elapsed() >= inner.config.maintenance_interval {
            last_retention = std::time::Instant::now();
            result = crate::retention::apply(inner).map(|_| ());
        }
        if let Err(e) = result {
            *guard(&inner.background_error) =
                Some(crate::Failure::new("background maintenance", &e));
        }
    }
}

/// Flushes every memtable when a threshold is crossed, or the memtables
/// the partition manager says are due (partitions left behind by newer
/// data, too many active), then compacts partitions with at least
/// `compaction_min_files` files and applies retention.
pub(crate) fn run_due(inner: &Inner) -> Result<()> {
    let scope = if inner.flush_due() {
        Some(Scope::All)
    } else if inner.partial_flush_due() {
        Some(Scope::Due)
    } else {
        None
    };
    if let Some(scope) = scope {
        crate::flush::flush(inner, scope)?;
        let min_files = inner.config.compaction_min_files;
        if min_files >= 2 {
            crate::compact::compact(inner, min_files)?;
        }
        if inner.config.retention.is_some() {
            crate::retention::apply(inner)?;
        }
    }
    Ok(())
}
