//! A streaming read of raw points: one snapshot, then the selected series
//! in order, a bounded number of points at a time, each chunk decoded in
//! parallel when it holds enough points to pay for waking the threads.

use std::sync::Arc;

use rayon::prelude::*;
use skulk_format::{SeriesId, SeriesMeta, TimeRange};

use crate::engine::Inner;
use crate::locks::shared;
use crate::query::{CompiledSelector, SeriesResult, SeriesSelector};
use crate::read::{View, Want, mem_runs, read_direct, read_merged, snapshot};
use crate::{EngineError, Result};

/// Points a chunk holds by default (about 16 MiB of decoded columns).
pub const DEFAULT_CHUNK_POINTS: usize = 1 << 20;

/// Chunks of fewer points are decoded on the calling thread: a few blocks
/// decode in less time than it takes to wake the pool's threads, which
/// dominated scans of one day of sparse series (a Parquet export's).
const PARALLEL_MIN_POINTS: usize = 16 * 1024;

/// A streaming read of the raw points of the series a selector picks, in
/// one time range, from one consistent snapshot of the engine.
///
/// Each call to [`PointScan::next_chunk`] (or each item of the iterator)
/// decodes the next run of series (in parallel, unless it holds so few
/// points that one thread is quicker) and returns them in the
/// order of their metadata, as [`crate::Engine::query`] does; a series
/// with more points than a chunk holds is split by time at block
/// boundaries and returned in several consecutive pieces, each sorted by
/// timestamp. Memory is bounded by the chunk size (plus one block), not by
/// the data read.
///
/// The scan keeps the files and memtables of its snapshot alive until it
/// is dropped: writes, flushes and compactions go on beside it without
/// changing what it returns.
///
/// ```
/// use skulk_engine::{DataPoint, Engine, EngineConfig, SeriesSelector, TimeRange};
///
/// let dir = tempfile::tempdir()?;
/// let engine = Engine::open(dir.path(), EngineConfig::default())?;
/// for t in 0..10 {
///     engine.write(&DataPoint::new("cpu", vec![("host".into(), "a".into())], t, t as f64))?;
/// }
/// let scan = engine.scan(&SeriesSelector::metric("cpu"), TimeRange::ALL)?;
/// let mut points = 0;
/// for chunk in scan.with_chunk_points(4) {
///     points += chunk?.iter().map(|s| s.timestamps.len()).sum::<usize>();
/// }
/// assert_eq!(points, 10);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct PointScan {
    inner: Arc<Inner>,
    /// Shared by the parts of a split scan.
    view: Arc<View>,
    /// The series this scan reads: indices into `view.series`, ascending.
    picks: Vec<usize>,
    range: TimeRange,
    chunk_points: usize,
    /// The next series to read (an index into `picks`).
    next_series: usize,
    /// Where the next series' next piece starts, when it was split.
    resume_at: Option<i64>,
    /// The columns each result carries.
    want: Want,
}

/// One piece of work: a series' points in part of the range.
struct Unit {
    series: usize,
    range: TimeRange,
}

impl PointScan {
    pub(crate) fn new(
        inner: Arc<Inner>,
        selector: &SeriesSelector,
        range: TimeRange,
    ) -> Result<PointScan> {
        let selector = CompiledSelector::new(selector)?;
        let mut view = snapshot(&shared(&inner.state), &selector, range)?;
        if range.is_empty() {
            view.series.clear();
        }
        let picks = (0..view.series.len()).collect();
        Ok(PointScan {
            inner,
            view: Arc::new(view),
            picks,
            range,
            chunk_points: DEFAULT_CHUNK_POINTS,
            next_series: 0,
            resume_at: None,
            want: Want::Both,
        })
    }

    /// Returns values only: every result's `timestamps` is empty, and
    /// blocks that lie wholly in the range are decoded without their
    /// timestamps (about half the work), for readers that only count or
    /// aggregate values. Series, order and values are those of a full scan.
    pub fn values_only(mut self) -> Self {
        self.want = Want::Values;
        self
    }

    /// Sets how many points a chunk holds at most (a series is split
    /// between blocks, so a chunk may exceed it by one block); at least 1.
    pub fn with_chunk_points(mut self, points: usize) -> Self {
        self.chunk_points = points.max(1);
        self
    }

    /// The series the scan reads, in the order it returns them.
    pub fn series(&self) -> impl Iterator<Item = &Arc<SeriesMeta>> {
        self.picks
            .iter()
            .filter_map(|&i| self.view.series.get(i).map(|(_, meta)| meta))
    }

    /// Splits the series left to read into at most `parts` scans of the
    /// same snapshot (series dealt round-robin, so each part reads about as
    /// many), for readers that consume them in parallel; together they
    /// return exactly what this scan would have. At least one part is
    /// returned, and no part without series unless this scan has none.
    pub fn split(self, parts: usize) -> Vec<PointScan> {
        let left = self.picks.get(self.next_series..).unwrap_or_default();
        let parts = parts.clamp(1, left.len().max(1));
        let mut split: Vec<PointScan> = (0..parts)
            .map(|_| PointScan {
                inner: Arc::clone(&self.inner),
                view: Arc::clone(&self.view),
                picks: Vec::new(),
                range: self.range,
                chunk_points: self.chunk_points,
                next_series: 0,
                resume_at: None,
                want: self.want,
            })
            .collect();
        for (n, &pick) in left.iter().enumerate() {
            if let Some(part) = split.get_mut(n % parts) {
                part.picks.push(pick);
            }
        }
        // A series already partly read goes on where it stopped.
        if let Some(first) = split.first_mut() {
            first.resume_at = self.resume_at;
        }
        split
    }

    /// The next chunk of series' points, `None` once every series has been
    /// returned; series without points in the range are left out.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<SeriesResult>>> {
        loop {
            let (units, planned) = self.plan_chunk();
            if units.is_empty() {
                return Ok(None);
            }
            let results = if units.len() == 1 || planned < PARALLEL_MIN_POINTS {
                units
                    .iter()
                    .map(|unit| self.read_unit(unit))
                    .collect::<Result<Vec<_>>>()?
            } else {
                let read = || {
                    units
                        .par_iter()
                        .map(|unit| self.read_unit(unit))
                        .collect::<Result<Vec<_>>>()
                };
                match &self.inner.pool {
                    Some(pool) => pool.install(read)?,
                    None => read()?,
                }
            };
            let results: Vec<SeriesResult> = results.into_iter().flatten().collect();
            if !results.is_empty() {
                return Ok(Some(results));
            }
        }
    }

    /// The units of the next chunk: whole series while they fit, pieces of
    /// a series (cut at a block's first timestamp) when it does not; and
    /// about how many points they hold.
    fn plan_chunk(&mut self) -> (Vec<Unit>, usize) {
        // Pieces of a split series are a quarter of a chunk so that a chunk
        // of one large series still decodes on several threads.
        let piece_points = (self.chunk_points / 4).max(1);
        let mut units = Vec::new();
        let mut planned = 0usize;
        while planned < self.chunk_points && self.next_series < self.picks.len() {
            let Some(&si) = self.picks.get(self.next_series) else {
                break;
            };
            let start = self.resume_at.unwrap_or(self.range.start());
            let Some(id) = self.view.series.get(si).map(|(id, _)| *id) else {
                break;
            };
            let remaining = TimeRange::new(start, self.range.end()).unwrap_or(self.range);
            let blocks = self.block_starts(id, remaining);
            let total: u64 = blocks.iter().map(|b| b.1).sum();
            let budget = self.chunk_points - planned;
            if total <= budget as u64 || blocks.len() <= 1 {
                units.push(Unit {
                    series: si,
                    range: remaining,
                });
                planned += usize::try_from(total).unwrap_or(usize::MAX).max(1);
                self.next_series += 1;
                self.resume_at = None;
                continue;
            }
            // Cut the series into pieces until the chunk is full.
            let mut piece_start = start;
            let mut acc = 0u64;
            let mut cut_done = false;
            for pair in blocks.windows(2) {
                let [(_, count), (next_min, _)] = pair else {
                    continue;
                };
                acc += count;
                if acc >= piece_points as u64 && *next_min > piece_start {
                    units.push(Unit {
                        series: si,
                        range: TimeRange::new(piece_start, *next_min).unwrap_or(remaining),
                    });
                    planned += usize::try_from(acc).unwrap_or(usize::MAX);
                    piece_start = *next_min;
                    acc = 0;
                    if planned >= self.chunk_points {
                        cut_done = true;
                        break;
                    }
                }
            }
            if cut_done {
                self.resume_at = Some(piece_start);
            } else {
                units.push(Unit {
                    series: si,
                    range: TimeRange::new(piece_start, self.range.end()).unwrap_or(remaining),
                });
                planned += usize::try_from(acc).unwrap_or(usize::MAX).max(1);
                self.next_series += 1;
                self.resume_at = None;
            }
        }
        (units, planned)
    }

    /// `(first timestamp, points)` of every block of series `id` in
    /// `range`, by first timestamp (blocks of every file together).
    fn block_starts(&self, id: SeriesId, range: TimeRange) -> Vec<(i64, u64)> {
        let mut blocks: Vec<(i64, u64)> = self
            .view
            .files
            .iter()
            .flat_map(|f| f.reader.blocks(id, range))
            .map(|b| (b.min_ts.max(range.start()), u64::from(b.point_count)))
            .collect();
        blocks.sort_unstable_by_key(|b| b.0);
        blocks
    }

    fn read_unit(&self, unit: &Unit) -> Result<Option<SeriesResult>> {
        let Some((id, meta)) = self.view.series.get(unit.series) else {
            return Err(EngineError::InvalidArgument(
                "scan planned a series it does not hold".into(),
            ));
        };
        let mems = mem_runs(&self.view, *id, unit.range)?;
        let mut cols = match read_direct(&self.view, *id, unit.range, &mems, self.want)? {
            Some(cols) => cols,
            None => read_merged(&self.view, *id, unit.range, mems)?,
        };
        if self.want == Want::Values {
            // Merged reads need the timestamps; the result does not.
            cols.ts = Vec::new();
        }
        if cols.vals.is_empty() {
            return Ok(None);
        }
        Ok(Some(SeriesResult {
            series: Arc::clone(meta),
            timestamps: cols.ts,
            values: cols.vals,
        }))
    }
}

impl Iterator for PointScan {
    type Item = Result<Vec<SeriesResult>>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_chunk().transpose()
    }
}

impl std::fmt::Debug for PointScan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PointScan")
            .field("series", &self.picks.len())
            .field("next_series", &self.next_series)
            .field("range", &self.range)
            .field("chunk_points", &self.chunk_points)
            .finish()
    }
}
