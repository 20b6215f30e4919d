//! Simulated power loss at random moments: under `None` what recovers is a
//! prefix of what was written; under `Fsync`/`Fdatasync` nothing
//! acknowledged is lost. Recovery never fails, nothing is invented.

use std::thread;

use skulk_format::DataPoint;
use skulk_wal::{Lsn, SyncMode, Wal, WalEntry};

use super::common::{self, Rng, assert_prefix, entry_bit_eq};
use super::sim::SimDir;

/// Rounds per sync mode; soak with `SKULK_WAL_POWER_LOSS_ROUNDS=5000`.
fn rounds() -> u64 {
    std::env::var("SKULK_WAL_POWER_LOSS_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60)
}

/// Three threads append small batches until the machine dies or they are
/// done; returns every acknowledged (LSN, points).
fn write_until_death(wal: &Wal, seed: u64) -> Vec<(Lsn, Vec<DataPoint>)> {
    thread::scope(|s| {
        let handles: Vec<_> = (0..3)
            .map(|t| {
                s.spawn(move || {
                    let mut rng = Rng::new(seed * 31 + t);
                    let mut acked = Vec::new();
                    for i in 0..25 {
                        let n = 1 + rng.below(4) as usize;
                        let points = common::sample_points(&mut rng, n, 6);
                        let Ok(lsn) = wal.append_points(&points) else {
                            break;
                        };
                        acked.push((lsn, points));
                        if t == 0 && i % 6 == 5 && !checkpoint_and_truncate(wal, lsn) {
                            break;
                        }
                    }
                    acked
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

/// What the engine does after a flush: checkpoint, then drop old segments.
fn checkpoint_and_truncate(wal: &Wal, lsn: Lsn) -> bool {
    let safe_lsn = lsn.saturating_sub(15);
    wal.append(&WalEntry::Checkpoint { safe_lsn }).is_ok() && wal.truncate_through(safe_lsn).is_ok()
}

/// Every recovered record the written image still has is that record;
/// nothing is recovered past what was written. (A crash may resurrect a
/// segment whose removal was not yet durable: older records are fine.)
fn assert_consistent(got: &[(Lsn, WalEntry)], written: &[(Lsn, WalEntry)]) {
    let first = written.first().map_or(Lsn::MAX, |(lsn, _)| *lsn);
    let last = written.last().map_or(0, |(lsn, _)| *lsn);
    for (lsn, entry) in got.iter().filter(|(lsn, _)| *lsn >= first) {
        assert!(*lsn <= last, "record {lsn} recovered, never written");
        let (_, want) = &written[(*lsn - first) as usize];
        assert!(
            entry_bit_eq(entry, want),
            "record {lsn}: {entry:?} != {want:?}"
        );
    }
}

fn power_loss_rounds(mode: SyncMode) {
    let mut rng = Rng::new(mode as u64 + 100);
    for round in 0..rounds() {
        let sim = SimDir::new();
        let config = common::small_segments(mode, 512 + rng.below(2048));
        let (wal, _) = Wal::open_in(sim.storage(), "", config.clone()).unwrap();
        if rng.chance(70) {
            sim.die_after(rng.below(150));
        }
        let acked = write_until_death(&wal, round);
        let written = Wal::recover_in(sim.written_view().storage(), "")
            .unwrap()
            .into_records();
        let crashed = sim.crash(&mut rng);
        let (wal2, recovery) = Wal::open_in(crashed.storage(), "", config.clone())
            .unwrap_or_else(|e| panic!("{mode:?} round {round}: recovery failed: {e}"));
        assert_consistent(recovery.records(), &written);
        let resolved = recovery.data_points().unwrap();
        let last = recovery.last_lsn().unwrap_or(0);
        for (lsn, points) in &acked {
            if mode == SyncMode::None && *lsn > last {
                continue;
            }
            if recovery
                .records()
                .first()
                .is_none_or(|(first, _)| lsn < first)
            {
                let checkpoint = recovery.last_checkpoint().unwrap_or(0);
                assert!(
                    *lsn <= checkpoint,
                    "{mode:?} round {round}: {lsn} truncated unsafely"
                );
                continue;
            }
            let (_, got) = resolved
                .iter()
                .find(|(l, _)| l == lsn)
                .unwrap_or_else(|| panic!("{mode:?} round {round}: acknowledged {lsn} lost"));
            assert!(got.len() == points.len() && got.iter().zip(points).all(|(a, b)| a.bit_eq(b)));
        }
        // The reopened log keeps working and a second reopen sees the same.
        let extra = wal2
            .append(&WalEntry::Checkpoint { safe_lsn: last })
            .unwrap();
        drop(wal2);
        let (_, again) = Wal::open_in(crashed.storage(), "", config).unwrap();
        assert_eq!(again.torn_bytes(), 0);
        assert_prefix(recovery.records(), again.records());
        assert!(entry_bit_eq(
            &again.records().last().unwrap().1,
            &WalEntry::Checkpoint { safe_lsn: last }
        ));
        assert_eq!(again.last_lsn(), Some(extra));
    }
}

#[test]
fn power_loss_under_none_recovers_a_prefix() {
    power_loss_rounds(SyncMode::None);
}

#[test]
fn power_loss_under_fsync_loses_nothing_acknowledged() {
    power_loss_rounds(SyncMode::Fsync);
}

#[test]
fn power_loss_under_fdatasync_loses_nothing_acknowledged() {
    power_loss_rounds(SyncMode::Fdatasync);
}
