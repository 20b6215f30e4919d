//! Scans across partitions.

use std::collections::VecDeque;

use skulk_format::{DataPoint, Timestamp};

use crate::{DataPointScan, Result, SeriesScan};

/// Points of several partitions in `range`, partition after partition
/// (oldest first); partitions are disjoint in time, so the whole scan is in
/// timestamp order.
#[derive(Debug)]
pub struct PartitionScan {
    scans: VecDeque<DataPointScan>,
}

impl PartitionScan {
    pub(crate) fn new(scans: impl Iterator<Item = DataPointScan>) -> Self {
        Self {
            scans: scans.collect(),
        }
    }
}

impl Iterator for PartitionScan {
    type Item = Result<DataPoint>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let scan = self.scans.front_mut()?;
            match scan.next() {
                Some(item) => return Some(item),
                None => {
                    self.scans.pop_front();
                }
            }
        }
    }
}

/// Points of one series across partitions, in timestamp order.
#[derive(Debug)]
pub struct PartitionSeriesScan {
    scans: VecDeque<SeriesScan>,
}

impl PartitionSeriesScan {
    pub(crate) fn new(scans: impl Iterator<Item = SeriesScan>) -> Self {
        Self {
            scans: scans.collect(),
        }
    }
}

impl Iterator for PartitionSeriesScan {
    type Item = Result<(Timestamp, f64)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let scan = self.scans.front_mut()?;
            match scan.next() {
                Some(item) => return Some(item),
                None => {
                    self.scans.pop_front();
                }
            }
        }
    }
}
