//! Applying logged writes to the memtables in LSN order.
//!
//! Concurrent writers get their LSNs in one order from the WAL but finish
//! waiting for durability in any order. Were each to apply its points as
//! soon as its record is durable, two writes of one series and timestamp
//! could reach the memtable in the other order than replay applies them,
//! and a value read before a crash would differ from the one read after.

use std::collections::BTreeSet;
use std::sync::{Condvar, Mutex};

use skulk_wal::Lsn;

use crate::locks::guard;

/// The LSNs of writes that are logged (or being logged) but not applied.
#[derive(Debug, Default)]
pub(crate) struct Sequencer {
    in_flight: Mutex<BTreeSet<Lsn>>,
    turn: Condvar,
}

/// A write's turn to apply its points: every lower LSN in flight is done.
/// Dropping it lets the next write go.
#[must_use]
pub(crate) struct Turn<'a> {
    sequencer: &'a Sequencer,
    lsn: Lsn,
}

impl Sequencer {
    /// Records that the write with `lsn` is on its way. Called while the
    /// WAL assigns LSNs, so no lower LSN can be registered later.
    pub fn register(&self, lsn: Lsn) {
        guard(&self.in_flight).insert(lsn);
    }

    /// Waits until every write with a lower LSN is done.
    pub fn wait_turn(&self, lsn: Lsn) -> Turn<'_> {
        let mut in_flight = guard(&self.in_flight);
        while in_flight.first().is_some_and(|&first| first < lsn) {
            in_flight = self
                .turn
                .wait(in_flight)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        Turn {
            sequencer: self,
            lsn,
        }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        guard(&self.sequencer.in_flight).remove(&self.lsn);
        self.sequencer.turn.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn turns_come_in_lsn_order_whatever_order_they_are_asked_for() {
        let seq = Arc::new(Sequencer::default());
        for lsn in [3, 5, 9] {
            seq.register(lsn);
        }
        let order = Arc::new(Mutex::new(Vec::new()));
        let handles: Vec<_> = [9, 5, 3]
            .into_iter()
            .map(|lsn| {
                let (seq, order) = (Arc::clone(&seq), Arc::clone(&order));
                std::thread::spawn(move || {
                    let _turn = seq.wait_turn(lsn);
                    order.lock().unwrap().push(lsn);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![3, 5, 9]);
    }
}
