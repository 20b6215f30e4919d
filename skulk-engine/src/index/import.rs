//! Adding the series of a TSM file to the catalog.

use skulk_format::{LabelTable, TsmReader};

use super::catalog::{METRIC, NOT_APPENDED, PairId, SeriesIndex};
use super::postings::SeriesRef;
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

/// A version-2 or -3 file names its series' metric and pairs by number in
/// its table: each number is mapped to the catalog's once, then every
/// series is a list of array lookups, with no string hashed per series. A
/// version-3 file also holds the postings of its pairs, which extend the
/// catalog's as they are instead of being rebuilt from every series.
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
    let postings = reader.postings();
    // With postings: the number of each of the file's series, in order.
    let mut local: Vec<SeriesRef> = Vec::new();
    if postings.is_some() {
        local.reserve_exact(reader.series_count());
    }
    let mut append = || -> Result<()> {
        for entry in reader.series() {
            // Known series are skipped before their pairs are mapped: a
            // series whose id collides with a known one adds no pairs of
            // its own.
            if !empty && index.contains(entry.id) {
                local.push(NOT_APPENDED);
                continue;
            }
            let Some((metric, numbers)) = entry.meta.numbers() else {
                // Postings stay sorted: what was appended is indexed first.
                index.index_appended(first);
                first = index.len();
                local.push(NOT_APPENDED);
                index.insert_labels(entry.id, entry.meta.metric(), entry.meta.labels())?;
                // Inserted and indexed at once: appending resumes after it.
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
            let number = index.len() as SeriesRef;
            index.append_series(entry.id)?;
            local.push(number);
        }
        Ok(())
    };
    let result = append();
    match postings {
        Some(postings) => index.index_appended_from(first, postings, &pairs, &local),
        None => index.index_appended(first),
    }
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

#[cfg(test)]
mod tests {
    use skulk_format::{FormatVersion, SeriesMeta, TsmWriter, TsmWriterOptions};

    use super::*;

    fn meta(i: usize) -> SeriesMeta {
        let mut labels = vec![
            ("host".to_string(), format!("h{}", i / 2)),
            ("g".to_string(), format!("g{}", i % 3)),
        ];
        if i.is_multiple_of(5) {
            labels.push(("odd".into(), "yes".into()));
        }
        SeriesMeta::new(["cpu", "mem"][i % 2], labels)
    }

    /// A file of `version` holding the series `range`.
    fn file(version: FormatVersion, range: std::ops::Range<usize>) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.tsm");
        let options = TsmWriterOptions {
            version,
            ..TsmWriterOptions::default()
        };
        let mut writer = TsmWriter::create(&path, options).unwrap();
        for i in range {
            writer.write_series(&meta(i), &[i as i64], &[1.0]).unwrap();
        }
        writer.finish().unwrap();
        std::fs::read(&path).unwrap()
    }

    /// Files of versions 3, 2, 3 and 1, overlapping, imported after a few
    /// series inserted singly: the catalog equals one built series by
    /// series in the same order, and every pair's postings are sorted.
    #[test]
    fn importing_postings_equals_inserting_series_one_by_one() {
        let files = [
            (FormatVersion::V3, 0..120),
            (FormatVersion::V2, 100..160),
            (FormatVersion::V3, 90..250),
            (FormatVersion::V1, 240..260),
        ];
        let mut imported = SeriesIndex::default();
        let mut single = SeriesIndex::default();
        for i in [7, 300, 130] {
            imported.insert(meta(i).id(), &meta(i)).unwrap();
            single.insert(meta(i).id(), &meta(i)).unwrap();
        }
        for (version, range) in files {
            let bytes = file(version, range);
            let reader = TsmReader::open(bytes.as_slice()).unwrap();
            assert_eq!(reader.postings().is_some(), version == FormatVersion::V3);
            import_file(&mut imported, &reader).unwrap();
            for entry in reader.series() {
                single.insert(entry.id, &entry.meta.to_meta()).unwrap();
            }
        }
        assert_eq!(imported.len(), single.len());
        for r in 0..single.len() as SeriesRef {
            assert_eq!(imported.id(r), single.id(r));
            assert_eq!(imported.meta(r), single.meta(r));
        }
        let names = ["host", "g", "odd"].map(|n| imported.query_name(n).unwrap());
        let values = (0..151)
            .map(|h| format!("h{h}"))
            .chain(["g0", "g1", "g2", "yes"].map(String::from));
        for value in values {
            for (&name, single_name) in names.iter().zip(["host", "g", "odd"]) {
                let single_name = single.query_name(single_name).unwrap();
                let want = single.postings(single_name, &value);
                let got = imported.postings(name, &value);
                assert_eq!(got, want, "{value}");
                assert!(got.windows(2).all(|w| w[0] < w[1]));
            }
        }
        for metric in ["cpu", "mem"] {
            assert_eq!(
                imported.postings(METRIC, metric),
                single.postings(METRIC, metric)
            );
        }
    }
}
