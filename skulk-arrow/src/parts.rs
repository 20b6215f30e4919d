//! The part files of a day's folder: their numbers, and, when an export
//! appends to an earlier one's folder, the number its files start from
//! once no file there holds a time it writes.

use std::fs::{self, File};
use std::path::Path;

use parquet::file::metadata::ParquetMetaDataReader;
use parquet::file::statistics::Statistics;
use skulk_engine::TimeRange;

use crate::error::io;
use crate::layout::TIME_COLUMN;
use crate::{Error, Result};

/// The part number after the highest `part-N.parquet` in `folder` (0 when
/// it holds none or does not exist), once no such file holds a time of
/// `range`: exporting those times again would write their points twice.
pub(crate) fn first_free_part(folder: &Path, range: TimeRange) -> Result<u32> {
    let entries = match fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io(folder)(e)),
    };
    let mut next = 0u32;
    for entry in entries {
        let name = entry.map_err(io(folder))?.file_name();
        if let Some(part) = name.to_str().and_then(part_number) {
            refuse_overlap(&folder.join(&name), range)?;
            next = next.max(part_after(folder, part)?);
        }
    }
    Ok(next)
}

/// Refuses to append beside `path`, a file of an earlier export, when it
/// holds a time in `range`, going by the `time` column's statistics in its
/// footer (the export writes them for every row group).
fn refuse_overlap(path: &Path, range: TimeRange) -> Result<()> {
    let parquet = |source| Error::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io(path))?;
    let meta = ParquetMetaDataReader::new()
        .parse_and_finish(&file)
        .map_err(parquet)?;
    let time = meta
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .position(|c| c.name() == TIME_COLUMN);
    for group in meta.row_groups() {
        if group.num_rows() == 0 {
            continue;
        }
        let span = time
            .and_then(|c| group.columns().get(c))
            .and_then(|c| c.statistics())
            .and_then(|s| match s {
                Statistics::Int64(s) => Some((*s.min_opt()?, *s.max_opt()?)),
                _ => None,
            });
        let Some((first, last)) = span else {
            return Err(Error::InvalidArgument(format!(
                "{}: no statistics of a `time` column say which times it holds, \
                 so an append beside it could repeat its points",
                path.display()
            )));
        };
        if first < range.end() && last >= range.start() {
            return Err(Error::InvalidArgument(format!(
                "{} holds points from {first} to {last} (ns), overlapping this \
                 export's [{}, {}): appending could write points twice",
                path.display(),
                range.start(),
                range.end()
            )));
        }
    }
    Ok(())
}

/// `part + 1`, or an error naming the folder when there is none.
pub(crate) fn part_after(folder: &Path, part: u32) -> Result<u32> {
    part.checked_add(1).ok_or_else(|| {
        Error::InvalidArgument(format!(
            "{}: no part number is left after part-{part}",
            folder.display()
        ))
    })
}

/// N of a published `part-N.parquet` (not of a hidden temporary file).
fn part_number(name: &str) -> Option<u32> {
    let digits = name.strip_prefix("part-")?.strip_suffix(".parquet")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_published_parts_have_a_number() {
        assert_eq!(part_number("part-0.parquet"), Some(0));
        assert_eq!(part_number("part-41.parquet"), Some(41));
        assert_eq!(part_number(".part-7.parquet.tmp"), None);
        assert_eq!(part_number("part-.parquet"), None);
        assert_eq!(part_number("part-+1.parquet"), None);
        assert_eq!(part_number("part-1.parquet.crc"), None);
        assert_eq!(part_number("part-99999999999.parquet"), None);
        assert_eq!(part_number("data.parquet"), None);
    }
}
