#![doc = include_str!("../README.md")]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod aggregate;
mod binned;
mod error;
mod exec;
mod parts;
mod prepared;
mod pushdown;
mod schema;
mod table;

use std::sync::Arc;

use datafusion::prelude::{SessionConfig, SessionContext};
use skulk_engine::Engine;

pub use aggregate::AggregatePushdown;
pub use binned::{BinnedExec, Binning};
pub use datafusion;
pub use error::{Error, Result};
pub use exec::SkulkScanExec;
pub use prepared::PreparedQuery;
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
/// empty `public` schema), and adds the [`AggregatePushdown`] rule to it
/// (once).
pub fn register(ctx: &SessionContext, engine: Arc<Engine>) -> Result<()> {
    ctx.remove_optimizer_rule(AggregatePushdown::NAME);
    ctx.add_optimizer_rule(Arc::new(AggregatePushdown));
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
