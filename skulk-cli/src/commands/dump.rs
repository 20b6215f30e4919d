//! `skulk dump`: the blocks and points of a TSM file, or the records of a
//! WAL segment.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use skulk_codec::BlockView;
use skulk_format::{RECORD_FRAMING_LEN, SeriesId, SeriesMeta, TimeRange, TsmReader};
use skulk_wal::{Lsn, WalEntry};

use crate::disk;
use crate::error::{CliError, Result};
use crate::files::{self, FileKind};
use crate::output::format_value;
use crate::timefmt::format_time;

/// Runs `dump`; `limit` is the number of points printed per block or
/// record (`None`: all).
pub fn run(path: &Path, limit: Option<usize>, out: &mut dyn Write) -> Result<()> {
    let bytes = disk::read(path)?;
    match files::classify(path, &bytes) {
        FileKind::Tsm => dump_tsm(path, bytes, limit, out),
        FileKind::WalSegment => dump_wal(path, limit, out),
        _ => Err(CliError::Usage(format!(
            "{}: neither a TSM file (magic ATSM) nor a WAL segment (NNNN.wal, magic SKWL)",
            path.display()
        ))),
    }
}

fn dump_tsm(path: &Path, bytes: Vec<u8>, limit: Option<usize>, out: &mut dyn Write) -> Result<()> {
    let reader = TsmReader::open_named(bytes, path)?;
    let stats = reader.stats();
    writeln!(
        out,
        "TSM file {}: version {:?}, {} bytes, {} series, {} blocks, {} points, {} .. {}",
        path.display(),
        reader.header().version,
        stats.file_size,
        stats.series_count,
        stats.block_count,
        stats.total_point_count,
        format_time(stats.min_timestamp),
        format_time(stats.max_timestamp),
    )
    .map_err(CliError::output)?;
    let (mut ts, mut vs) = (Vec::new(), Vec::new());
    for entry in reader.series() {
        writeln!(
            out,
            "series {} {} ({} blocks)",
            entry.id,
            entry.meta,
            entry.blocks.len()
        )
        .map_err(CliError::output)?;
        for block in reader.blocks(entry.id, TimeRange::ALL) {
            let codecs = match block.is_inline() {
                true => "inline (one point in the index)".to_string(),
                false => block_codecs(reader.bytes(), block.offset, block.len),
            };
            writeln!(
                out,
                "  block @{} len {} points {} {} .. {} codecs {codecs}",
                block.offset, block.len, block.point_count, block.min_ts, block.max_ts,
            )
            .map_err(CliError::output)?;
            if limit == Some(0) {
                continue;
            }
            ts.clear();
            vs.clear();
            reader.read_block(&block, &mut ts, &mut vs)?;
            let shown = limit.unwrap_or(ts.len()).min(ts.len());
            for (t, v) in ts.iter().zip(&vs).take(shown) {
                writeln!(out, "    {t} {}", format_value(*v)).map_err(CliError::output)?;
            }
            if shown < ts.len() {
                writeln!(out, "    ... {} more", ts.len() - shown).map_err(CliError::output)?;
            }
        }
    }
    Ok(())
}

/// The codec ids in the block header of the record at `offset`.
fn block_codecs(file: &[u8], offset: u64, len: u32) -> String {
    let start = offset as usize + RECORD_FRAMING_LEN - 4;
    let end = (offset as usize + len as usize).saturating_sub(4);
    match file.get(start..end).map(BlockView::parse) {
        Some(Ok(view)) => {
            let h = view.header();
            format!("{:?}/{:?}", h.timestamp_codec, h.value_codec)
        }
        _ => "?".to_string(),
    }
}

fn dump_wal(path: &Path, limit: Option<usize>, out: &mut dyn Write) -> Result<()> {
    let recovery = crate::wal_file::recover_segment(path)?;
    writeln!(
        out,
        "WAL segment {}: {} records, torn tail {} bytes",
        path.display(),
        recovery.records().len(),
        recovery.torn_bytes()
    )
    .map_err(CliError::output)?;
    let mut series: HashMap<SeriesId, SeriesMeta> = HashMap::new();
    for (lsn, entry) in recovery.records() {
        write_record(*lsn, entry, &mut series, limit, out).map_err(CliError::output)?;
    }
    Ok(())
}

fn write_record(
    lsn: Lsn,
    entry: &WalEntry,
    series: &mut HashMap<SeriesId, SeriesMeta>,
    limit: Option<usize>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match entry {
        WalEntry::SeriesDef { id, meta } => {
            series.insert(*id, meta.clone());
            writeln!(out, "lsn {lsn} series-def {id} {meta}")
        }
        WalEntry::Points(points) => {
            writeln!(out, "lsn {lsn} points {}", points.len())?;
            let shown = limit.unwrap_or(points.len()).min(points.len());
            for p in points.iter().take(shown) {
                let key = series.get(&p.series_id).map(ToString::to_string);
                let key = key.unwrap_or_else(|| format!("<series {}>", p.series_id));
                writeln!(out, "  {key} {} {}", p.timestamp, format_value(p.value))?;
            }
            if shown < points.len() {
                writeln!(out, "  ... {} more", points.len() - shown)?;
            }
            Ok(())
        }
        WalEntry::DropPartition(partition) => writeln!(
            out,
            "lsn {lsn} drop-partition {} .. {}",
            partition.start(),
            partition.end_ts()
        ),
        WalEntry::Checkpoint { safe_lsn } => writeln!(out, "lsn {lsn} checkpoint {safe_lsn}"),
        other => writeln!(out, "lsn {lsn} {other:?}"),
    }
}
