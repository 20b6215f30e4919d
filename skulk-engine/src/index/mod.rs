//! The series catalog and its inverted index (see `catalog.rs`), the
//! selection of series by label matchers over it (`select.rs`, with the
//! semantics of matchers that accept the empty value), and the label names
//! and values of a selection (`labels.rs`).

mod catalog;
mod import;
mod labels;
mod postings;
mod regex_plan;
mod select;
mod symbols;
#[cfg(test)]
mod tests;
mod values;

pub(crate) use catalog::SeriesIndex;
pub(crate) use import::import_file;
pub(crate) use labels::{label_names, label_values};
pub(crate) use postings::SeriesRef;
pub(crate) use regex_plan::RegexPlan;
pub(crate) use select::select;
