//! Shared helpers.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use skulk_format::{DataPoint, SeriesId, SeriesMeta, TimePartition, TimeRange, TsmReader};
use skulk_memtable::MemTableSnapshot;

/// `n` distinct series `m{s="i"}`.
pub fn series(n: usize) -> Vec<Arc<SeriesMeta>> {
    (0..n)
        .map(|i| Arc::new(SeriesMeta::new("m", vec![("s".into(), i.to_string())])))
        .collect()
}

/// The partition `[0, 1 h)`.
pub fn hour() -> TimePartition {
    TimePartition::new(0, Duration::from_secs(3600)).unwrap()
}

/// Reference model: series id -> timestamp -> value bits (last write wins).
pub type Model = BTreeMap<SeriesId, BTreeMap<i64, u64>>;

pub fn model_insert(model: &mut Model, p: &DataPoint) {
    model
        .entry(p.series_id)
        .or_default()
        .insert(p.timestamp, p.value.to_bits());
}

/// The model's points in `range`, per series.
pub fn model_range(model: &Model, range: TimeRange) -> Vec<(SeriesId, Vec<(i64, u64)>)> {
    model
        .iter()
        .map(|(id, points)| {
            let pts = points
                .iter()
                .filter(|(t, _)| range.contains(**t))
                .map(|(t, v)| (*t, *v));
            (*id, pts.collect())
        })
        .collect()
}

/// The model's points in `range` in (timestamp, series id) order.
pub fn model_merged(model: &Model, range: TimeRange) -> Vec<(SeriesId, i64, u64)> {
    let mut all: Vec<(SeriesId, i64, u64)> = model_range(model, range)
        .into_iter()
        .flat_map(|(id, pts)| pts.into_iter().map(move |(t, v)| (id, t, v)))
        .collect();
    all.sort_by_key(|&(id, t, _)| (t, id));
    all
}

/// Checks every read path of `snapshot` against `model` over `range`.
pub fn check_snapshot(snapshot: &MemTableSnapshot, model: &Model, range: TimeRange) {
    let expected = model_range(model, range);
    let total: usize = model.values().map(BTreeMap::len).sum();
    assert_eq!(snapshot.point_count(), total as u64);
    assert_eq!(snapshot.series().len(), model.len());
    for (id, points) in &expected {
        let series = snapshot.series_by_id(*id).expect("series present");
        assert_eq!(series.point_count(), model[id].len());
        let scanned: Vec<(i64, u64)> = series
            .scan(range)
            .map(|r| r.map(|(t, v)| (t, v.to_bits())))
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(&scanned, points, "scan of series {id}");
        let columns = series.columns(range).unwrap();
        let cols: Vec<(i64, u64)> = columns
            .timestamps
            .iter()
            .zip(&columns.values)
            .map(|(t, v)| (*t, v.to_bits()))
            .collect();
        assert_eq!(&cols, points, "columns of series {id}");
    }
    let merged: Vec<(SeriesId, i64, u64)> = snapshot
        .scan(range)
        .map(|r| r.map(|(id, t, v)| (id, t, v.to_bits())))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(merged, model_merged(model, range));
    let by_series: Vec<(SeriesId, i64, u64)> = snapshot
        .scan_by_series(range)
        .map(|r| r.map(|p| (p.series_id, p.timestamp, p.value.to_bits())))
        .collect::<Result<_, _>>()
        .unwrap();
    let flat: Vec<(SeriesId, i64, u64)> = expected
        .into_iter()
        .flat_map(|(id, pts)| pts.into_iter().map(move |(t, v)| (id, t, v)))
        .collect();
    assert_eq!(by_series, flat);
}

/// Reads a TSM file back and checks it holds exactly `model`.
pub fn check_file(path: &std::path::Path, model: &Model) {
    let bytes = std::fs::read(path).unwrap();
    let reader = TsmReader::open_named(bytes, path).unwrap();
    reader.verify().unwrap();
    let ids: Vec<SeriesId> = reader.series_ids().collect();
    let non_empty: Vec<SeriesId> = model.keys().copied().collect();
    assert_eq!(ids, non_empty);
    for (id, points) in model {
        let (ts, vs) = reader.read_series(*id, TimeRange::ALL).unwrap();
        let got: Vec<(i64, u64)> = ts.into_iter().zip(vs.iter().map(|v| v.to_bits())).collect();
        let want: Vec<(i64, u64)> = points.iter().map(|(t, v)| (*t, *v)).collect();
        assert_eq!(got, want, "series {id} in {}", path.display());
    }
}
