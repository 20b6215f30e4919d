//! Turning `SelectArgs` into an engine selector and time range.

use skulk_engine::{EngineError, LabelMatcher, SeriesSelector, parse_series_key};
use skulk_format::TimeRange;

use crate::cli::SelectArgs;
use crate::error::{CliError, Result};
use crate::timearg::parse_time;

/// A selector text the engine refused, as a usage error (exit status 2).
fn usage(e: EngineError) -> CliError {
    CliError::Usage(e.to_string())
}

/// The series selector the arguments describe (every series when empty).
pub fn selector(args: &SelectArgs) -> Result<SeriesSelector> {
    if args.exact {
        let key = args
            .selector
            .as_deref()
            .ok_or_else(|| CliError::Usage("--exact needs a series key".into()))?;
        if !args.matchers.is_empty() {
            return Err(CliError::Usage(
                "--exact cannot be combined with --match".into(),
            ));
        }
        return Ok(SeriesSelector::Exact(parse_series_key(key).map_err(usage)?));
    }
    let mut matchers = match &args.selector {
        Some(text) => match SeriesSelector::parse(text).map_err(usage)? {
            SeriesSelector::Matchers(matchers) => matchers,
            exact @ SeriesSelector::Exact(_) => return Ok(exact),
        },
        None => Vec::new(),
    };
    for text in &args.matchers {
        let matcher = LabelMatcher::parse(text).map_err(|e| match e {
            EngineError::InvalidSelector { reason, .. } => {
                CliError::Usage(format!("invalid --match {text:?}: {reason}"))
            }
            other => usage(other),
        })?;
        matchers.push(matcher);
    }
    Ok(SeriesSelector::Matchers(matchers))
}

/// The time range the arguments describe (everything when absent).
pub fn range(args: &SelectArgs) -> Result<TimeRange> {
    let start = args
        .start
        .as_deref()
        .map(parse_time)
        .transpose()?
        .unwrap_or(i64::MIN);
    let end = args
        .end
        .as_deref()
        .map(parse_time)
        .transpose()?
        .unwrap_or(i64::MAX);
    TimeRange::new(start, end).map_err(|e| CliError::Usage(format!("--start/--end: {e}")))
}
