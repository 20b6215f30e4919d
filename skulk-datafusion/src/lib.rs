//! SQL over a Skulk engine with [Apache DataFusion](https://datafusion.apache.org/).
//!
//! Each metric is a table with the columns `time`
//! (`Timestamp(Nanosecond, "UTC")`), `value` (`Float64`) and one
//! dictionary-encoded string column per label name; `points` holds every
//! point of every metric, with a `metric` column besides. Grouping,
//! `date_bin`, percentiles, window functions and joins are DataFusion's;
//! the engine reads only what a query needs:
//!
//! | pushed into the engine, exactly | |
//! |---|---|
//! | `time` `=`, `<`, `<=`, `>`, `>=`, `BETWEEN` a timestamp | the scan's time range |
//! | label or `metric` `=` / `!=` a string, `IN` / `NOT IN` a list | label matchers |
//! | `LIKE` / `NOT LIKE`, `~`, `~*`, `!~`, `!~*` | regex matchers |
//! | `IS NULL` / `IS NOT NULL` on a label | label absent / present |
//! | the projection, and `LIMIT` when every filter was pushed | |
//!
//! Every other filter (on `value`, `ILIKE`, `OR` across columns, ...) is
//! left to DataFusion, so results are always those of SQL. `EXPLAIN` shows
//! what the engine was given (`SkulkScanExec: table=..., matchers=[...],
//! time=[...]`).
//!
//! Arrow record batches and Parquet export are in `skulk-arrow`; this crate
//! holds the heavy DataFusion dependency alone, so that nothing else in the
//! workspace compiles it.
//!
//! ```
//! use std::sync::Arc;
//! use skulk_engine::{DataPoint, Engine, EngineConfig};
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let dir = tempfile::tempdir()?;
//! let engine = Arc::new(Engine::open(dir.path(), EngineConfig::default())?);
//! for (host, v) in [("a", 1.0), ("a", 2.0), ("b", 10.0)] {
//!     engine.write(&DataPoint::new("cpu", vec![("host".into(), host.into())], v as i64, v))?;
//! }
//!
//! let ctx = skulk_datafusion::session(Arc::clone(&engine))?;
//! let df = ctx.sql("SELECT host, avg(value) AS mean FROM cpu GROUP BY host ORDER BY host").await?;
//! let batches = df.collect().await?;
//! assert_eq!(batches[0].num_rows(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod error;
mod exec;
mod pushdown;
mod schema;
mod table;

use std::sync::Arc;

use datafusion::prelude::{SessionConfig, SessionContext};
use skulk_engine::Engine;

pub use datafusion;
pub use error::{Error, Result};
pub use exec::SkulkScanExec;
pub use schema::SkulkSchema;
pub use table::{POINTS_TABLE, SkulkTable};

/// A DataFusion session whose default schema holds `engine`'s tables.
pub fn session(engine: Arc<Engine>) -> Result<SessionContext> {
    session_with(engine, SessionConfig::new())
}

/// [`session`] with DataFusion settings of one's own.
pub fn session_with(engine: Arc<Engine>, config: SessionConfig) -> Result<SessionContext> {
    let ctx = SessionContext::new_with_config(config);
    register(&ctx, engine)?;
    Ok(ctx)
}

/// Makes `engine`'s tables the default schema of `ctx` (in place of its
/// empty `public` schema).
pub fn register(ctx: &SessionContext, engine: Arc<Engine>) -> Result<()> {
    let options = ctx.state().config().options().catalog.clone();
    let catalog = ctx.catalog(&options.default_catalog).ok_or_else(|| {
        datafusion::error::DataFusionError::Plan(format!(
            "the session has no catalog {}",
            options.default_catalog
        ))
    })?;
    catalog.register_schema(&options.default_schema, Arc::new(SkulkSchema::new(engine)))?;
    Ok(())
}
