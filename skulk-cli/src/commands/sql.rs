//! `skulk sql`: a SQL query over the data directory with Apache DataFusion,
//! its rows written as they come.

use std::io::Write;

use super::Context;
use crate::cli::SqlArgs;
use crate::error::{CliError, Result};

/// Runs `sql`.
#[cfg(feature = "sql")]
pub fn run(ctx: &Context, args: &SqlArgs, out: &mut dyn Write) -> Result<()> {
    use std::sync::Arc;

    use futures::StreamExt;

    use super::output_file::with_output;
    use crate::sql_output::RowWriter;

    let engine = Arc::new(ctx.open_for_reading()?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::io("<tokio runtime>"))?;
    with_output(out, &args.output, |out| {
        runtime.block_on(async {
            let session = skulk_datafusion::session(Arc::clone(&engine)).map_err(sql_error)?;
            let frame = session
                .sql(&args.query)
                .await
                .map_err(|e| sql_error(e.into()))?;
            let schema = Arc::clone(frame.schema().inner());
            let mut stream = frame
                .execute_stream()
                .await
                .map_err(|e| sql_error(e.into()))?;
            let mut writer = RowWriter::new(args.format, schema, out);
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(|e| sql_error(e.into()))?;
                writer.batch(&batch).map_err(CliError::output)?;
            }
            writer.finish().map_err(CliError::output)
        })
    })
}

/// A DataFusion or engine error as one line; mistakes in the query are
/// usage errors.
#[cfg(feature = "sql")]
fn sql_error(e: skulk_datafusion::Error) -> CliError {
    use skulk_datafusion::datafusion::error::DataFusionError;
    let usage = match &e {
        skulk_datafusion::Error::DataFusion(df) => matches!(
            df.find_root(),
            DataFusionError::SQL(..)
                | DataFusionError::Plan(_)
                | DataFusionError::SchemaError(..)
                | DataFusionError::NotImplemented(_)
        ),
        _ => false,
    };
    CliError::Sql {
        message: e.one_line(),
        usage,
    }
}

/// Without the `sql` feature: says how to get it.
#[cfg(not(feature = "sql"))]
pub fn run(_ctx: &Context, _args: &SqlArgs, _out: &mut dyn Write) -> Result<()> {
    Err(CliError::Usage(
        "this skulk was built without SQL: install it with `cargo install skulk-cli --features sql` \
         (or build with `--features sql`)"
            .into(),
    ))
}
