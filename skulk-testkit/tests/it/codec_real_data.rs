//! Real datasets (skipped with a message when `../shared/datasets` is
//! absent) round-trip through Gorilla blocks of 1000 points.

use skulk_codec::{CodecChoice, CompressedBlock};
use skulk_testkit::datasets;

#[test]
fn real_datasets_round_trip_bit_exactly() {
    for dataset in datasets::load_all() {
        let mut bytes = 0;
        for (ts, vs) in dataset
            .timestamps
            .chunks(1000)
            .zip(dataset.values.chunks(1000))
        {
            let block = CompressedBlock::encode_with(ts, vs, CodecChoice::GORILLA).unwrap();
            bytes += block.as_bytes().len();
            let (dts, dvs) = CompressedBlock::from_bytes(block.as_bytes())
                .unwrap()
                .decode()
                .unwrap();
            assert_eq!(dts, ts, "{}", dataset.name);
            let same = dvs.iter().zip(vs).all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{}: values differ", dataset.name);
        }
        assert!(
            bytes < dataset.len() * 16,
            "{}: Gorilla larger than raw",
            dataset.name
        );
    }
}
