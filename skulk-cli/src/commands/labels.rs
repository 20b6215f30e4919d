//! `skulk labels`: the label names of the selected series, or the values of
//! one label, answered from the engine's series index (no point is read).

use std::io::Write;

use serde_json::Value;

use super::{Context, select};
use crate::cli::LabelsArgs;
use crate::error::{CliError, Result};
use crate::output::{OutputFormat, csv_io, write_json};

/// Runs `labels`.
pub fn run(ctx: &Context, args: &LabelsArgs, out: &mut dyn Write) -> Result<()> {
    let selector = select::selector(&args.select)?;
    let engine = ctx.open_for_reading()?;
    let (header, items) = match &args.values {
        Some(name) => ("value", engine.label_values(name, &selector)?),
        None => ("name", engine.label_names(&selector)?),
    };
    drop(engine);
    write_list(header, &items, args.format, true, out)
}

/// Writes strings one per line (with `quote`, each as a quoted string when
/// a line could not show it plainly), as a JSON array, or as one CSV
/// column.
pub(super) fn write_list(
    header: &str,
    items: &[String],
    format: OutputFormat,
    quote: bool,
    out: &mut dyn Write,
) -> Result<()> {
    match format {
        OutputFormat::Table => {
            for item in items {
                if !quote || plain(item) {
                    writeln!(out, "{item}")
                } else {
                    writeln!(out, "{item:?}")
                }
                .map_err(CliError::output)?;
            }
            Ok(())
        }
        OutputFormat::Json => {
            let list = items.iter().map(|s| Value::from(s.as_str())).collect();
            write_json(out, &Value::Array(list)).map_err(CliError::output)
        }
        OutputFormat::Csv => {
            let mut csv = csv::Writer::from_writer(out);
            csv.write_record([header])
                .map_err(|e| CliError::output(csv_io(e)))?;
            for item in items {
                csv.write_record([item])
                    .map_err(|e| CliError::output(csv_io(e)))?;
            }
            csv.flush().map_err(CliError::output)
        }
    }
}

/// True when `text` reads back from a line as it is: not empty, no
/// surrounding whitespace, no control character, no quote to confuse it
/// with a quoted one.
fn plain(text: &str) -> bool {
    !text.is_empty()
        && text.trim() == text
        && !text.starts_with('"')
        && !text.chars().any(char::is_control)
}
