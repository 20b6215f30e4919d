//! Bytes per point of every contender on every dataset (and the generated
//! series) at blocks of 1,000 and 8,192 points, with Skulk adaptive's ratio
//! to `pco`: the size columns of the table without its timed runs.
//! `cargo run --release -p skulk-bench-compare --example sizes`

use skulk_bench_compare::{Sizes, contenders, synthetic};
use skulk_testkit::datasets;

fn main() {
    let real = datasets::load_all();
    let contenders = contenders();
    let names: Vec<&str> = contenders.iter().map(|c| c.name()).collect();
    println!("dataset block | {} | adaptive/pco", names.join(" | "));
    for block in [1000, 8192] {
        let mut pooled = vec![(0usize, Sizes::default()); contenders.len()];
        let generated = synthetic::all();
        for (index, d) in real.iter().chain(&generated).enumerate() {
            let mut row = Vec::new();
            for (contender, pool) in contenders.iter().zip(&mut pooled) {
                let mut sizes = Sizes::default();
                for (ts, vs) in d.timestamps.chunks(block).zip(d.values.chunks(block)) {
                    sizes += contender.sizes(ts, vs);
                }
                if index < real.len() {
                    pool.0 += d.len();
                    pool.1 += sizes;
                }
                row.push((d.len(), sizes));
            }
            print_row(&d.name, block, &row);
        }
        print_row("**pooled**", block, &pooled);
    }
}

fn print_row(name: &str, block: usize, row: &[(usize, Sizes)]) {
    let per_point = |(n, s): &(usize, Sizes)| s.total as f64 / (*n).max(1) as f64;
    let cells: Vec<String> = row
        .iter()
        .map(|cell| {
            let ts = cell.1.timestamps as f64 / cell.0.max(1) as f64;
            format!("{:.3} ({ts:.3} ts)", per_point(cell))
        })
        .collect();
    let ratio = match (row.first(), row.last()) {
        (Some(skulk), Some(pco)) => per_point(skulk) / per_point(pco),
        _ => 0.0,
    };
    println!("{name} {block} | {} | {ratio:.3}", cells.join(" | "));
}
