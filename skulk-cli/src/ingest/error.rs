//! Why an input line was refused.

/// The reason a line of input could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LineErrorKind {
    /// The line is not valid UTF-8.
    #[error("the line is not valid UTF-8")]
    InvalidUtf8,
    /// The line exceeds the length limit.
    #[error("the line is longer than {limit} bytes")]
    TooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// The measurement (metric) name is empty.
    #[error("the measurement name is empty")]
    EmptyMeasurement,
    /// A tag is not `key=value` or has an empty key or value.
    #[error("tag {tag:?} is not key=value with a non-empty key and value")]
    BadTag {
        /// The tag as written.
        tag: String,
    },
    /// The line has no field set.
    #[error("the line has no fields (expected `measurement[,tags] field=value [timestamp]`)")]
    MissingFields,
    /// A field is not `key=value`.
    #[error("field {field:?} is not key=value")]
    BadField {
        /// The field as written.
        field: String,
    },
    /// A field value is not a number or boolean.
    #[error("field {field:?} has a value that is not a number: {value:?}")]
    BadFieldValue {
        /// The field key.
        field: String,
        /// The value as written.
        value: String,
    },
    /// String field values cannot be stored in a numeric series.
    #[error("field {field:?} is a string; only numeric and boolean fields can be stored")]
    StringField {
        /// The field key.
        field: String,
    },
    /// An integer field is too large to be stored exactly as an `f64`.
    #[error("field {field:?}: integer {value} cannot be stored exactly as f64 (|n| > 2^53)")]
    InexactInteger {
        /// The field key.
        field: String,
        /// The value as written.
        value: String,
    },
    /// A double quote opened a string that never closes.
    #[error("unterminated string in the field set")]
    UnterminatedString,
    /// The timestamp is not an integer.
    #[error("timestamp {0:?} is not an integer")]
    BadTimestamp(String),
    /// The timestamp overflows i64 nanoseconds after applying the precision.
    #[error("timestamp {0} is out of range for i64 nanoseconds")]
    TimestampOutOfRange(String),
    /// Unexpected text after the timestamp.
    #[error("unexpected text after the timestamp: {0:?}")]
    TrailingText(String),
    /// A CSV line does not have the expected columns.
    #[error("expected `timestamp_ns,value` or `series,timestamp_ns,value`, found {found} columns")]
    ColumnCount {
        /// Number of columns found.
        found: usize,
    },
    /// A CSV field has an unbalanced or misplaced double quote.
    #[error("unbalanced or misplaced double quote")]
    BadQuoting,
    /// A two-column CSV row, but no metric name was given.
    #[error("a `timestamp_ns,value` row needs a metric name: pass --metric")]
    MissingMetric,
    /// The series column of a CSV row is not a series key.
    #[error("{0:?} is not a series key like `metric{{label=\"value\"}}`")]
    BadSeriesKey(String),
    /// A CSV value is not a number.
    #[error("value {0:?} is not a number")]
    BadValue(String),
}

/// A refused line: where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct LineError {
    /// 1-based line number in the input.
    pub line: u64,
    /// Why it was refused.
    pub kind: LineErrorKind,
}
