//! WAL replay at open: every record above the safe LSN applied to the
//! memtables in log order, series resolved from the log's definitions.

use std::path::PathBuf;
use std::sync::Arc;

use skulk_format::{DataPoint, SeriesId, SeriesIdMap, SeriesMeta};
use skulk_wal::{Lsn, Recovery, WalEntry, WalError};

use crate::levels::Span;
use crate::state::State;
use crate::stats::RecoveryStats;
use crate::{EngineError, Result};

/// Applies every WAL record above `safe_lsn`, in LSN order; returns the
/// files that drop-partition records removed.
pub(crate) fn replay(
    recovery: &Recovery,
    safe_lsn: Lsn,
    state: &mut State,
    stats: &mut RecoveryStats,
) -> Result<Vec<PathBuf>> {
    let mut series: SeriesIdMap<Resolved> = SeriesIdMap::default();
    let mut dropped_files = Vec::new();
    let mut dropped = false;
    for (lsn, entry) in recovery.records() {
        if let WalEntry::SeriesDef { id, meta } = entry {
            let known = series
                .entry(*id)
                .or_insert_with(|| Resolved::new(Arc::new(meta.clone())));
            if *known.meta != *meta {
                return Err(EngineError::Wal(WalError::SeriesCollision {
                    id: *id,
                    existing: Box::new(SeriesMeta::clone(&known.meta)),
                    new: Box::new(meta.clone()),
                }));
            }
        }
        if *lsn <= safe_lsn {
            continue;
        }
        stats.wal_records_replayed += 1;
        match entry {
            WalEntry::Points(points) => {
                let mut resolver = SeriesResolver::new(&series, state, *lsn);
                let resolved = points
                    .iter()
                    .map(|p| resolver.point(p.series_id, p.timestamp, p.value))
                    .collect::<Result<Vec<_>, WalError>>()?;
                state.insert(&resolved, *lsn)?;
                stats.wal_points_replayed += resolved.len() as u64;
            }
            WalEntry::DropPartition(part) => {
                let span = Span {
                    start: part.start(),
                    end: part.end_ts(),
                };
                let files: Vec<PathBuf> = state
                    .files
                    .iter()
                    .filter(|f| span.contains(&f.span))
                    .map(|f| f.path.clone())
                    .collect();
                let points = state.drop_partition(*part);
                if points > 0 || !files.is_empty() {
                    stats.partitions_dropped += 1;
                    dropped = true;
                }
                state.remove_files(&files);
                dropped_files.extend(files);
            }
            _ => {}
        }
    }
    if dropped {
        state.rebuild_catalog();
    }
    Ok(dropped_files)
}

/// A series as replay hands it to the memtables: its definition and the
/// id hashed from it, computed once per series rather than per point.
#[derive(Clone)]
struct Resolved {
    meta: Arc<SeriesMeta>,
    id: SeriesId,
}

impl Resolved {
    fn new(meta: Arc<SeriesMeta>) -> Self {
        let id = meta.id();
        Self { meta, id }
    }
}

/// Resolves the series ids of one WAL record to their definitions: from
/// the log's `SeriesDef` records or, for a definition in skipped (covered)
/// damage, from the files' catalog (kept for the rest of the record).
struct SeriesResolver<'a> {
    defined: &'a SeriesIdMap<Resolved>,
    state: &'a State,
    lsn: Lsn,
    last: Option<(SeriesId, Resolved)>,
}

impl<'a> SeriesResolver<'a> {
    fn new(defined: &'a SeriesIdMap<Resolved>, state: &'a State, lsn: Lsn) -> Self {
        Self {
            defined,
            state,
            lsn,
            last: None,
        }
    }

    /// The point of series `logged` at `timestamp`, or the error naming
    /// the record when no definition is known.
    fn point(
        &mut self,
        logged: SeriesId,
        timestamp: i64,
        value: f64,
    ) -> Result<DataPoint, WalError> {
        let series = match (&self.last, self.defined.get(&logged)) {
            (Some((id, last)), _) if *id == logged => last,
            (_, Some(defined)) => defined,
            _ => {
                let index = &self.state.index;
                let found = index
                    .get(logged)
                    .map(|r| Resolved::new(Arc::new(index.meta(r))));
                let found = found.ok_or(WalError::UnknownSeries {
                    lsn: self.lsn,
                    series: logged,
                })?;
                &self.last.insert((logged, found)).1
            }
        };
        Ok(DataPoint {
            series: Arc::clone(&series.meta),
            series_id: series.id,
            timestamp,
            value,
        })
    }
}
