//! Running a query: snapshot under the state lock, then decode and merge
//! without it, in parallel with rayon across blocks and series.

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;
use skulk_format::{BlockRef, SeriesId, SeriesMeta, TimePartition, TimeRange};
use skulk_memtable::{MemTableSnapshot, TimeSeriesMemTable};

use crate::engine::Inner;
use crate::locks::shared;
use crate::query::merge::{Columns, merge_sources};
use crate::query::{CompiledSelector, Query, SeriesResult};
use crate::state::State;
use crate::tombstone::{Tombstone, hidden, remove_hidden};
use crate::tsm::TsmFile;
use crate::{EngineError, Result};

/// What a query reads, fixed at one instant.
pub(crate) struct View {
    /// Selected series, sorted by metadata.
    pub series: Vec<(SeriesId, Arc<SeriesMeta>)>,
    /// Files that may hold points in the range, oldest generation first.
    pub files: Vec<Arc<TsmFile>>,
    /// Memtables, oldest first: frozen ones by freeze order, then active.
    mems: Vec<MemSource>,
    /// Deletes hiding points of the files.
    tombstones: Vec<Tombstone>,
}

impl View {
    /// The deleted ranges of series `id` in file `fi`.
    fn hidden(&self, fi: usize, id: SeriesId) -> Vec<TimeRange> {
        match self.files.get(fi) {
            Some(f) if !self.tombstones.is_empty() => hidden(&self.tombstones, f.gens.last, id),
            _ => Vec::new(),
        }
    }
}

/// What a query holds of one memtable.
enum MemSource {
    /// A snapshot of the whole memtable (many series selected).
    Table(MemTableSnapshot),
    /// The selected series' points in range, read under the lock (few
    /// series selected: cheaper than copying every series' tail).
    Runs(HashMap<SeriesId, Columns>),
}

/// Below this share of a memtable's series, a query copies only the
/// selected series out of an active memtable.
const FEW_SERIES_DIVISOR: usize = 8;

/// Runs `query` against `inner`.
pub(crate) fn run(inner: &Inner, query: &Query) -> Result<Vec<SeriesResult>> {
    if let Some(agg) = &query.aggregation {
        agg.validate()?;
    }
    let selector = CompiledSelector::new(&query.selector)?;
    let view = snapshot(&shared(&inner.state), &selector, query.range)?;
    if view.series.is_empty() || query.range.is_empty() {
        return Ok(Vec::new());
    }
    match &inner.pool {
        Some(pool) => pool.install(|| execute(&view, query)),
        None => execute(&view, query),
    }
}

/// The last timestamp of a partition (`end_ts` is exclusive, saturating).
fn last_ts(start: i64, end_ts: i64) -> i64 {
    if end_ts == i64::MAX {
        i64::MAX
    } else {
        end_ts.saturating_sub(1).max(start)
    }
}

pub(crate) fn snapshot(
    state: &State,
    selector: &CompiledSelector,
    range: TimeRange,
) -> Result<View> {
    let index = &state.index;
    let refs = crate::index::select(index, selector);
    let metas = index.metas(&refs);
    let mut series: Vec<(SeriesId, Arc<SeriesMeta>)> = refs
        .into_iter()
        .zip(metas)
        .filter_map(|(r, meta)| Some((index.id(r)?, Arc::new(meta))))
        .collect();
    series.sort_by(|a, b| a.1.cmp(&b.1));
    let overlaps =
        |part: &TimePartition| range.overlaps(part.start(), last_ts(part.start(), part.end_ts()));
    // Files are kept oldest generation first: later ones win.
    let files: Vec<_> = state
        .files
        .iter()
        .filter(|f| f.overlaps(range))
        .cloned()
        .collect();
    let mut frozen: Vec<_> = state
        .frozen
        .values()
        .flatten()
        .filter(|f| overlaps(&f.snap.partition()))
        .cloned()
        .collect();
    let mut active = Vec::new();
    for (part, _, table) in state.memtables.partitions() {
        if table.is_empty() || !overlaps(&part) {
            continue;
        }
        active.push(active_source(table, &series, range)?);
    }
    frozen.sort_by_key(|f| f.seq);
    let mems = frozen
        .into_iter()
        .map(|f| MemSource::Table(f.snap))
        .chain(active)
        .collect();
    Ok(View {
        series,
        files,
        mems,
        tombstones: state.tombstones.clone(),
    })
}

/// What a query holds of an active memtable: the selected series' points
/// when they are few, else a snapshot.
fn active_source(
    table: &TimeSeriesMemTable,
    series: &[(SeriesId, Arc<SeriesMeta>)],
    range: TimeRange,
) -> Result<MemSource> {
    if series.len() * FEW_SERIES_DIVISOR >= table.series_count() {
        return Ok(MemSource::Table(table.snapshot()));
    }
    let mut runs = HashMap::new();
    for (id, _) in series {
        if let Some(scan) = table.scan_series(*id, range) {
            let mut cols = Columns::default();
            for point in scan {
                let (t, v) = point.map_err(EngineError::Memtable)?;
                cols.ts.push(t);
                cols.vals.push(v);
            }
            runs.insert(*id, cols);
        }
    }
    Ok(MemSource::Runs(runs))
}

/// One block to decode: (series index, file index, block).
type Task = (usize, usize, BlockRef);

fn execute(view: &View, query: &Query) -> Result<Vec<SeriesResult>> {
    // With many series, parallelism across series is enough and each series
    // is decoded straight into its result; with few, blocks are decoded in
    // parallel too.
    let results: Vec<Option<SeriesResult>> =
        if view.series.len() >= 2 * rayon::current_num_threads() {
            view.series
                .par_iter()
                .map(|(id, meta)| {
                    let mems = mem_runs(view, *id, query.range)?;
                    let cols = match read_direct(view, *id, query.range, &mems, Want::Both)? {
                        Some(cols) => cols,
                        None => read_merged(view, *id, query.range, mems)?,
                    };
                    Ok(finish(meta, cols, query))
                })
                .collect::<Result<_>>()?
        } else {
            execute_by_block(view, query)?
        };
    Ok(results.into_iter().flatten().collect())
}

/// The points of series `id` in `range` in each memtable, oldest first.
pub(crate) fn mem_runs(view: &View, id: SeriesId, range: TimeRange) -> Result<Vec<Columns>> {
    let mut runs = Vec::new();
    for mem in &view.mems {
        match mem {
            MemSource::Table(table) => {
                if let Some(s) = table.series_by_id(id) {
                    let c = s.columns(range).map_err(EngineError::Memtable)?;
                    runs.push(Columns {
                        ts: c.timestamps,
                        vals: c.values,
                    });
                }
            }
            MemSource::Runs(map) => runs.extend(map.get(&id).map(|run| run.within(range))),
        }
    }
    runs.retain(|r| !r.is_empty());
    Ok(runs)
}

/// Which columns a read must fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Want {
    /// Timestamps and values.
    Both,
    /// Values only: the timestamps column is left empty, and blocks that
    /// lie wholly in the range decode no timestamp.
    Values,
}

/// Where a piece of a series' data lies.
enum Piece {
    /// File index and block.
    Block(usize, BlockRef),
    /// Index into the memtable runs.
    Mem(usize),
}

/// Decodes series `id` straight into one pair of columns when no two of its
/// blocks and memtable runs overlap in time (the usual case for data
/// written in time order); `None` when some do and a merge is needed.
pub(crate) fn read_direct(
    view: &View,
    id: SeriesId,
    range: TimeRange,
    mems: &[Columns],
    want: Want,
) -> Result<Option<Columns>> {
    let mut pieces: Vec<(i64, i64, u64, Piece)> = Vec::new();
    if (0..view.files.len()).any(|fi| !view.hidden(fi, id).is_empty()) {
        return Ok(None);
    }
    for (fi, f) in view.files.iter().enumerate() {
        for b in f.reader.blocks(id, range) {
            pieces.push((
                b.min_ts,
                b.max_ts,
                u64::from(b.point_count),
                Piece::Block(fi, b),
            ));
        }
    }
    for (mi, m) in mems.iter().enumerate() {
        if let (Some(&lo), Some(&hi)) = (m.ts.first(), m.ts.last()) {
            pieces.push((lo, hi, m.len() as u64, Piece::Mem(mi)));
        }
    }
    pieces.sort_unstable_by_key(|p| p.0);
    if !pieces.windows(2).all(|w| matches!(w, [a, b] if a.1 < b.0)) {
        return Ok(None);
    }
    let total = usize::try_from(pieces.iter().map(|p| p.2).sum::<u64>()).unwrap_or(0);
    let with_ts = want == Want::Both;
    let mut out = Columns {
        ts: Vec::with_capacity(if with_ts { total } else { 0 }),
        vals: Vec::with_capacity(total),
    };
    for (lo, hi, _, piece) in &pieces {
        match piece {
            Piece::Block(fi, block) => {
                let Some(file) = view.files.get(*fi) else {
                    continue;
                };
                let whole = range.contains(*lo) && range.contains(*hi);
                if whole && with_ts {
                    file.reader.read_block(block, &mut out.ts, &mut out.vals)?;
                } else if whole {
                    file.reader.read_block_values(block, &mut out.vals)?;
                } else {
                    // Cut by the range: the timestamps say which points stay.
                    let part = file.read_block(block, range)?;
                    if with_ts {
                        out.ts.extend_from_slice(&part.ts);
                    }
                    out.vals.extend_from_slice(&part.vals);
                }
            }
            Piece::Mem(mi) => {
                if let Some(m) = mems.get(*mi) {
                    if with_ts {
                        out.ts.extend_from_slice(&m.ts);
                    }
                    out.vals.extend_from_slice(&m.vals);
                }
            }
        }
    }
    Ok(Some(out))
}

/// Decodes series `id` source by source and merges with last-write-wins.
pub(crate) fn read_merged(
    view: &View,
    id: SeriesId,
    range: TimeRange,
    mems: Vec<Columns>,
) -> Result<Columns> {
    let mut sources = Vec::with_capacity(view.files.len() + mems.len());
    for (fi, f) in view.files.iter().enumerate() {
        let hidden = view.hidden(fi, id);
        let blocks = f.reader.blocks(id, range).map(|b| {
            let mut cols = f.read_block(&b, range)?;
            remove_hidden(&mut cols, &hidden);
            Ok(cols)
        });
        sources.push(blocks.collect::<Result<Vec<_>>>()?);
    }
    sources.extend(mems.into_iter().map(|m| vec![m]));
    Ok(merge_sources(sources))
}

/// Decodes every block of every series in parallel, then merges per series.
fn execute_by_block(view: &View, query: &Query) -> Result<Vec<Option<SeriesResult>>> {
    let range = query.range;
    let tasks: Vec<Task> = view
        .series
        .iter()
        .enumerate()
        .flat_map(|(si, (id, _))| {
            view.files
                .iter()
                .enumerate()
                .flat_map(move |(fi, f)| f.reader.blocks(*id, range).map(move |b| (si, fi, b)))
        })
        .collect();
    let decoded: Vec<Columns> = tasks
        .par_iter()
        .map(
            |(si, fi, block)| match (view.files.get(*fi), view.series.get(*si)) {
                (Some(file), Some((id, _))) => {
                    let mut cols = file.read_block(block, range)?;
                    remove_hidden(&mut cols, &view.hidden(*fi, *id));
                    Ok(cols)
                }
                _ => Ok(Columns::default()),
            },
        )
        .collect::<Result<_>>()?;
    let mut sources = group_by_source(view.series.len(), &tasks, decoded);
    sources
        .par_iter_mut()
        .zip(view.series.par_iter())
        .map(|(file_sources, (id, meta))| {
            let mut all = std::mem::take(file_sources);
            all.extend(mem_runs(view, *id, range)?.into_iter().map(|m| vec![m]));
            Ok(finish(meta, merge_sources(all), query))
        })
        .collect()
}

/// Splits decoded blocks into, per series, one source per file.
fn group_by_source(n: usize, tasks: &[Task], decoded: Vec<Columns>) -> Vec<Vec<Vec<Columns>>> {
    let mut out: Vec<Vec<Vec<Columns>>> = (0..n).map(|_| Vec::new()).collect();
    let mut previous: Option<(usize, usize)> = None;
    for ((si, fi, _), cols) in tasks.iter().zip(decoded) {
        let Some(series) = out.get_mut(*si) else {
            continue;
        };
        if previous != Some((*si, *fi)) || series.is_empty() {
            series.push(Vec::new());
            previous = Some((*si, *fi));
        }
        if let Some(source) = series.last_mut() {
            source.push(cols);
        }
    }
    out
}

/// Applies the aggregation; `None` for a series without points in range.
fn finish(meta: &Arc<SeriesMeta>, cols: Columns, query: &Query) -> Option<SeriesResult> {
    if cols.is_empty() {
        return None;
    }
    let (timestamps, values) = match &query.aggregation {
        Some(agg) => agg.apply(&cols.ts, &cols.vals),
        None => (cols.ts, cols.vals),
    };
    Some(SeriesResult {
        series: Arc::clone(meta),
        timestamps,
        values,
    })
}
