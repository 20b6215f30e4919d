//! The clock retention compares point timestamps with.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Tells the current time in nanoseconds since the Unix epoch. Injected with
/// with [`crate::OpenOptions::clock`] so that tests control retention.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now, in nanoseconds since the Unix epoch.
    fn now_ns(&self) -> i64;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ns(&self) -> i64 {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        i64::try_from(since.as_nanos()).unwrap_or(i64::MAX)
    }
}

/// A clock that shows whatever it was last set to (for tests and tools).
#[derive(Debug, Default)]
pub struct ManualClock {
    now: AtomicI64,
}

impl ManualClock {
    /// A clock showing `now_ns`.
    pub fn new(now_ns: i64) -> Self {
        Self {
            now: AtomicI64::new(now_ns),
        }
    }

    /// Sets the time.
    pub fn set(&self, now_ns: i64) {
        self.now.store(now_ns, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ns(&self) -> i64 {
        self.now.load(Ordering::SeqCst)
    }
}
