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
    /// Two tags of a line have the same key.
    #[error("tag key {key:?} appears twice")]
    DuplicateTag {
        /// The key.
        key: String,
    },
    /// Two fields of a line have the same key.
    #[error("field {field:?} appears twice")]
    DuplicateField {
        /// The field key.
        field: String,
    },
    /// A decimal number beyond the range of `f64` (such as `1e400`);
    /// infinities are written `inf` or `+Inf`.
    #[error("value {0:?} is out of the range of f64 (write `inf` or `+Inf` for an infinity)")]
    ValueOutOfRange(String),
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
    /// A line after OpenMetrics' `# EOF`.
    #[error("text after `# EOF`")]
    AfterEof,
    /// An exposition sample has no value.
    #[error("the sample has no value (expected `name{{labels}} value [timestamp]`)")]
    MissingValue,
    /// An exposition metric name is not `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    #[error("metric name {0:?} is not [a-zA-Z_:][a-zA-Z0-9_:]*")]
    BadMetricName(String),
    /// An exposition label set cannot be read.
    #[error("bad label set: {0}")]
    BadLabels(String),
    /// A CSV row does not have its header's number of columns.
    #[error("the row has {found} columns, the header {expected}")]
    RowLength {
        /// Columns of the row.
        found: usize,
        /// Columns of the header.
        expected: usize,
    },
    /// A column named in the CSV mapping is not in the header.
    #[error("the header has no column {0:?}")]
    MissingColumn(String),
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
