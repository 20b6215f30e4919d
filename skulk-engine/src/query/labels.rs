//! The label rule every written series must keep: each label key once.
//!
//! `SeriesMeta::new` keeps the last of duplicate keys, but metadata can be
//! built other ways (deserialized, for one); a series with a key twice
//! would have an id no reader can rebuild, so `Engine::write_batch`
//! refuses it.

use std::sync::Arc;

use skulk_format::{DataPoint, SeriesMeta};

use crate::{EngineError, Result};

/// The first label key `series` holds twice.
fn duplicate_key(series: &SeriesMeta) -> Option<&str> {
    let labels = series.labels();
    if labels.windows(2).all(|w| matches!(w, [a, b] if a.0 < b.0)) {
        return None;
    }
    labels.iter().enumerate().find_map(|(i, (key, _))| {
        labels
            .get(..i)
            .unwrap_or_default()
            .iter()
            .any(|(k, _)| k == key)
            .then_some(key.as_str())
    })
}

/// Refuses a batch holding a series with a duplicate label key (checking
/// each run of points of one series once).
pub(crate) fn check_labels(points: &[DataPoint]) -> Result<()> {
    let mut previous: Option<&Arc<SeriesMeta>> = None;
    for point in points {
        if previous.is_some_and(|p| Arc::ptr_eq(p, &point.series)) {
            continue;
        }
        if let Some(key) = duplicate_key(&point.series) {
            return Err(EngineError::DuplicateLabel {
                series: point.series.to_string(),
                label: key.to_string(),
            });
        }
        previous = Some(&point.series);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_twice_is_refused_and_sorted_unique_keys_pass() {
        let twice: SeriesMeta =
            toml::from_str("metric = \"cpu\"\nlabels = [[\"host\", \"a\"], [\"host\", \"b\"]]")
                .unwrap();
        assert_eq!(duplicate_key(&twice), Some("host"));
        let unsorted: SeriesMeta =
            toml::from_str("metric = \"cpu\"\nlabels = [[\"z\", \"a\"], [\"b\", \"b\"]]").unwrap();
        assert_eq!(duplicate_key(&unsorted), None);
        let fine = SeriesMeta::new(
            "cpu",
            vec![("a".into(), "1".into()), ("b".into(), "2".into())],
        );
        assert!(check_labels(&[DataPoint::for_series(Arc::new(fine), 1, 1.0)]).is_ok());
        let err = check_labels(&[DataPoint::for_series(Arc::new(twice), 1, 1.0)]).unwrap_err();
        assert!(matches!(err, EngineError::DuplicateLabel { ref label, .. } if label == "host"));
    }
}
