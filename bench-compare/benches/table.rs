//! Prints the peer-comparison table as markdown:
//! `cargo bench -p skulk-bench-compare --bench table`.
//!
//! For every real dataset (and pooled over all of them: summed bytes over
//! summed points, summed median times), at block sizes 1000 and 8192. The
//! timed runs of all contenders are interleaved (see `measure_all`), and the
//! pooled decode ratios between contenders are printed after the table.

use skulk_bench_compare::{
    Measurement, contenders, decode_ratios, markdown_header, markdown_row, measure_all,
};
use skulk_testkit::datasets;

const BLOCK_SIZES: [usize; 2] = [1000, 8192];

fn main() {
    let all = datasets::load_all();
    if all.is_empty() {
        return;
    }
    let contenders = contenders();
    println!("{}", markdown_header());
    let mut ratios = Vec::new();
    for block in BLOCK_SIZES {
        let mut pooled = vec![
            Measurement {
                exact: true,
                ..Measurement::default()
            };
            contenders.len()
        ];
        for dataset in &all {
            let measured = measure_all(&contenders, &dataset.timestamps, &dataset.values, block);
            for ((contender, pool), m) in contenders.iter().zip(&mut pooled).zip(&measured) {
                pool.absorb(m);
                println!(
                    "{}",
                    markdown_row(&dataset.name, block, contender.name(), m)
                );
            }
        }
        for (contender, pool) in contenders.iter().zip(&pooled) {
            println!(
                "{}",
                markdown_row("**pooled**", block, contender.name(), pool)
            );
        }
        let named: Vec<(&str, &Measurement)> =
            contenders.iter().map(|c| c.name()).zip(&pooled).collect();
        ratios.extend(decode_ratios(block, &named));
    }
    println!();
    for line in ratios {
        println!("{line}");
    }
}
