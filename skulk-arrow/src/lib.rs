//! Skulk data as [Apache Arrow](https://arrow.apache.org/) record batches,
//! and exported as Hive-partitioned Parquet files.
//!
//! - [`RecordBatchScan`]: a streaming scan of an open [`Engine`] that yields
//!   `RecordBatch`es (`time` as `Timestamp(Nanosecond, "UTC")`, `value` as
//!   `Float64`, metric and labels as dictionary-encoded strings), with
//!   projection, time-range and series-matcher pushdown, decoding blocks in
//!   parallel and holding memory to one chunk of points at a time.
//! - [`TableLayout`]: the columns of a table of points, one per label name.
//! - [`export_parquet`] writes `metric=<name>/date=YYYY-MM-DD/part-N.parquet`,
//!   zstd-compressed, bit-exact values; the schema is specified in
//!   `SCHEMA.md`.
//!
//! Arrow lives here, not in the engine, so that the storage crates stay
//! light; `skulk-datafusion` builds SQL on this crate.
//!
//! ```
//! use skulk_arrow::{RecordBatchScan, ScanRequest, TableLayout};
//! use skulk_engine::{DataPoint, Engine, EngineConfig, SeriesSelector, TimeRange};
//!
//! let dir = tempfile::tempdir()?;
//! let engine = Engine::open(dir.path(), EngineConfig::default())?;
//! engine.write(&DataPoint::new("cpu", vec![("host".into(), "a".into())], 1, 0.5))?;
//! engine.write(&DataPoint::new("cpu", vec![("host".into(), "b".into())], 1, 1.5))?;
//!
//! let layout = TableLayout::points(engine.label_names(&SeriesSelector::all())?);
//! let request = ScanRequest::new(SeriesSelector::all(), TimeRange::ALL);
//! let batches: Vec<_> = RecordBatchScan::new(&engine, &layout, &request)?.collect::<Result<_, _>>()?;
//! assert_eq!(batches[0].num_rows(), 2);
//! assert_eq!(batches[0].schema().field(3).name(), "host");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod batch;
mod error;
pub mod hive;
mod layout;
mod parquet_export;
mod scan;

pub use batch::{BatchBuilder, DEFAULT_BATCH_ROWS};
pub use error::{Error, Result};
pub use layout::{
    ColumnKind, DATE_COLUMN, METRIC_COLUMN, TIME_COLUMN, TIME_ZONE, TableLayout, VALUE_COLUMN,
    label_type, time_type,
};
pub use parquet_export::{
    ExportSummary, ExportedFile, ParquetOptions, SCHEMA_VERSION, export_parquet,
};
pub use scan::{RecordBatchScan, ScanRequest};

pub use arrow_array::RecordBatch;
pub use arrow_schema::SchemaRef;
pub use skulk_engine::Engine;
