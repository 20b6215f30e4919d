//! Property: any set of series round-trips bit-exactly.

use std::collections::BTreeMap;

use proptest::prelude::*;
use skulk_codec::CodecChoice;

use crate::common::{Series, expected, meta, options, read_all, write};

fn series_strategy() -> impl Strategy<Value = Vec<Series>> {
    let points = prop::collection::btree_map(any::<i64>(), any::<u64>(), 0..200);
    prop::collection::vec(points, 0..5).prop_map(|all: Vec<BTreeMap<i64, u64>>| {
        all.into_iter()
            .enumerate()
            .map(|(i, points)| {
                let ts = points.keys().copied().collect();
                let vs = points.values().map(|&bits| f64::from_bits(bits)).collect();
                (meta("prop", &[("i", &i.to_string())]), ts, vs)
            })
            .collect()
    })
}

fn codec_strategy() -> impl Strategy<Value = CodecChoice> {
    prop_oneof![
        Just(CodecChoice::RAW),
        Just(CodecChoice::GORILLA),
        Just(CodecChoice::Adaptive)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_series_round_trip(series in series_strategy(), block in 1usize..40, codec in codec_strategy()) {
        let dir = tempfile::tempdir().unwrap();
        let bytes = write(dir.path(), "p.tsm", &series, options(block, codec));
        prop_assert_eq!(read_all(&bytes).unwrap(), expected(&series));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_changed_byte_of_any_file_is_an_error(
        series in series_strategy(),
        codec in codec_strategy(),
        position in any::<prop::sample::Index>(),
        mask in 1u8..=255,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = write(dir.path(), "c.tsm", &series, options(16, codec));
        let i = position.index(bytes.len());
        bytes[i] ^= mask;
        prop_assert!(read_all(&bytes).is_err(), "byte {} ^ {:#x} went unnoticed", i, mask);
    }
}
