//! The columns of a table of points: their names, types and order.

use std::collections::HashSet;
use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// Name of the timestamp column.
pub const TIME_COLUMN: &str = "time";
/// Name of the value column.
pub const VALUE_COLUMN: &str = "value";
/// Name of the metric column of a table holding several metrics.
pub const METRIC_COLUMN: &str = "metric";
/// The Hive partition column of an export's UTC dates.
pub const DATE_COLUMN: &str = "date";
/// The time zone of the timestamp column: timestamps are nanoseconds since
/// the Unix epoch, UTC.
pub const TIME_ZONE: &str = "UTC";

/// The Arrow type of the timestamp column.
pub fn time_type() -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, Some(TIME_ZONE.into()))
}

/// The Arrow type of the metric and label columns: strings, dictionary
/// encoded (a series' labels repeat on every one of its rows).
pub fn label_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// How the metric and label columns hold their strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LabelEncoding {
    /// `Dictionary(Int32, Utf8)` ([`label_type`]): four bytes a row and
    /// each value once a batch; the type of the Parquet export.
    #[default]
    Dictionary,
    /// `Utf8View`: sixteen bytes a row (values of up to 12 bytes inline,
    /// longer ones stored once a batch). Query engines work on it
    /// directly: DataFusion groups, hashes and compares view strings in
    /// its vectorised paths, while dictionary group keys go through its
    /// generic row format (a `GROUP BY` label and minute over 10 M rows
    /// takes about 1.3 times as long).
    View,
}

impl LabelEncoding {
    /// The Arrow type of a metric or label column so encoded.
    pub fn data_type(self) -> DataType {
        match self {
            LabelEncoding::Dictionary => label_type(),
            LabelEncoding::View => DataType::Utf8View,
        }
    }
}

/// What a column of a [`TableLayout`] holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnKind {
    /// The timestamp, `Timestamp(Nanosecond, "UTC")`, never null.
    Time,
    /// The value, `Float64`, never null, bit-exact.
    Value,
    /// The metric name, never null.
    Metric,
    /// The value of one label; null for a series without that label.
    Label(String),
}

/// The columns of a table of points, in order: `time`, `value`, `metric`
/// (only in a table of several metrics), then one column per label name,
/// sorted by name.
///
/// A label whose name is already a column's (a label called `time`, say)
/// gets the column `label:<name>` (then `label:<name>:2`, ... should that be
/// taken too), so that every label keeps a column of its own.
#[derive(Debug, Clone)]
pub struct TableLayout {
    schema: SchemaRef,
    kinds: Vec<ColumnKind>,
    labels: LabelEncoding,
}

impl TableLayout {
    /// A table of every metric: `time`, `value`, `metric`, then the labels.
    pub fn points<I, S>(label_names: I) -> TableLayout
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::build(true, &[], label_names)
    }

    /// A table of one metric: `time`, `value`, then the labels.
    pub fn metric<I, S>(label_names: I) -> TableLayout
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::build(false, &[], label_names)
    }

    /// The columns of an exported Parquet file of one metric: those of
    /// [`TableLayout::metric`], except that labels named `metric` or `date`
    /// get `label:` names too, as the folders `metric=<name>/date=<day>`
    /// stand for columns of those names in Hive-partitioned readers.
    pub fn metric_file<I, S>(label_names: I) -> TableLayout
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::build(false, &[METRIC_COLUMN, DATE_COLUMN], label_names)
    }

    fn build<I, S>(with_metric: bool, reserved: &[&str], label_names: I) -> TableLayout
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut kinds = vec![ColumnKind::Time, ColumnKind::Value];
        let mut fields = vec![
            Field::new(TIME_COLUMN, time_type(), false),
            Field::new(VALUE_COLUMN, DataType::Float64, false),
        ];
        if with_metric {
            kinds.push(ColumnKind::Metric);
            fields.push(Field::new(METRIC_COLUMN, label_type(), false));
        }
        let mut labels: Vec<String> = label_names
            .into_iter()
            .map(Into::into)
            .filter(|name| name != skulk_engine::METRIC_LABEL)
            .collect();
        labels.sort();
        labels.dedup();
        let mut taken: HashSet<String> = fields.iter().map(|f| f.name().clone()).collect();
        taken.extend(labels.iter().cloned());
        for label in labels {
            let column = if fields.iter().any(|f| f.name() == &label)
                || reserved.contains(&label.as_str())
            {
                free_name(&label, &taken)
            } else {
                label.clone()
            };
            taken.insert(column.clone());
            fields.push(Field::new(column, label_type(), true));
            kinds.push(ColumnKind::Label(label));
        }
        TableLayout {
            schema: Arc::new(Schema::new(fields)),
            kinds,
            labels: LabelEncoding::Dictionary,
        }
    }

    /// The same columns with the metric and label strings held as
    /// `labels` says (dictionary encoded unless changed).
    pub fn with_label_encoding(mut self, labels: LabelEncoding) -> TableLayout {
        let fields: Vec<Field> = self
            .schema
            .fields()
            .iter()
            .zip(&self.kinds)
            .map(|(field, kind)| match kind {
                ColumnKind::Metric | ColumnKind::Label(_) => {
                    field.as_ref().clone().with_data_type(labels.data_type())
                }
                ColumnKind::Time | ColumnKind::Value => field.as_ref().clone(),
            })
            .collect();
        self.schema = Arc::new(Schema::new(fields));
        self.labels = labels;
        self
    }

    /// How the metric and label columns hold their strings.
    pub fn label_encoding(&self) -> LabelEncoding {
        self.labels
    }

    /// The Arrow schema.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// What column `index` holds.
    pub fn kind(&self, index: usize) -> Option<&ColumnKind> {
        self.kinds.get(index)
    }

    /// Every column's kind, in order.
    pub fn kinds(&self) -> &[ColumnKind] {
        &self.kinds
    }

    /// The label names that have a column, in column order.
    pub fn label_names(&self) -> impl Iterator<Item = &str> {
        self.kinds.iter().filter_map(|k| match k {
            ColumnKind::Label(name) => Some(name.as_str()),
            _ => None,
        })
    }

    /// The index of the column named `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.schema.index_of(name).ok()
    }
}

/// `label:<name>`, or `label:<name>:N` for the smallest N >= 2 not taken.
fn free_name(label: &str, taken: &HashSet<String>) -> String {
    let base = format!("label:{label}");
    if !taken.contains(&base) {
        return base;
    }
    (2u64..)
        .map(|n| format!("{base}:{n}"))
        .find(|name| !taken.contains(name))
        .unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_fixed_then_sorted_labels() {
        let layout = TableLayout::points(["host", "dc", "__name__", "dc"]);
        let names: Vec<_> = layout
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names, ["time", "value", "metric", "dc", "host"]);
        assert_eq!(layout.kind(3), Some(&ColumnKind::Label("dc".into())));
        assert!(layout.schema().field(3).is_nullable());
        assert!(!layout.schema().field(2).is_nullable());
    }

    #[test]
    fn a_label_named_like_a_column_keeps_a_column() {
        let layout = TableLayout::metric(["time", "value", "label:time", "metric"]);
        let names: Vec<_> = layout
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(
            names,
            [
                "time",
                "value",
                "label:time",
                "metric",
                "label:time:2",
                "label:value"
            ]
        );
        let labels: Vec<_> = layout.label_names().collect();
        assert_eq!(labels, ["label:time", "metric", "time", "value"]);
    }

    #[test]
    fn an_exported_file_leaves_the_partition_columns_free() {
        let layout = TableLayout::metric_file(["date", "host", "metric"]);
        let names: Vec<_> = layout
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(
            names,
            ["time", "value", "label:date", "host", "label:metric"]
        );
    }
}
