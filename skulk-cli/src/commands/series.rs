//! `skulk series`: the series a selector picks, from the engine's series
//! index (no point is read).

use std::io::Write;

use serde_json::Value;

use super::{Context, select};
use crate::cli::SeriesArgs;
use crate::error::{CliError, Result};
use crate::output::{OutputFormat, json_series, write_json};

/// Runs `series`.
pub fn run(ctx: &Context, args: &SeriesArgs, out: &mut dyn Write) -> Result<()> {
    let selector = select::selector(&args.select)?;
    let engine = ctx.open_for_reading()?;
    if args.count {
        let count = engine.series_ids(&selector)?.len();
        drop(engine);
        return writeln!(out, "{count}").map_err(CliError::output);
    }
    let mut series = engine.find_series(&selector)?;
    drop(engine);
    if let Some(limit) = args.limit {
        series.truncate(limit);
    }
    match args.format {
        OutputFormat::Json => {
            let list = series
                .iter()
                .map(|s| Value::Object(json_series(s)))
                .collect();
            write_json(out, &Value::Array(list)).map_err(CliError::output)
        }
        format => {
            let keys: Vec<String> = series.iter().map(|s| s.key()).collect();
            super::labels::write_list("series", &keys, format, false, out)
        }
    }
}
