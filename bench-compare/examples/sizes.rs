//! Bytes per point of the Gorilla payloads per dataset (quick check).
use skulk_codec::{GorillaTimestamps, GorillaValues, TimestampCodec, ValueCodec};
fn main() {
    {
        use skulk_codec::DeltaPackTimestamps;
        let ts: Vec<i64> = (0..1000).map(|i| 1_700_000_000_000_000_000 + i * 60_000_000_000).collect();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        GorillaTimestamps.encode(&ts, &mut a).unwrap();
        DeltaPackTimestamps.encode(&ts, &mut b).unwrap();
        println!("regular 1000: gorilla {} deltapack {}", a.len(), b.len());
    }
    for d in skulk_testkit::datasets::load_all() {
        let (mut t, mut v) = (0, 0);
        for (ts, vs) in d.timestamps.chunks(1000).zip(d.values.chunks(1000)) {
            let mut b = Vec::new();
            GorillaTimestamps.encode(ts, &mut b).unwrap();
            t += b.len();
            b.clear();
            GorillaValues.encode(vs, &mut b).unwrap();
            v += b.len();
        }
        let n = d.len() as f64;
        println!("{:24} ts {:.3} values {:.3}", d.name, t as f64 / n, v as f64 / n);
    }
}
