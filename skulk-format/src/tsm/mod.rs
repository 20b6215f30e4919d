//! The TSM file format, see `FORMAT.md`.

mod block;
mod bloom;
mod cursor;
mod footer;
mod header;
mod index;
mod label_table;
mod meta_view;
mod options;
mod pieces;
mod postings;
mod reader;
mod stats;
mod verify;
mod version;
mod writer;

pub use block::{BLOCK_ENTRY_LEN, BlockRef, RECORD_FRAMING_LEN};
pub use footer::{FOOTER_LEN, FOOTER_MAGIC, TsmFooter};
pub use header::{FLAG_HAS_POINTS, HEADER_LEN, HEADER_MAGIC, TsmHeader};
pub use index::SeriesEntry;
pub use label_table::LabelTable;
pub use meta_view::{Labels, MetaView, PairNumbers};
pub use options::TsmWriterOptions;
pub use postings::{Postings, PostingsList};
pub use reader::TsmReader;
pub use stats::{TsmHandle, TsmStats};
pub use verify::VerifyReport;
pub use version::FormatVersion;
pub use writer::{SealedTsm, TsmWriter, publish_all};
