#![doc = include_str!("../README.md")]
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
mod parts;
mod publish;
mod scan;

pub use batch::{BatchBuilder, DEFAULT_BATCH_ROWS, label_column};
pub use error::{Error, Result};
pub use layout::{
    ColumnKind, DATE_COLUMN, LabelEncoding, METRIC_COLUMN, TIME_COLUMN, TIME_ZONE, TableLayout,
    VALUE_COLUMN, label_type, time_type,
};
pub use parquet_export::{
    COMPRESS_MIN_ROWS, ExportSummary, ExportedFile, ParquetOptions, SCHEMA_VERSION, export_parquet,
};
pub use scan::{RecordBatchScan, ScanRequest};

pub use arrow_array::RecordBatch;
pub use arrow_schema::SchemaRef;
pub use skulk_engine::Engine;
