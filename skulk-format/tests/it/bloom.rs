//! The bloom filter's measured false-positive rate follows the configured one.

use skulk_format::{SeriesId, SeriesMeta, TsmReader, TsmWriterOptions};

use crate::common::write;

/// A deterministic stream of well-spread ids.
fn splitmix(seed: &mut u64) -> u64 {
    *seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *seed;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[test]
fn measured_false_positive_rate_is_near_the_configured_rate() {
    let dir = tempfile::tempdir().unwrap();
    let series: Vec<_> = (0..2_000)
        .map(|i| {
            (
                SeriesMeta::new("bloom", vec![("i".into(), i.to_string())]),
                vec![],
                vec![],
            )
        })
        .collect();
    for rate in [0.1, 0.01, 0.001] {
        let options = TsmWriterOptions {
            bloom_false_positive_rate: rate,
            ..Default::default()
        };
        let bytes = write(dir.path(), "b.tsm", &series, options);
        let reader = TsmReader::open(bytes.as_slice()).unwrap();
        for (meta, _, _) in &series {
            assert!(reader.may_contain_series(meta.id()), "no false negatives");
        }
        let mut seed = 7;
        let probes = 200_000;
        let mut false_positives = 0;
        for _ in 0..probes {
            let id = SeriesId(splitmix(&mut seed));
            if reader.contains_series(id) {
                panic!("random id {id} found in the index");
            }
            false_positives += usize::from(reader.may_contain_series(id));
        }
        let measured = false_positives as f64 / probes as f64;
        let (bits, hashes) = reader.bloom_shape();
        println!("rate {rate}: measured {measured:.5}, {bits} bits, {hashes} hashes");
        assert!(
            measured > rate * 0.4 && measured < rate * 1.6,
            "rate {rate}: measured {measured}"
        );
    }
}
