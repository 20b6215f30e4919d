//! Prints the peer-comparison table as markdown:
//! `cargo bench -p skulk-bench-compare --bench table`.
//!
//! For every real dataset (and pooled over all of them: summed bytes over
//! summed points, summed median times), then for the generated series of
//! [`synthetic`] (not pooled), at block sizes 1000 and 8192. The timed runs
//! of all contenders are interleaved (see `measure_all`). After the table
//! come the pooled decode ratios between contenders, and a table of the
//! ratios the codec targets are stated in, per series.

use skulk_bench_compare::{
    Measurement, contenders, decode_ratios, markdown_header, markdown_row, measure_all, synthetic,
    targets_header, targets_row,
};
use skulk_testkit::datasets;

const BLOCK_SIZES: [usize; 2] = [1000, 8192];

fn main() {
    let all = datasets::load_all();
    if all.is_empty() {
        return;
    }
    let generated = synthetic::all();
    let contenders = contenders();
    let names: Vec<&str> = contenders.iter().map(|c| c.name()).collect();
    println!("{}", markdown_header());
    let mut ratios = Vec::new();
    let mut targets = Vec::new();
    for block in BLOCK_SIZES {
        let mut pooled = vec![
            Measurement {
                exact: true,
                ..Measurement::default()
            };
            contenders.len()
        ];
        let mut rows = Vec::new();
        for (index, dataset) in all.iter().chain(&generated).enumerate() {
            let measured = measure_all(&contenders, &dataset.timestamps, &dataset.values, block);
            for ((name, pool), m) in names.iter().zip(&mut pooled).zip(&measured) {
                if index < all.len() {
                    pool.absorb(m);
                }
                rows.push(markdown_row(&dataset.name, block, name, m));
            }
            let named: Vec<(&str, &Measurement)> = names.iter().copied().zip(&measured).collect();
            targets.push(targets_row(&dataset.name, block, &named));
            if index + 1 == all.len() {
                for (name, pool) in names.iter().zip(&pooled) {
                    rows.push(markdown_row("**pooled**", block, name, pool));
                }
                let named: Vec<(&str, &Measurement)> = names.iter().copied().zip(&pooled).collect();
                targets.push(targets_row("**pooled**", block, &named));
                ratios.extend(decode_ratios(block, &named));
            }
        }
        rows.iter().for_each(|row| println!("{row}"));
    }
    println!();
    for line in ratios {
        println!("{line}");
    }
    println!();
    println!("{}", targets_header());
    targets.iter().for_each(|row| println!("{row}"));
}
