//! `skulk report`: cardinality per metric and per label, the top N of
//! each, as `promtool tsdb analyze` and `influx_inspect report` show it.
//!
//! Read from the engine's series catalog (`Engine::list_series`), so it
//! costs no point decoding.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use serde_json::{Value, json};
use skulk_engine::SeriesMeta;

use super::{Context, select};
use crate::cli::ReportArgs;
use crate::error::{CliError, Result};
use crate::output::{OutputFormat, Table, thousands, write_json};

/// Counts of one label name.
#[derive(Debug, Default)]
struct LabelStats {
    values: BTreeSet<String>,
    series: u64,
}

/// What a report shows.
#[derive(Debug, Default)]
struct Report {
    series: u64,
    metrics: BTreeMap<String, u64>,
    labels: BTreeMap<String, LabelStats>,
    pairs: BTreeMap<(String, String), u64>,
}

impl Report {
    fn of(all: &[SeriesMeta]) -> Self {
        let mut report = Report::default();
        for series in all {
            report.series += 1;
            *report
                .metrics
                .entry(series.metric().to_string())
                .or_default() += 1;
            for (name, value) in series.labels() {
                let label = report.labels.entry(name.clone()).or_default();
                label.series += 1;
                label.values.insert(value.clone());
                *report
                    .pairs
                    .entry((name.clone(), value.clone()))
                    .or_default() += 1;
            }
        }
        report
    }
}

/// The `n` largest of `items` by count, ties in name order.
fn top<T: Clone>(items: impl Iterator<Item = (T, u64)>, n: usize) -> Vec<(T, u64)> {
    let mut all: Vec<(T, u64)> = items.collect();
    all.sort_by_key(|item| std::cmp::Reverse(item.1));
    all.truncate(n);
    all
}

/// Runs `report`.
pub fn run(ctx: &Context, args: &ReportArgs, out: &mut dyn Write) -> Result<()> {
    let selector = select::selector(&args.select)?;
    let engine = ctx.open_for_reading()?;
    let report = Report::of(&engine.list_series(&selector));
    drop(engine);
    let n = args.top;
    let metrics = top(report.metrics.iter().map(|(m, c)| (m.clone(), *c)), n);
    let labels = top(
        report
            .labels
            .iter()
            .map(|(l, s)| (l.clone(), s.values.len() as u64)),
        n,
    );
    let pairs = top(report.pairs.iter().map(|(p, c)| (p.clone(), *c)), n);
    match args.format {
        OutputFormat::Json => {
            let label_rows: Vec<Value> = labels
                .iter()
                .map(|(name, values)| {
                    let series = report.labels.get(name).map_or(0, |l| l.series);
                    json!({"label": name, "values": values, "series": series})
                })
                .collect();
            let value = json!({
                "series": report.series,
                "metrics": report.metrics.len(),
                "label_names": report.labels.len(),
                "label_pairs": report.pairs.len(),
                "top_metrics": metrics.iter().map(|(m, c)| json!({"metric": m, "series": c})).collect::<Vec<_>>(),
                "top_labels": label_rows,
                "top_label_pairs": pairs.iter().map(|((k, v), c)| json!({"label": k, "value": v, "series": c})).collect::<Vec<_>>(),
            });
            write_json(out, &value).map_err(CliError::output)
        }
        _ => write_tables(out, &report, &metrics, &labels, &pairs).map_err(CliError::output),
    }
}

fn write_tables(
    out: &mut dyn Write,
    report: &Report,
    metrics: &[(String, u64)],
    labels: &[(String, u64)],
    pairs: &[((String, String), u64)],
) -> std::io::Result<()> {
    writeln!(
        out,
        "{} series, {} metrics, {} label names, {} label pairs\n",
        thousands(report.series),
        thousands(report.metrics.len() as u64),
        thousands(report.labels.len() as u64),
        thousands(report.pairs.len() as u64)
    )?;
    let mut table = Table::new(&["metric", "series"], &[false, true]);
    for (metric, count) in metrics {
        table.row(vec![metric.clone(), thousands(*count)]);
    }
    table.write(out)?;
    writeln!(out)?;
    let mut table = Table::new(&["label", "values", "series"], &[false, true, true]);
    for (name, values) in labels {
        let series = report.labels.get(name).map_or(0, |l| l.series);
        table.row(vec![name.clone(), thousands(*values), thousands(series)]);
    }
    table.write(out)?;
    writeln!(out)?;
    let mut table = Table::new(&["label pair", "series"], &[false, true]);
    for ((name, value), count) in pairs {
        table.row(vec![format!("{name}={value:?}"), thousands(*count)]);
    }
    table.write(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_metrics_labels_and_pairs() {
        let s = |m: &str, labels: &[(&str, &str)]| {
            SeriesMeta::new(
                m,
                labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        };
        let all = [
            s("cpu", &[("host", "a"), ("dc", "x")]),
            s("cpu", &[("host", "b"), ("dc", "x")]),
            s("mem", &[("host", "a")]),
        ];
        let report = Report::of(&all);
        assert_eq!(report.series, 3);
        let metrics = top(report.metrics.iter().map(|(m, c)| (m.clone(), *c)), 1);
        assert_eq!(metrics, vec![("cpu".to_string(), 2)]);
        assert_eq!(report.labels["host"].values.len(), 2);
        assert_eq!(report.labels["host"].series, 3);
        assert_eq!(report.pairs[&("dc".to_string(), "x".to_string())], 2);
    }
}
