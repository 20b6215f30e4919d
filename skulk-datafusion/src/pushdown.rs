//! Which SQL filters the engine can apply itself, and how.
//!
//! A filter on `time` becomes a bound of the scan's time range; a filter on
//! `metric` or a label becomes a label matcher. A filter is pushed *exactly*
//! only when the engine selects precisely the rows SQL would keep, null
//! semantics included: a series without a label has a null in that column,
//! which no comparison accepts, while the engine gives it the empty value,
//! which `!=` and negated regexes accept. So every negative matcher on a
//! label is paired with "the label is present" (`=~ ".+"`). Anything else is
//! left to DataFusion, which then filters the rows itself.

use datafusion::common::ScalarValue;
use datafusion::logical_expr::expr::{Between, InList, Like};
use datafusion::logical_expr::{BinaryExpr, Expr, Operator, TableProviderFilterPushDown};
use skulk_arrow::{ColumnKind, TableLayout};
use skulk_engine::{LabelMatcher, METRIC_LABEL, MatchOp, SeriesSelector, TimeRange};

/// A regex matching any non-empty value: "the label is present".
const PRESENT: &str = "(?s:.+)";

/// What one filter asks of the engine.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    /// `time` lies in `[lo, hi]` (inclusive, widened to avoid overflow).
    Time { lo: i128, hi: i128 },
    /// Every matcher must accept the series.
    Matchers(Vec<LabelMatcher>),
}

/// The series selection and time range that a set of filters pushes down.
#[derive(Debug, Clone, PartialEq)]
pub struct Pushdown {
    /// Matchers every selected series satisfies (the table's own metric
    /// matcher first, for a table of one metric).
    pub matchers: Vec<LabelMatcher>,
    lo: i128,
    hi: i128,
}

impl Pushdown {
    /// No filter yet: the series `base` selects, every timestamp.
    pub fn new(base: Vec<LabelMatcher>) -> Pushdown {
        Pushdown {
            matchers: base,
            lo: i128::from(i64::MIN),
            hi: i128::from(i64::MAX),
        }
    }

    /// Narrows the selection by every filter the engine can apply; the
    /// others are skipped (DataFusion applies them).
    pub fn with_filters(mut self, layout: &TableLayout, filters: &[Expr]) -> Pushdown {
        for filter in filters {
            match translate(layout, filter) {
                Some((Piece::Time { lo, hi }, _)) => {
                    self.lo = self.lo.max(lo);
                    self.hi = self.hi.min(hi);
                }
                Some((Piece::Matchers(ms), _)) => self.matchers.extend(ms),
                None => {}
            }
        }
        self
    }

    /// The series to read.
    pub fn selector(&self) -> SeriesSelector {
        SeriesSelector::Matchers(self.matchers.clone())
    }

    /// The time range to read; `None` when the filters admit no timestamp.
    pub fn range(&self) -> Option<TimeRange> {
        if self.lo > self.hi {
            return None;
        }
        let start = i64::try_from(self.lo).ok()?;
        // `[start, hi]` is `[start, hi + 1)`; `i64::MAX` as the end means
        // "unbounded", which is what `hi == i64::MAX` asks for.
        let end = i64::try_from(self.hi.saturating_add(1)).unwrap_or(i64::MAX);
        TimeRange::new(start, end).ok()
    }
}

/// How exactly the engine can apply `filter` on a table of `layout`.
pub fn support(layout: &TableLayout, filter: &Expr) -> TableProviderFilterPushDown {
    match translate(layout, filter) {
        Some((_, true)) => TableProviderFilterPushDown::Exact,
        Some((_, false)) => TableProviderFilterPushDown::Inexact,
        None => TableProviderFilterPushDown::Unsupported,
    }
}

/// The engine's form of `filter` and whether it is exact.
fn translate(layout: &TableLayout, filter: &Expr) -> Option<(Piece, bool)> {
    match filter {
        Expr::BinaryExpr(BinaryExpr {
            op: Operator::Or, ..
        }) => either(layout, filter),
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            if let Some(column) = column_kind(layout, left) {
                compare(column, *op, right)
            } else {
                let column = column_kind(layout, right)?;
                compare(column, op.swap()?, left)
            }
        }
        Expr::Between(Between {
            expr,
            negated: false,
            low,
            high,
        }) => match column_kind(layout, expr)? {
            ColumnKind::Time => {
                let lo = timestamp(low)?;
                let hi = timestamp(high)?;
                Some((Piece::Time { lo, hi }, true))
            }
            _ => None,
        },
        Expr::InList(InList {
            expr,
            list,
            negated,
        }) => {
            let name = label_name(column_kind(layout, expr)?)?;
            let values: Vec<String> = list.iter().map(text).collect::<Option<_>>()?;
            if values.is_empty() || values.iter().any(String::is_empty) {
                return None;
            }
            let alternation = values
                .iter()
                .map(|v| regex_syntax::escape(v))
                .collect::<Vec<_>>()
                .join("|");
            let op = if *negated {
                MatchOp::NotRegex
            } else {
                MatchOp::Regex
            };
            Some(label_piece(name, op, alternation))
        }
        Expr::Like(Like {
            negated,
            expr,
            pattern,
            escape_char: None | Some('\\'),
            case_insensitive: false,
        }) => {
            let name = label_name(column_kind(layout, expr)?)?;
            let regex = like_to_regex(&text(pattern)?);
            let op = if *negated {
                MatchOp::NotRegex
            } else {
                MatchOp::Regex
            };
            Some(label_piece(name, op, regex))
        }
        Expr::IsNull(expr) => {
            let name = label_name(column_kind(layout, expr)?)?;
            (name != METRIC_LABEL)
                .then(|| (Piece::Matchers(vec![LabelMatcher::equal(name, "")]), true))
        }
        Expr::IsNotNull(expr) => {
            let name = label_name(column_kind(layout, expr)?)?;
            Some((
                Piece::Matchers(vec![LabelMatcher::regex(name, PRESENT)]),
                true,
            ))
        }
        _ => None,
    }
}

/// An `OR` of positive tests on one label (DataFusion writes a short `IN`
/// list so): one regex matcher of their alternatives.
fn either(layout: &TableLayout, filter: &Expr) -> Option<(Piece, bool)> {
    let mut leaves = Vec::new();
    disjuncts(filter, &mut leaves);
    let mut label: Option<String> = None;
    let mut alternatives = Vec::new();
    let mut present = false;
    for leaf in leaves {
        let (Piece::Matchers(ms), true) = translate(layout, leaf)? else {
            return None;
        };
        let m = match ms.as_slice() {
            [m] => m,
            [m, p] if p.op == MatchOp::Regex && p.value == PRESENT => {
                present = true;
                m
            }
            _ => return None,
        };
        if label.get_or_insert_with(|| m.name.clone()) != &m.name {
            return None;
        }
        alternatives.push(match m.op {
            MatchOp::Equal => regex_syntax::escape(&m.value),
            MatchOp::Regex => format!("(?:{})", m.value),
            MatchOp::NotEqual | MatchOp::NotRegex => return None,
        });
    }
    let name = label?;
    let mut matchers = vec![LabelMatcher::regex(name.clone(), alternatives.join("|"))];
    if present {
        matchers.push(LabelMatcher::regex(name, PRESENT));
    }
    Some((Piece::Matchers(matchers), true))
}

fn disjuncts<'a>(expr: &'a Expr, out: &mut Vec<&'a Expr>) {
    match expr {
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::Or,
            right,
        }) => {
            disjuncts(left, out);
            disjuncts(right, out);
        }
        other => out.push(other),
    }
}

/// `column op literal`.
fn compare(column: &ColumnKind, op: Operator, literal: &Expr) -> Option<(Piece, bool)> {
    match column {
        ColumnKind::Time => {
            let t = timestamp(literal)?;
            let (lo, hi) = match op {
                Operator::Eq => (t, t),
                Operator::Lt => (i128::from(i64::MIN), t - 1),
                Operator::LtEq => (i128::from(i64::MIN), t),
                Operator::Gt => (t + 1, i128::from(i64::MAX)),
                Operator::GtEq => (t, i128::from(i64::MAX)),
                _ => return None,
            };
            Some((Piece::Time { lo, hi }, true))
        }
        ColumnKind::Value => None,
        ColumnKind::Metric | ColumnKind::Label(_) => {
            let name = label_name(column)?;
            let value = text(literal)?;
            match op {
                // A present label is never empty: `= ''` holds for no row,
                // while the engine's `= ""` selects series without the label.
                Operator::Eq if !value.is_empty() => Some(label_piece(name, MatchOp::Equal, value)),
                Operator::NotEq => Some(label_piece(name, MatchOp::NotEqual, value)),
                Operator::RegexMatch => Some(label_piece(
                    name,
                    MatchOp::Regex,
                    unanchored(&value, false)?,
                )),
                Operator::RegexIMatch => {
                    Some(label_piece(name, MatchOp::Regex, unanchored(&value, true)?))
                }
                Operator::RegexNotMatch => Some(label_piece(
                    name,
                    MatchOp::NotRegex,
                    unanchored(&value, false)?,
                )),
                Operator::RegexNotIMatch => Some(label_piece(
                    name,
                    MatchOp::NotRegex,
                    unanchored(&value, true)?,
                )),
                _ => None,
            }
        }
    }
}

/// The matchers for `name op value`, exact under SQL's null semantics.
fn label_piece(name: &str, op: MatchOp, value: String) -> (Piece, bool) {
    let mut matchers = vec![LabelMatcher::new(name, op, value)];
    // The metric is never null; a label may be, and a null passes no test.
    if name != METRIC_LABEL && op != MatchOp::Equal {
        matchers.push(LabelMatcher::regex(name, PRESENT));
    }
    (Piece::Matchers(matchers), true)
}

/// The engine label name a metric or label column stands for.
fn label_name(column: &ColumnKind) -> Option<&str> {
    match column {
        ColumnKind::Metric => Some(METRIC_LABEL),
        ColumnKind::Label(name) => Some(name),
        ColumnKind::Time | ColumnKind::Value => None,
    }
}

/// The column `expr` names, looking through casts to strings (DataFusion
/// compares a dictionary column with a string by casting it).
fn column_kind<'a>(layout: &'a TableLayout, expr: &Expr) -> Option<&'a ColumnKind> {
    match expr {
        Expr::Column(column) => layout.kind(layout.column_index(&column.name)?),
        Expr::Cast(cast) if is_string(cast.field.data_type()) => {
            let kind = column_kind(layout, &cast.expr)?;
            label_name(kind).map(|_| kind)
        }
        Expr::TryCast(cast) if is_string(cast.field.data_type()) => {
            let kind = column_kind(layout, &cast.expr)?;
            label_name(kind).map(|_| kind)
        }
        _ => None,
    }
}

fn is_string(t: &datafusion::arrow::datatypes::DataType) -> bool {
    use datafusion::arrow::datatypes::DataType;
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

/// A nanosecond timestamp literal (the column's own unit: other units would
/// compare after a rounding cast, which is DataFusion's to apply).
fn timestamp(expr: &Expr) -> Option<i128> {
    match expr {
        Expr::Literal(ScalarValue::TimestampNanosecond(Some(t), _), _) => Some(i128::from(*t)),
        _ => None,
    }
}

/// A non-null string literal.
fn text(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Literal(value, _) => scalar_text(value),
        _ => None,
    }
}

fn scalar_text(value: &ScalarValue) -> Option<String> {
    match value {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => Some(s.clone()),
        ScalarValue::Dictionary(_, inner) => scalar_text(inner),
        _ => None,
    }
}

/// A regex that matches a whole value exactly when SQL's unanchored `~`
/// finds `pattern` in it; `None` when `pattern` is not a valid regex (so
/// DataFusion reports the error itself).
fn unanchored(pattern: &str, case_insensitive: bool) -> Option<String> {
    // Validate the pattern on its own: wrapped, an unbalanced `)` could
    // close our group and change the meaning instead of failing.
    regex_syntax::Parser::new().parse(pattern).ok()?;
    let flags = if case_insensitive { "(?i)" } else { "" };
    Some(format!("(?s:.*)(?:{flags}{pattern})(?s:.*)"))
}

/// The anchored regex of a SQL `LIKE` pattern, as Arrow reads it: `%` any
/// run of characters (newlines too), `_` one character, `\` makes the next
/// character literal (a trailing `\` is itself).
fn like_to_regex(pattern: &str) -> String {
    let mut regex = String::from("(?s:");
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' => regex.push_str(".*"),
            '_' => regex.push('.'),
            '\\' => {
                let literal = chars.next().unwrap_or('\\');
                regex.push_str(&regex_syntax::escape(literal.encode_utf8(&mut [0; 4])));
            }
            c => regex.push_str(&regex_syntax::escape(c.encode_utf8(&mut [0; 4]))),
        }
    }
    regex.push(')');
    regex
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::logical_expr::{binary_expr, col, lit};
    use datafusion::prelude::Expr;

    fn layout() -> TableLayout {
        TableLayout::points(["host", "dc"])
    }

    fn ts(t: i64) -> Expr {
        lit(ScalarValue::TimestampNanosecond(
            Some(t),
            Some("UTC".into()),
        ))
    }

    fn pushed(filters: &[Expr]) -> Pushdown {
        Pushdown::new(Vec::new()).with_filters(&layout(), filters)
    }

    #[test]
    fn time_bounds_intersect() {
        let p = pushed(&[
            col("time").gt_eq(ts(10)),
            col("time").lt(ts(20)),
            ts(15).gt(col("time")),
        ]);
        let range = p.range().unwrap();
        assert_eq!((range.start(), range.end()), (10, 15));
        let empty = pushed(&[col("time").gt(ts(i64::MAX))]);
        assert_eq!(empty.range(), None);
        let disjoint = pushed(&[col("time").lt(ts(5)), col("time").gt(ts(5))]);
        assert_eq!(disjoint.range(), None);
        let max = pushed(&[col("time").eq(ts(i64::MAX))]).range().unwrap();
        assert!(max.contains(i64::MAX) && !max.contains(i64::MAX - 1));
    }

    #[test]
    fn negative_label_tests_require_the_label() {
        let p = pushed(&[col("host").not_eq(lit("a"))]);
        assert_eq!(
            p.matchers,
            vec![
                LabelMatcher::not_equal("host", "a"),
                LabelMatcher::regex("host", PRESENT)
            ]
        );
        let metric = pushed(&[col("metric").not_eq(lit("cpu"))]);
        assert_eq!(
            metric.matchers,
            vec![LabelMatcher::not_equal(METRIC_LABEL, "cpu")]
        );
    }

    #[test]
    fn what_is_not_pushed() {
        let l = layout();
        for filter in [
            col("value").gt(lit(1.0)),
            col("host").eq(lit("")),
            col("time").not_eq(ts(1)),
            col("host").eq(lit("a")).or(col("dc").eq(lit("b"))),
            col("host").ilike(lit("A%")),
            col("time").gt(lit(ScalarValue::TimestampMicrosecond(Some(1), None))),
            binary_expr(col("host"), Operator::RegexMatch, lit("a)|(b")),
        ] {
            assert_eq!(
                support(&l, &filter),
                TableProviderFilterPushDown::Unsupported,
                "{filter}"
            );
        }
        assert_eq!(
            support(&l, &col("host").in_list(vec![lit("a"), lit("b")], false)),
            TableProviderFilterPushDown::Exact
        );
    }

    #[test]
    fn like_patterns_become_anchored_regexes() {
        assert_eq!(like_to_regex("web-%"), "(?s:web\\-.*)");
        assert_eq!(like_to_regex("a_\\%\\"), "(?s:a.%\\\\)");
        let re = regex::Regex::new(&format!("^(?:{})$", like_to_regex("x%y"))).unwrap();
        assert!(re.is_match("x\ny") && !re.is_match("xy!"));
    }
}
