//! A few kill -9 cycles of the crash harness (the soak mode runs hundreds:
//! `cargo run --release -p skulk-testkit --features engine --bin skulk-crash -- soak 500`).

use std::path::Path;

use skulk_testkit::crash::{CrashConfig, run_crash_cycles};

#[test]
fn kill_9_loses_no_acknowledged_point_and_invents_none() {
    let exe = Path::new(env!("CARGO_BIN_EXE_skulk-crash"));
    let dir = tempfile::tempdir().unwrap();
    let config = CrashConfig {
        cycles: 8,
        ..CrashConfig::default()
    };
    let report = run_crash_cycles(exe, &dir.path().join("db"), &config).unwrap();
    println!("{report:#?}");
    assert!(report.is_clean(), "{report:#?}");
    assert_eq!(report.cycles, 8);
    assert!(
        report.acked_batches > 0,
        "the child never acknowledged a batch"
    );
}
