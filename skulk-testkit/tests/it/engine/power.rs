//! Whole-engine power loss at every sync point of a scripted run that
//! writes, flushes, compacts, applies retention and restarts; each cut is
//! reopened twice (`skulk_testkit::power_cut`).

use skulk_engine::SyncMode;
use skulk_testkit::power_cut::{power_cut_config, power_cut_script, run_power_cuts};
use skulk_testkit::sim_fs::PowerLoss;

const LOSSES: [PowerLoss; 3] = [
    PowerLoss::DropUnsynced,
    PowerLoss::Torn {
        seed: 11,
        sector: 512,
    },
    PowerLoss::Torn {
        seed: 12,
        sector: 4096,
    },
];

#[test]
fn under_fsync_no_cut_loses_or_invents_a_point() {
    for seed in [1, 2] {
        let config = power_cut_config(SyncMode::Fsync);
        let report = run_power_cuts(&config, &power_cut_script(seed), &LOSSES);
        assert!(report.syncs >= 40, "{report:?}");
        assert!(report.is_clean(), "seed {seed}: {report:#?}");
    }
}

#[test]
fn under_fdatasync_no_cut_loses_or_invents_a_point() {
    let config = power_cut_config(SyncMode::Fdatasync);
    let report = run_power_cuts(&config, &power_cut_script(3), &LOSSES);
    assert!(report.is_clean(), "{report:#?}");
}

/// The negative control: without syncs, acknowledged writes do get lost,
/// so the harness can see loss. Nothing is invented even then.
#[test]
fn without_syncs_the_same_cuts_lose_acknowledged_points() {
    let config = power_cut_config(SyncMode::None);
    let report = run_power_cuts(&config, &power_cut_script(1), &LOSSES);
    assert!(report.cuts_with_loss > 0, "{report:#?}");
    assert!(report.lost > 0);
    assert_eq!(report.invented, 0, "{report:#?}");
    assert!(report.open_errors.is_empty(), "{report:#?}");
}
