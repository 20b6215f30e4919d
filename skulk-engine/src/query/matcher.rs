//! Choosing series: by exact key or by label matchers (their text form is
//! in `grammar.rs`).

use skulk_format::SeriesMeta;

use crate::index::RegexPlan;
use crate::{EngineError, Result};

/// The label name that matchers use for the metric name.
pub const METRIC_LABEL: &str = "__name__";

/// Which series a query or listing covers.
#[derive(Debug, Clone, PartialEq)]
pub enum SeriesSelector {
    /// Exactly this series.
    Exact(SeriesMeta),
    /// Every series all matchers accept (an empty list accepts every series).
    Matchers(Vec<LabelMatcher>),
}

impl SeriesSelector {
    /// Every series of metric `name`.
    pub fn metric(name: impl Into<String>) -> Self {
        Self::Matchers(vec![LabelMatcher::equal(METRIC_LABEL, name)])
    }

    /// Every series.
    pub fn all() -> Self {
        Self::Matchers(Vec::new())
    }
}

/// How a [`LabelMatcher`] compares a label's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOp {
    /// The value equals the matcher's value.
    Equal,
    /// The value differs from the matcher's value.
    NotEqual,
    /// The whole value matches the regular expression (anchored at both ends).
    Regex,
    /// The whole value does not match the regular expression.
    NotRegex,
}

/// A condition on one label. The name [`METRIC_LABEL`] (`__name__`) refers
/// to the metric name; a label a series lacks has the empty value, so
/// `host != "a"` accepts series without a `host` label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelMatcher {
    /// The label name, or `__name__` for the metric.
    pub name: String,
    /// The comparison.
    pub op: MatchOp,
    /// The value or regular expression compared with.
    pub value: String,
}

impl LabelMatcher {
    /// A matcher `name op value`.
    pub fn new(name: impl Into<String>, op: MatchOp, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            op,
            value: value.into(),
        }
    }

    /// `name == value`.
    pub fn equal(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self::new(name, MatchOp::Equal, value)
    }

    /// `name != value`.
    pub fn not_equal(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self::new(name, MatchOp::NotEqual, value)
    }

    /// `name =~ regex`.
    pub fn regex(name: impl Into<String>, regex: impl Into<String>) -> Self {
        Self::new(name, MatchOp::Regex, regex)
    }

    /// `name !~ regex`.
    pub fn not_regex(name: impl Into<String>, regex: impl Into<String>) -> Self {
        Self::new(name, MatchOp::NotRegex, regex)
    }
}

/// A selector ready to test series: regular expressions compiled once.
#[derive(Debug)]
pub(crate) enum CompiledSelector {
    Exact(SeriesMeta),
    Matchers(Vec<CompiledMatcher>),
}

#[derive(Debug)]
pub(crate) struct CompiledMatcher {
    name: String,
    test: Test,
}

#[derive(Debug)]
enum Test {
    Equal(String, bool),
    Regex(regex::Regex, bool, RegexPlan),
}

/// The values whose postings an index reads for a matcher's test (before
/// any negation): these strings, the values under these prefixes, or every
/// value. Candidates are tested again; see [`CompiledMatcher::test`].
#[derive(Debug)]
pub(crate) enum Candidates<'a> {
    Exact(&'a [String]),
    Prefixes(&'a [String]),
    Any,
}

impl CompiledSelector {
    /// Compiles `selector`; an invalid regular expression is an
    /// [`EngineError::InvalidArgument`].
    pub fn new(selector: &SeriesSelector) -> Result<Self> {
        Ok(match selector {
            SeriesSelector::Exact(meta) => Self::Exact(meta.clone()),
            SeriesSelector::Matchers(ms) => {
                Self::Matchers(ms.iter().map(CompiledMatcher::new).collect::<Result<_>>()?)
            }
        })
    }

    /// The matchers of a matcher selector (none for an exact one).
    pub fn matchers(&self) -> &[CompiledMatcher] {
        match self {
            Self::Exact(_) => &[],
            Self::Matchers(ms) => ms,
        }
    }

    /// The one series an exact selector names.
    pub fn exact(&self) -> Option<&SeriesMeta> {
        match self {
            Self::Exact(meta) => Some(meta),
            Self::Matchers(_) => None,
        }
    }

    /// True when `meta` is selected.
    #[cfg(test)]
    pub fn matches(&self, meta: &SeriesMeta) -> bool {
        match self {
            Self::Exact(want) => want == meta,
            Self::Matchers(ms) => ms.iter().all(|m| m.matches(meta)),
        }
    }
}

impl CompiledMatcher {
    fn new(m: &LabelMatcher) -> Result<Self> {
        let test = match m.op {
            MatchOp::Equal => Test::Equal(m.value.clone(), true),
            MatchOp::NotEqual => Test::Equal(m.value.clone(), false),
            MatchOp::Regex | MatchOp::NotRegex => {
                let re = regex::Regex::new(&format!("^(?:{})$", m.value)).map_err(|e| {
                    EngineError::InvalidArgument(format!("bad regex for label {}: {e}", m.name))
                })?;
                Test::Regex(re, m.op == MatchOp::Regex, RegexPlan::of(&m.value))
            }
        };
        Ok(Self {
            name: m.name.clone(),
            test,
        })
    }

    #[cfg(test)]
    fn matches(&self, meta: &SeriesMeta) -> bool {
        let value = if self.name == METRIC_LABEL {
            meta.metric()
        } else {
            meta.label(&self.name).unwrap_or("")
        };
        self.accepts(value)
    }

    /// The label name (`__name__` for the metric).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// True when the matcher accepts a series whose label has `value` (the
    /// empty value for a missing label).
    pub fn accepts(&self, value: &str) -> bool {
        self.test(value) == self.positive()
    }

    /// The comparison before negation: equality or the regex match.
    pub fn test(&self, value: &str) -> bool {
        match &self.test {
            Test::Equal(want, _) => value == want,
            Test::Regex(re, _, _) => re.is_match(value),
        }
    }

    /// False for `!=` and `!~`.
    pub fn positive(&self) -> bool {
        match &self.test {
            Test::Equal(_, positive) | Test::Regex(_, positive, _) => *positive,
        }
    }

    /// The values [`CompiledMatcher::test`] may accept.
    pub fn candidates(&self) -> Candidates<'_> {
        match &self.test {
            Test::Equal(want, _) => Candidates::Exact(std::slice::from_ref(want)),
            Test::Regex(_, _, RegexPlan::Exact(set)) => Candidates::Exact(set),
            Test::Regex(_, _, RegexPlan::Prefixes(p)) => Candidates::Prefixes(p),
            Test::Regex(_, _, RegexPlan::Any) => Candidates::Any,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(metric: &str, labels: &[(&str, &str)]) -> SeriesMeta {
        SeriesMeta::new(
            metric,
            labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn sel(ms: Vec<LabelMatcher>) -> CompiledSelector {
        CompiledSelector::new(&SeriesSelector::Matchers(ms)).unwrap()
    }

    #[test]
    fn metric_and_label_matchers() {
        let a = meta("cpu", &[("host", "a")]);
        let b = meta("cpu", &[("host", "b")]);
        let c = meta("mem", &[]);
        let s = sel(vec![
            LabelMatcher::equal(METRIC_LABEL, "cpu"),
            LabelMatcher::not_equal("host", "a"),
        ]);
        assert!(!s.matches(&a) && s.matches(&b) && !s.matches(&c));
        let missing = sel(vec![LabelMatcher::not_equal("host", "a")]);
        assert!(missing.matches(&c));
        assert!(sel(vec![]).matches(&c));
    }

    #[test]
    fn regexes_are_anchored() {
        let a = meta("cpu", &[("host", "web-1")]);
        assert!(sel(vec![LabelMatcher::regex("host", "web-.*")]).matches(&a));
        assert!(!sel(vec![LabelMatcher::regex("host", "web")]).matches(&a));
        assert!(sel(vec![LabelMatcher::not_regex("host", "db-.*")]).matches(&a));
        assert!(
            CompiledSelector::new(&SeriesSelector::Matchers(vec![LabelMatcher::regex(
                "h", "("
            )]))
            .is_err()
        );
    }

    #[test]
    fn exact_needs_identical_metadata() {
        let a = meta("cpu", &[("host", "a")]);
        let s = CompiledSelector::new(&SeriesSelector::Exact(a.clone())).unwrap();
        assert!(s.matches(&a) && !s.matches(&meta("cpu", &[])));
    }
}
