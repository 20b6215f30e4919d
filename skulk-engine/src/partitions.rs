//! Which time partitions hold data, for readers that go partition by
//! partition (`Engine::partitions`).

use std::collections::BTreeSet;
use std::time::Duration;

use skulk_format::{BlockRef, TimePartition};

use crate::Result;
use crate::state::State;
use crate::tsm::TsmFile;

/// Every partition with points in a memtable or a file, in time order. A
/// file covering many partitions is looked at block by block: the
/// partitions between a block's first and last timestamp when they are few
/// for its points, else those of its decoded timestamps, so the work stays
/// proportional to the points however sparse they are.
pub(crate) fn with_data(state: &State, partition: Duration) -> Result<Vec<TimePartition>> {
    let mut starts: BTreeSet<i64> = state
        .memtable_partitions()
        .iter()
        .map(TimePartition::start)
        .collect();
    for file in &state.files {
        for entry in file.reader.series() {
            for block in entry.blocks {
                add_block(file, block, partition, &mut starts)?;
            }
        }
    }
    starts
        .into_iter()
        .map(|start| Ok(TimePartition::containing(start, partition)?))
        .collect()
}

fn add_block(
    file: &TsmFile,
    block: &BlockRef,
    partition: Duration,
    starts: &mut BTreeSet<i64>,
) -> Result<()> {
    let first = TimePartition::containing(block.min_ts, partition)?;
    let last = TimePartition::containing(block.max_ts, partition)?;
    let span = (i128::from(last.start()) - i128::from(first.start()))
        / i128::from(first.duration_ns().max(1))
        + 1;
    if span <= 2 * i128::from(block.point_count) {
        let mut part = first;
        loop {
            starts.insert(part.start());
            if part.start() >= last.start() {
                break;
            }
            part = TimePartition::containing(part.end_ts(), partition)?;
        }
        return Ok(());
    }
    let (mut ts, mut vals) = (Vec::new(), Vec::new());
    file.reader.read_block(block, &mut ts, &mut vals)?;
    for t in ts {
        starts.insert(TimePartition::containing(t, partition)?.start());
    }
    Ok(())
}
