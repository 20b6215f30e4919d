//! The kill -9 crash harness as a program.
//!
//! ```text
//! skulk-crash soak [CYCLES] [SEED]         run CYCLES kill/check cycles (default 200)
//! skulk-crash child DIR SEED FIRST_BATCH   the writer (spawned by soak and by tests)
//! ```
//!
//! `SKULK_CRASH_DIR` sets the data directory of a soak run (default: a
//! temporary one). Exits non-zero when an acknowledged point was lost or a
//! point that was never written appeared.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use skulk_testkit::crash::{CrashConfig, run_child, run_crash_cycles, soak_dir};

fn parse<T: std::str::FromStr>(arg: Option<&String>, default: T, what: &str) -> Result<T, String> {
    arg.map_or(Ok(default), |s| {
        s.parse().map_err(|_| format!("bad {what}: {s}"))
    })
}

fn soak(args: &[String]) -> Result<bool, String> {
    let config = CrashConfig {
        cycles: parse(args.first(), 200, "cycle count")?,
        seed: parse(args.get(1), 0x5eed, "seed")?,
        ..CrashConfig::default()
    };
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let (dir, _temp) = soak_dir().map_err(|e| e.to_string())?;
    let started = Instant::now();
    let report = run_crash_cycles(&exe, &dir, &config)?;
    let elapsed = started.elapsed();
    println!("skulk-crash soak in {}", dir.display());
    println!("cycles:                {}", report.cycles);
    println!("acknowledged batches:  {}", report.acked_batches);
    println!("acknowledged points:   {}", report.acked_points);
    println!("points lost:           {}", report.points_lost);
    println!("garbage points:        {}", report.garbage_points);
    println!("unstable reopens:      {}", report.unstable_reopens);
    println!("in-flight recovered:   {}", report.in_flight_recovered);
    println!(
        "expired by retention:  {} points, {} partitions dropped",
        report.expired_points, report.partitions_dropped
    );
    println!("slowest reopen:        {:?}", report.max_reopen);
    println!(
        "time:                  {elapsed:?} ({:?} per cycle)",
        elapsed / report.cycles.max(1) as u32
    );
    for problem in &report.problems {
        println!("PROBLEM {problem}");
    }
    Ok(report.is_clean())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("child") => {
            let (Some(dir), Ok(seed), Ok(first)) = (
                args.get(1),
                parse(args.get(2), 0u64, "seed"),
                parse(args.get(3), 0u64, "first batch"),
            ) else {
                eprintln!("usage: skulk-crash child DIR SEED FIRST_BATCH");
                return ExitCode::from(2);
            };
            run_child(Path::new(dir), seed, first, u64::MAX - 1)
                .map(|()| true)
                .map_err(|e| {
                    println!("ERR {e}");
                    e
                })
        }
        Some("soak") => soak(&args[1..]),
        _ => {
            eprintln!(
                "usage: skulk-crash soak [CYCLES] [SEED] | skulk-crash child DIR SEED FIRST_BATCH"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("skulk-crash: {e}");
            ExitCode::FAILURE
        }
    }
}
