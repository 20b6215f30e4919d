//! Which CSV column holds what: the fixed layouts and the mapping.

use super::csv::CsvOptions;
use super::{LineErrorKind, Precision};

/// How the time column is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeFormat {
    /// An integer in the `--precision` unit, or else RFC 3339.
    #[default]
    Auto,
    /// RFC 3339 in UTC (`2024-05-01T12:00:00Z`, `2024-05-01 12:00:00.5`,
    /// `2024-05-01`).
    Rfc3339,
    /// An integer count of this unit since the epoch.
    Epoch(Precision),
}

impl TimeFormat {
    /// The timestamp `text` stands for, in nanoseconds.
    pub fn parse(self, text: &str, precision: Precision) -> Result<i64, LineErrorKind> {
        let epoch = |unit: Precision| {
            let raw: i64 = text
                .parse()
                .map_err(|_| LineErrorKind::BadTimestamp(text.to_string()))?;
            unit.to_nanos(raw)
                .ok_or_else(|| LineErrorKind::TimestampOutOfRange(text.to_string()))
        };
        match self {
            Self::Epoch(unit) => epoch(unit),
            Self::Rfc3339 => rfc3339(text),
            Self::Auto if text.bytes().all(|b| b.is_ascii_digit() || b == b'-') => epoch(precision),
            Self::Auto => rfc3339(text),
        }
    }
}

fn rfc3339(text: &str) -> Result<i64, LineErrorKind> {
    crate::timearg::parse_rfc3339(text).ok_or_else(|| LineErrorKind::BadTimestamp(text.to_string()))
}

/// Column mapping of a CSV with a header row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CsvMapping {
    /// The time column (default: the first column).
    pub time_column: Option<String>,
    /// How times are written.
    pub time_format: TimeFormat,
    /// Columns whose values become labels of the same name.
    pub label_columns: Vec<String>,
    /// Columns of values, one series each (default: every other column).
    pub value_columns: Vec<String>,
}

/// The columns of one input, fixed by its first row.
#[derive(Debug, Clone)]
pub(super) enum Layout {
    /// `timestamp_ns,value` or (`keyed`) `series,timestamp_ns,value`;
    /// `columns` is the header's width when there is one.
    Plain {
        keyed: bool,
        columns: Option<usize>,
    },
    Mapped(Mapped),
}

/// Column indexes of a mapped CSV.
#[derive(Debug, Clone)]
pub(super) struct Mapped {
    pub time: usize,
    pub time_format: TimeFormat,
    /// (label name, column)
    pub labels: Vec<(String, usize)>,
    /// (column name, column)
    pub values: Vec<(String, usize)>,
    pub columns: usize,
}

/// The metric of value column `column`: like a line-protocol field,
/// `<metric>_<column>`, or `<metric>` for a column named `value`; the
/// column name alone without a metric.
pub(super) fn series_name(metric: Option<&str>, column: &str) -> String {
    match metric {
        Some(metric) if column == "value" => metric.to_string(),
        Some(metric) => format!("{metric}_{column}"),
        None => column.to_string(),
    }
}

impl Layout {
    /// The layout a row gives, and whether that row is a header (only the
    /// input's `first` row may be one).
    pub fn detect(
        row: &csv::ByteRecord,
        options: &CsvOptions,
        first: bool,
    ) -> Result<(Self, bool), LineErrorKind> {
        let names: Vec<String> = row
            .iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect();
        if let Some(mapping) = &options.mapping {
            return Ok((Self::Mapped(Mapped::resolve(mapping, &names)?), true));
        }
        let keyed = match names.len() {
            2 => false,
            3 => true,
            found => return Err(LineErrorKind::ColumnCount { found }),
        };
        let ts = names.get(usize::from(keyed)).map(String::as_str);
        let header = first && ts.is_none_or(|t| t.parse::<i64>().is_err());
        let columns = header.then_some(names.len());
        Ok((Self::Plain { keyed, columns }, header))
    }

    /// Refuses a row whose width differs from the header's.
    pub fn check_length(&self, found: usize) -> Result<(), LineErrorKind> {
        let expected = match self {
            Self::Plain {
                columns: Some(n), ..
            } => *n,
            Self::Plain { columns: None, .. } if matches!(found, 2 | 3) => return Ok(()),
            Self::Plain { columns: None, .. } => {
                return Err(LineErrorKind::ColumnCount { found });
            }
            Self::Mapped(m) => m.columns,
        };
        if found == expected {
            Ok(())
        } else {
            Err(LineErrorKind::RowLength { found, expected })
        }
    }
}

impl Mapped {
    fn resolve(mapping: &CsvMapping, names: &[String]) -> Result<Self, LineErrorKind> {
        let find = |name: &str| {
            names
                .iter()
                .position(|n| n == name)
                .ok_or_else(|| LineErrorKind::MissingColumn(name.to_string()))
        };
        let time = match &mapping.time_column {
            Some(name) => find(name)?,
            None => 0,
        };
        let labels = mapping
            .label_columns
            .iter()
            .map(|name| Ok((name.clone(), find(name)?)))
            .collect::<Result<Vec<_>, LineErrorKind>>()?;
        let values: Vec<(String, usize)> = if mapping.value_columns.is_empty() {
            names
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != time && labels.iter().all(|(_, l)| l != i))
                .map(|(i, n)| (n.clone(), i))
                .collect()
        } else {
            mapping
                .value_columns
                .iter()
                .map(|name| Ok((name.clone(), find(name)?)))
                .collect::<Result<_, LineErrorKind>>()?
        };
        if values.is_empty() {
            return Err(LineErrorKind::MissingColumn("(a value column)".into()));
        }
        Ok(Self {
            time,
            time_format: mapping.time_format,
            labels,
            values,
            columns: names.len(),
        })
    }
}
