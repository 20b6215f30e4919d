//! `OpenOptions`: everything [`crate::Engine::open_with`] takes.

use std::path::PathBuf;
use std::sync::Arc;

use skulk_format::storage::{FsStorage, Storage};

use crate::clock::{Clock, SystemClock};
use crate::{EngineConfig, EngineError, Result};

/// How to open an engine: where its data directory is (a folder of the
/// real file system, or the root of any [`Storage`]), its configuration
/// and the clock retention compares point timestamps with.
///
/// ```
/// use std::sync::Arc;
/// use skulk_engine::{Engine, EngineConfig, ManualClock, OpenOptions};
///
/// # fn main() -> skulk_engine::Result<()> {
/// let dir = tempfile::tempdir().unwrap();
/// let clock = Arc::new(ManualClock::new(0));
/// let options = OpenOptions::new(dir.path())?
///     .config(EngineConfig::default())
///     .clock(clock);
/// let engine = Engine::open_with(options)?;
/// assert_eq!(engine.dir(), dir.path());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct OpenOptions {
    pub(crate) storage: Arc<dyn Storage>,
    pub(crate) config: EngineConfig,
    pub(crate) clock: Arc<dyn Clock>,
}

impl OpenOptions {
    /// The data directory at `dir` on the real file system, created (with
    /// its parents) when missing; default configuration and the system
    /// clock.
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        let storage = FsStorage::create(&dir).map_err(|source| EngineError::Io {
            path: dir.clone(),
            source,
        })?;
        Ok(Self::on(Arc::new(storage)))
    }

    /// The existing data directory at `dir` on the real file system,
    /// created by nobody (for [`crate::Engine::open_read_only`], which
    /// writes nothing); default configuration and the system clock.
    pub fn existing(dir: impl Into<PathBuf>) -> Self {
        Self::on(Arc::new(FsStorage::new(dir.into())))
    }

    /// The data directory at the root of `storage` (for example a simulated
    /// disk in tests); default configuration and the system clock.
    pub fn on(storage: Arc<dyn Storage>) -> Self {
        Self {
            storage,
            config: EngineConfig::default(),
            clock: Arc::new(SystemClock),
        }
    }

    /// Sets the configuration.
    pub fn config(mut self, config: EngineConfig) -> Self {
        self.config = config;
        self
    }

    /// Sets the clock retention uses.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}
