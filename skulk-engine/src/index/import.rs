//! Adding the series of a TSM file to the catalog.

use skulk_format::TsmReader;

use super::catalog::SeriesIndex;
use crate::Result;

/// Adds every series of `reader` the index does not know yet.
pub(crate) fn import_file<B: AsRef<[u8]>>(
    index: &mut SeriesIndex,
    reader: &TsmReader<B>,
) -> Result<()> {
    for entry in reader.series() {
        if !index.contains(entry.id) {
            index.insert(entry.id, &entry.meta)?;
        }
    }
    Ok(())
}
