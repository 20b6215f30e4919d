//! Adding the series of a TSM file to the catalog.

use skulk_format::{LabelTable, TsmReader};

use super::catalog::{METRIC, PairId, SeriesIndex};
use crate::Result;

/// Adds every series of `reader` the index does not know yet.
pub(crate) fn import_file<B: AsRef<[u8]>>(
    index: &mut SeriesIndex,
    reader: &TsmReader<B>,
) -> Result<()> {
    match reader.label_table() {
        Some(table) => import_numbered(index, reader, table),
        None => {
            for entry in reader.series() {
                if !index.contains(entry.id) {
                    index.insert_labels(entry.id, entry.meta.metric(), entry.meta.labels())?;
                }
            }
            Ok(())
        }
    }
}

/// A version-2 file names its series' metric and pairs by number in its
/// table: each number is mapped to the catalog's once, then every series
/// is a list of array lookups, with no string hashed per series.
fn import_numbered<B: AsRef<[u8]>>(
    index: &mut SeriesIndex,
    reader: &TsmReader<B>,
    table: &LabelTable,
) -> Result<()> {
    let mut pairs: Vec<Option<PairId>> = vec![None; table.pair_count() as usize];
    let mut metrics: Vec<Option<PairId>> = vec![None; table.string_count() as usize];
    // A file's ids are unique (its index is strictly ascending), so into
    // an empty catalog every series is new.
    let empty = index.len() == 0;
    // The new series are appended as they are read and indexed at once at
    // the end (also after an error, so that the catalog stays whole).
    let mut first = index.len();
    if empty {
        index.reserve(reader.series_count());
    }
    let mut append = || -> Result<()> {
        for entry in reader.series() {
            // Known series are skipped before their pairs are mapped: a
            // series whose id collides with a known one adds no pairs of
            // its own.
            if !empty && index.contains(entry.id) {
                continue;
            }
            let Some((metric, numbers)) = entry.meta.numbers() else {
                // Postings stay sorted: what was appended is indexed first.
                index.index_appended(first);
                index.insert_labels(entry.id, entry.meta.metric(), entry.meta.labels())?;
                first = index.len();
                continue;
            };
            let metric = mapped(&mut metrics, metric, |_| {
                index.pair(METRIC, table.string(metric))
            })?;
            index.append_pair(metric);
            for number in numbers {
                let pair = mapped(&mut pairs, number, |_| {
                    let (name, value) = table.pair(number).unwrap_or_default();
                    let name = index.name_key(name)?;
                    index.pair(name, value)
                })?;
                index.append_pair(pair);
            }
            index.append_series(entry.id)?;
        }
        Ok(())
    };
    let result = append();
    index.index_appended(first);
    result
}

/// The catalog's pair for file number `number`, made by `make` the first
/// time.
fn mapped(
    map: &mut [Option<PairId>],
    number: u32,
    make: impl FnOnce(u32) -> Result<PairId>,
) -> Result<PairId> {
    if let Some(&Some(pair)) = map.get(number as usize) {
        return Ok(pair);
    }
    let pair = make(number)?;
    if let Some(slot) = map.get_mut(number as usize) {
        *slot = Some(pair);
    }
    Ok(pair)
}
