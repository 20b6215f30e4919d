//! The command line, declared with clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use skulk_engine::{AggregateFn, Fill};

use crate::ingest::Precision;
use crate::output::OutputFormat;

/// The default data directory.
pub const DEFAULT_DATA_DIR: &str = "./skulk-data";

/// Skulk: an embeddable, lossless, compact time-series storage engine.
#[derive(Debug, Parser)]
#[command(name = "skulk", version, about, propagate_version = true)]
pub struct Cli {
    /// Data directory of the engine.
    #[arg(long, global = true, value_name = "DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// Engine settings as TOML (see the skulk-engine README for the keys).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log what happens on standard error: `-v` info, `-vv` debug, `-vvv`
    /// trace (`RUST_LOG`, e.g. `RUST_LOG=skulk_cli=debug`, takes precedence).
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import Influx line protocol or CSV files into the data directory.
    Import(ImportArgs),
    /// Query points of series selected by key or matchers.
    Query(QueryArgs),
    /// Export points as line protocol, CSV or NDJSON (optionally gzipped),
    /// or as Hive-partitioned Parquet files.
    Export(ExportArgs),
    /// Run a SQL query (Apache DataFusion): each metric is a table, `points`
    /// holds every point; rows stream out as a table, CSV or JSON.
    Sql(SqlArgs),
    /// Summarize a TSM file or a data directory, per series.
    Inspect(InspectArgs),
    /// Print the blocks and points of a TSM file or the records of a WAL segment.
    Dump(DumpArgs),
    /// Check a data directory against its manifest (every file, every
    /// checksum, the WAL), or one file.
    Verify(VerifyArgs),
    /// Get a damaged data directory opening again: cut the WAL at its first
    /// corruption and quarantine bad TSM files, keeping every original;
    /// losses only with `--accept-loss`.
    Repair(RepairArgs),
    /// Delete the points of the selected series in a time range (hidden
    /// at once; `compact` reclaims the space).
    Delete(DeleteArgs),
    /// Merge each partition's TSM files into one.
    Compact,
    /// Print engine statistics.
    Stats(StatsArgs),
    /// Cardinality: series per metric, values per label, the top label pairs.
    Report(ReportArgs),
    /// Label names of the selected series, or the values of one label.
    Labels(LabelsArgs),
    /// Series the selector picks, from the series index.
    Series(SeriesArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
    /// Print the manual page, or write one per command with `--dir`.
    Man(ManArgs),
    /// Ingest real or generated data, flush, query, and print throughput and compression.
    Bench(BenchArgs),
}

impl Command {
    /// The subcommand's name, as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Import(_) => "import",
            Self::Query(_) => "query",
            Self::Export(_) => "export",
            Self::Sql(_) => "sql",
            Self::Inspect(_) => "inspect",
            Self::Dump(_) => "dump",
            Self::Verify(_) => "verify",
            Self::Repair(_) => "repair",
            Self::Delete(_) => "delete",
            Self::Compact => "compact",
            Self::Stats(_) => "stats",
            Self::Report(_) => "report",
            Self::Labels(_) => "labels",
            Self::Series(_) => "series",
            Self::Completions(_) => "completions",
            Self::Man(_) => "man",
            Self::Bench(_) => "bench",
        }
    }
}

/// Input format of `import`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// Influx line protocol.
    #[value(name = "lp", alias = "line-protocol", alias = "influx")]
    LineProtocol,
    /// `timestamp_ns,value` rows (see `--metric`) or `series,timestamp_ns,value`
    /// rows; or any CSV with a header, mapped by `--time-column`,
    /// `--label-column` and `--value-column`.
    Csv,
    /// OpenMetrics text (timestamps in seconds, `# EOF`).
    #[value(name = "openmetrics", alias = "om")]
    OpenMetrics,
    /// Prometheus text exposition format (timestamps in milliseconds).
    #[value(name = "prometheus", alias = "prom")]
    Prometheus,
}

/// How `import --time-format` reads CSV times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TimeFormatArg {
    /// An integer in `--precision` units, or else RFC 3339.
    Auto,
    /// RFC 3339 in UTC (`2024-05-01T12:00:00Z`).
    Rfc3339,
    /// Epoch seconds.
    #[value(name = "s")]
    Seconds,
    /// Epoch milliseconds.
    #[value(name = "ms")]
    Milliseconds,
    /// Epoch microseconds.
    #[value(name = "us")]
    Microseconds,
    /// Epoch nanoseconds.
    #[value(name = "ns")]
    Nanoseconds,
}

/// Arguments of `import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files to import; `-` or none reads standard input.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Input format; by default `.csv` files are CSV, `.prom` Prometheus
    /// text, `.om`/`.openmetrics` OpenMetrics and the rest line protocol
    /// (a `.gz` ending is read through gzip first).
    #[arg(long, short)]
    pub format: Option<InputFormat>,
    /// Metric name of CSV rows (default: the file name without extension);
    /// with a column mapping, the prefix of each value column's series.
    #[arg(long)]
    pub metric: Option<String>,
    /// CSV: the column holding the time (a header is then required; default
    /// with a mapping: the first column).
    #[arg(long, value_name = "NAME")]
    pub time_column: Option<String>,
    /// CSV: how the time column is written.
    #[arg(long, value_name = "FORMAT")]
    pub time_format: Option<TimeFormatArg>,
    /// CSV: a column whose values become labels (repeatable).
    #[arg(long = "label-column", value_name = "NAME")]
    pub label_columns: Vec<String>,
    /// CSV: a column of values, one series each (repeatable; default with a
    /// mapping: every column that is neither the time nor a label).
    #[arg(long = "value-column", value_name = "NAME")]
    pub value_columns: Vec<String>,
    /// Label `key=value` for CSV rows (repeatable).
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// Unit of the input timestamps.
    #[arg(long, default_value = "ns")]
    pub precision: Precision,
    /// Skip and count bad lines instead of stopping at the first.
    #[arg(long)]
    pub skip_bad: bool,
    /// Points per write batch.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub batch_size: u64,
    /// Never show a progress bar (it is hidden anyway when stderr is not a terminal).
    #[arg(long)]
    pub no_progress: bool,
}

/// Which series and time range (shared by `query` and `export`).
#[derive(Debug, Args)]
pub struct SelectArgs {
    /// Series key or selector: `cpu`, `cpu{host="a"}`, `{dc!="x"}`.
    #[arg(value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// Label matcher `name=value`, `name!=value`, `name=~regex`, `name!~regex`
    /// (repeatable; `__name__` is the metric).
    #[arg(long = "match", short = 'm', value_name = "MATCHER")]
    pub matchers: Vec<String>,
    /// Treat SELECTOR as one exact series key (labels must match exactly).
    #[arg(long)]
    pub exact: bool,
    /// Start of the time range, inclusive (ns, RFC 3339, `now-1h`).
    #[arg(long, allow_hyphen_values = true)]
    pub start: Option<String>,
    /// End of the time range, exclusive (ns, RFC 3339, `now`).
    #[arg(long, allow_hyphen_values = true)]
    pub end: Option<String>,
}

/// Arguments of `delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Which series and when (a selector or `--match` is required; without
    /// `--start`/`--end` every point of the series goes).
    #[command(flatten)]
    pub select: SelectArgs,
}

/// Where text output goes (shared by `query` and `export`).
#[derive(Debug, Args, Default)]
pub struct OutputArgs {
    /// Write to this file instead of standard output (gzip-compressed when
    /// its name ends in `.gz`).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Compress the output with gzip.
    #[arg(long)]
    pub compress: bool,
}

/// Output format of `query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QueryFormat {
    /// An aligned, human-readable table (built in memory).
    Table,
    /// `series,timestamp_ns,value` rows (streamed).
    Csv,
    /// One JSON array of series (built in memory).
    Json,
    /// One JSON object per point and line (streamed).
    Ndjson,
    /// Influx line protocol (streamed).
    #[value(name = "lp", alias = "line-protocol", alias = "influx")]
    LineProtocol,
}

fn parse_agg(text: &str) -> Result<AggregateFn, String> {
    text.parse()
        .map_err(|e: skulk_engine::EngineError| e.to_string())
}

fn parse_fill(text: &str) -> Result<Fill, String> {
    match text.trim() {
        "none" => Ok(Fill::None),
        "previous" | "prev" => Ok(Fill::Previous),
        other => crate::value_text::parse_value(other)
            .map(Fill::Value)
            .ok_or_else(|| format!("{other:?} is not `none`, `previous` or a number")),
    }
}

/// Arguments of `query`.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// Which series and when.
    #[command(flatten)]
    pub select: SelectArgs,
    /// Window length for aggregation (`1m`, `1h`); requires `--agg`.
    #[arg(long, requires = "agg")]
    pub step: Option<String>,
    /// Aggregation per window: min, max, sum, count, mean, first, last,
    /// increase, rate (per second; counter resets handled) or
    /// `quantile(0.99)`; requires `--step`.
    #[arg(long, requires = "step", value_parser = parse_agg, value_name = "FUNCTION")]
    pub agg: Option<AggregateFn>,
    /// Aggregate across the series that share these labels' values
    /// (`--by host,dc`; `--by` alone: all series together; `__name__` keeps
    /// the metric).
    #[arg(long, requires = "agg", value_delimiter = ',', num_args = 0..=1, value_name = "LABELS")]
    pub by: Option<Vec<String>>,
    /// Aggregate across the series that differ only in these labels
    /// (`--without host`).
    #[arg(
        long,
        requires = "agg",
        conflicts_with = "by",
        value_delimiter = ',',
        value_name = "LABELS"
    )]
    pub without: Option<Vec<String>>,
    /// What an empty window holds: `none` (left out), `previous` or a
    /// number; windows cover `--start`..`--end` when given.
    #[arg(long, requires = "agg", value_parser = parse_fill, default_value = "none", value_name = "FILL")]
    pub fill: Fill,
    /// Output format.
    #[arg(long, short, default_value = "table")]
    pub format: QueryFormat,
    /// Show table timestamps as RFC 3339 UTC (other formats keep nanoseconds).
    #[arg(long)]
    pub rfc3339: bool,
    /// Where the output goes.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Output format of `export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// `series,timestamp_ns,value` rows.
    Csv,
    /// Influx line protocol, one `value` field per line.
    #[value(name = "lp", alias = "line-protocol", alias = "influx")]
    LineProtocol,
    /// One JSON object per point and line.
    Ndjson,
    /// Parquet files under `--out DIR`: `metric=<name>/date=YYYY-MM-DD/part-N.parquet`.
    Parquet,
}

/// `skulk_arrow::COMPRESS_MIN_ROWS`, spelled out: the CLI builds without
/// `skulk-arrow` when its `parquet` feature is off.
const PARQUET_COMPRESS_MIN_ROWS: u64 = 256;

/// Arguments of `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Which series and when (default: everything).
    #[command(flatten)]
    pub select: SelectArgs,
    /// Output format.
    #[arg(long, short, default_value = "lp")]
    pub format: ExportFormat,
    /// The folder of a Parquet export (new or empty, unless --append);
    /// required by `--format parquet`.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["output", "compress"])]
    pub out: Option<PathBuf>,
    /// Add to an earlier Parquet export in --out: a day's new files take
    /// the part numbers after those in its folder, and no file is ever
    /// replaced. A day whose files already hold a time of the export's
    /// range is refused, so no point is written twice.
    #[arg(long, requires = "out")]
    pub append: bool,
    /// Rows per Parquet row group.
    #[arg(long, default_value_t = 1 << 20, value_name = "ROWS")]
    pub row_group_rows: usize,
    /// Parquet files with fewer rows are written uncompressed (0: compress
    /// every file).
    #[arg(long, default_value_t = PARQUET_COMPRESS_MIN_ROWS, value_name = "ROWS")]
    pub compress_min_rows: u64,
    /// Where the output goes.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Output format of `sql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SqlFormat {
    /// An aligned table (column widths from the first rows).
    Table,
    /// CSV with a header row.
    Csv,
    /// One JSON array of row objects.
    Json,
    /// One JSON object per row and line.
    Ndjson,
}

/// Arguments of `sql`.
#[derive(Debug, Args)]
pub struct SqlArgs {
    /// The query, e.g. `SELECT host, avg(value) FROM cpu GROUP BY host`.
    pub query: String,
    /// Output format.
    #[arg(long, short, default_value = "table")]
    pub format: SqlFormat,
    /// Where the output goes.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Arguments of `inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A TSM file or a directory (default: the data directory, whose
    /// manifest names the files read).
    pub path: Option<PathBuf>,
    /// Output format.
    #[arg(long, short, default_value = "table")]
    pub format: OutputFormat,
}

/// Arguments of `dump`.
#[derive(Debug, Args)]
pub struct DumpArgs {
    /// A TSM file or a WAL segment.
    pub path: PathBuf,
    /// Points printed per block or record (0: none, only headers).
    #[arg(long, default_value_t = 10)]
    pub points: usize,
    /// Print every point.
    #[arg(long, conflicts_with = "points")]
    pub all: bool,
}

/// Arguments of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A data directory (the default), a folder of Skulk files, or one TSM
    /// file, WAL segment, MANIFEST or CHECKPOINT.
    pub path: Option<PathBuf>,
}

/// Arguments of `repair`.
#[derive(Debug, Args)]
pub struct RepairArgs {
    /// Only report what would be cut, quarantined and lost; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Take files and WAL segments the manifest lists that are missing or
    /// damaged out of it, recording what they held in `LOSSES`, so that the
    /// directory opens without them.
    #[arg(long)]
    pub accept_loss: bool,
}

/// Arguments of `stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Output format.
    #[arg(long, short, default_value = "table")]
    pub format: OutputFormat,
}

/// Arguments of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Which series (default: every series); times are ignored.
    #[command(flatten)]
    pub select: SelectArgs,
    /// Rows of each top list.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Output format (`table` or `json`; `csv` prints the table).
    #[arg(long, short, default_value = "table")]
    pub format: OutputFormat,
}

/// Arguments of `labels`.
#[derive(Debug, Args)]
pub struct LabelsArgs {
    /// Which series (default: every series); times are ignored.
    #[command(flatten)]
    pub select: SelectArgs,
    /// Print the values of this label instead of the label names
    /// (`__name__`: the metric names).
    #[arg(long, value_name = "NAME")]
    pub values: Option<String>,
    /// Output format: one per line (`table`), a JSON array, or CSV.
    #[arg(long, short, default_value = "table")]
    pub format: OutputFormat,
}

/// Arguments of `series`.
#[derive(Debug, Args)]
pub struct SeriesArgs {
    /// Which series (default: every series); times are ignored.
    #[command(flatten)]
    pub select: SelectArgs,
    /// Print at most this many series (the count is printed in full).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Print only how many series the selector picks.
    #[arg(long)]
    pub count: bool,
    /// Output format: one series key per line (`table`), JSON objects with
    /// the metric and labels, or CSV.
    #[arg(long, short, default_value = "table")]
    pub format: OutputFormat,
}

/// Arguments of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

/// Arguments of `man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `skulk.1` and one page per command into this directory.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Arguments of `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Directory of `*.csv` datasets (default: `../shared/datasets` next to
    /// the workspace, or `$SKULK_DATASETS`).
    #[arg(long, value_name = "DIR")]
    pub datasets: Option<PathBuf>,
    /// Use N generated series instead of real datasets.
    #[arg(long, value_name = "N")]
    pub generate: Option<u32>,
    /// Points per generated series.
    #[arg(long, default_value_t = 100_000)]
    pub points: u32,
    /// Partition length of the bench's engine (default: the `--config`
    /// file's, or 30 days without one: the datasets span months to years).
    #[arg(long, value_name = "DURATION")]
    pub partition_duration: Option<String>,
    /// Keep the bench's data directory instead of removing it.
    #[arg(long)]
    pub keep: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[cfg(feature = "parquet")]
    #[test]
    fn the_parquet_defaults_are_the_library_s() {
        assert_eq!(PARQUET_COMPRESS_MIN_ROWS, skulk_arrow::COMPRESS_MIN_ROWS);
    }

    #[test]
    fn step_requires_agg() {
        assert!(Cli::try_parse_from(["skulk", "query", "cpu", "--step", "1m"]).is_err());
        let cli = Cli::try_parse_from(["skulk", "query", "cpu", "--step", "1m", "--agg", "mean"]);
        assert!(cli.is_ok());
    }

    #[test]
    fn negative_times_are_values() {
        let cli =
            Cli::try_parse_from(["skulk", "query", "cpu", "--start", "-5", "--end", "now-1h"]);
        assert!(cli.is_ok(), "{cli:?}");
    }
}
