//! Turning `SelectArgs` into an engine selector and time range.

use skulk_engine::{LabelMatcher, MatchOp, SeriesSelector};
use skulk_format::TimeRange;

use crate::cli::SelectArgs;
use crate::error::{CliError, Result};
use crate::selector::{Op, Selector, parse_series_key};
use crate::timearg::parse_time;

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
        return Ok(SeriesSelector::Exact(parse_series_key(key)?));
    }
    let mut parsed = match &args.selector {
        Some(text) => Selector::parse(text)?,
        None => Selector::default(),
    };
    for m in &args.matchers {
        parsed.matchers.push(Selector::parse_match_arg(m)?);
    }
    let matchers = parsed
        .matchers
        .into_iter()
        .map(|m| {
            let op = match m.op {
                Op::Equal => MatchOp::Equal,
                Op::NotEqual => MatchOp::NotEqual,
                Op::Regex => MatchOp::Regex,
                Op::NotRegex => MatchOp::NotRegex,
            };
            LabelMatcher::new(m.name, op, m.value)
        })
        .collect();
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
