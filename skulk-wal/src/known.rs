//! The series the live segments define, for collision checks: a series
//! whose every defining segment was truncated away is forgotten, so that a
//! long-running log holds the metadata of the series it can still replay,
//! not of every series it ever saw.

use std::sync::Arc;

use skulk_format::{SeriesId, SeriesIdMap, SeriesMeta};

use crate::{Lsn, Recovery, WalEntry, WalError};

/// A series and the first LSN of the newest segment defining it.
#[derive(Debug)]
struct Known {
    meta: Arc<SeriesMeta>,
    segment: Lsn,
}

/// The series of the live segments, by id.
#[derive(Debug, Default)]
pub(crate) struct KnownSeries {
    map: SeriesIdMap<Known>,
}

impl KnownSeries {
    /// The series `recovery`'s records define, each with the newest
    /// segment defining it. Fails on two definitions of one id.
    pub fn from_recovery(recovery: &Recovery) -> Result<Self, WalError> {
        let firsts: Vec<Lsn> = recovery.segments().iter().map(|s| s.first_lsn).collect();
        let mut known = Self::default();
        let mut segment = 0;
        for (lsn, entry) in recovery.records() {
            let WalEntry::SeriesDef { id, meta } = entry else {
                continue;
            };
            // Records and segments are both in LSN order.
            while firsts.get(segment + 1).is_some_and(|&next| next <= *lsn) {
                segment += 1;
            }
            let first = firsts.get(segment).copied().unwrap_or(0);
            match known.map.get_mut(id) {
                // Each segment defines its series again: only the first
                // definition is copied.
                Some(k) if *k.meta == *meta => k.segment = k.segment.max(first),
                _ => known.define(*id, &Arc::new(meta.clone()), first)?,
            }
        }
        Ok(known)
    }

    /// The metadata of series `id`, if a live segment defines it.
    pub fn get(&self, id: SeriesId) -> Option<&Arc<SeriesMeta>> {
        self.map.get(&id).map(|k| &k.meta)
    }

    /// Records that the segment starting at `segment` defines series `id`
    /// as `meta`. Fails, changing nothing, when the id is known as another
    /// series.
    pub fn define(
        &mut self,
        id: SeriesId,
        meta: &Arc<SeriesMeta>,
        segment: Lsn,
    ) -> Result<(), WalError> {
        match self.map.get_mut(&id) {
            Some(known) if !Arc::ptr_eq(&known.meta, meta) && *known.meta != **meta => {
                Err(WalError::SeriesCollision {
                    id,
                    existing: Box::new(SeriesMeta::clone(&known.meta)),
                    new: Box::new(SeriesMeta::clone(meta)),
                })
            }
            Some(known) => {
                known.segment = known.segment.max(segment);
                Ok(())
            }
            None => {
                let meta = Arc::clone(meta);
                self.map.insert(id, Known { meta, segment });
                Ok(())
            }
        }
    }

    /// Records that the segment starting at `segment` defines series `id`,
    /// already checked against the known series.
    pub fn note(&mut self, id: SeriesId, meta: &Arc<SeriesMeta>, segment: Lsn) {
        self.map
            .entry(id)
            .and_modify(|known| known.segment = known.segment.max(segment))
            .or_insert_with(|| Known {
                meta: Arc::clone(meta),
                segment,
            });
    }

    /// Forgets the series no segment from `oldest` on defines (the
    /// segments before it were truncated).
    pub fn forget_before(&mut self, oldest: Lsn) {
        self.map.retain(|_, known| known.segment >= oldest);
        // A log that forgot most of its series gives the table back.
        if self.map.capacity() > 4 * self.map.len().max(1024) {
            self.map.shrink_to_fit();
        }
    }

    /// Number of series known.
    pub fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(host: &str) -> Arc<SeriesMeta> {
        Arc::new(SeriesMeta::new("cpu", vec![("host".into(), host.into())]))
    }

    #[test]
    fn forgets_series_of_truncated_segments_only() {
        let mut known = KnownSeries::default();
        let (a, b, c) = (meta("a"), meta("b"), meta("c"));
        known.define(a.id(), &a, 1).unwrap();
        known.define(b.id(), &b, 1).unwrap();
        known.define(c.id(), &c, 10).unwrap();
        // `b` is defined again in the second segment.
        known
            .define(b.id(), &Arc::new(SeriesMeta::clone(&b)), 10)
            .unwrap();
        known.forget_before(10);
        assert_eq!(known.len(), 2);
        assert!(known.get(a.id()).is_none());
        assert!(known.get(b.id()).is_some() && known.get(c.id()).is_some());
        known.forget_before(20);
        assert_eq!(known.len(), 0);
    }

    #[test]
    fn a_known_id_with_other_labels_is_a_collision() {
        let mut known = KnownSeries::default();
        let a = meta("a");
        known.define(a.id(), &a, 1).unwrap();
        let err = known.define(a.id(), &meta("b"), 5).unwrap_err();
        assert!(matches!(err, WalError::SeriesCollision { id, .. } if id == a.id()));
        // Refused without a change: the segment is still the first.
        known.forget_before(2);
        assert_eq!(known.len(), 0);
    }
}
