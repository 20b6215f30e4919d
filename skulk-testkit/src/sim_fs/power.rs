//! Power loss: what the simulated disk holds after the power came back.

use std::collections::BTreeMap;

use super::tree::{DirId, Inode, InodeId, Node, ROOT, Tree};
use crate::generators::SplitMix64;

/// What happens to bytes and names that were never synced when the power
/// goes out. Unless a mode says otherwise, names are those of each folder's
/// last directory sync (a folder whose own name was never synced is gone
/// with everything in it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerLoss {
    /// Every file holds exactly what was synced.
    DropUnsynced,
    /// Every file holds everything written (the disk caught up in time).
    KeepWritten,
    /// Unsynced writes land sector by sector, at random: each `sector`-sized
    /// piece of a file that differs from its synced bytes holds either the
    /// new bytes or the old ones (zeros past the old end), and the file's
    /// length is the old one, the new one or a sector boundary in between.
    /// Each folder keeps, at random, either the names of its last sync or
    /// all its names as they were (a journal commits a folder's changes
    /// whole or not at all).
    Torn {
        /// Seeds the choices.
        seed: u64,
        /// 512 for a disk sector, 4096 for a page.
        sector: usize,
    },
}

/// The tree a disk holds after `loss`.
pub(super) fn after_power_loss(tree: &Tree, loss: PowerLoss) -> Tree {
    let mut rng = match loss {
        PowerLoss::Torn { seed, .. } => SplitMix64::new(seed),
        _ => SplitMix64::new(0),
    };
    let mut out = Tree::default();
    let mut inodes: BTreeMap<InodeId, InodeId> = BTreeMap::new();
    let torn = matches!(loss, PowerLoss::Torn { .. });
    let mut stack: Vec<(DirId, DirId)> = vec![(ROOT, ROOT)];
    while let Some((old, new)) = stack.pop() {
        let dir = tree.dir(old);
        let names = if torn && rng.below(2) == 0 {
            &dir.current
        } else {
            &dir.durable
        };
        let entries: Vec<(String, Node)> = names
            .iter()
            .filter(|(_, node)| match node {
                Node::File(i) => tree.inode(*i).hidden.is_none(),
                Node::Dir(_) => true,
            })
            .map(|(name, node)| (name.clone(), *node))
            .collect();
        for (name, node) in entries {
            let kept = match node {
                Node::Dir(child) => {
                    let id = out.new_dir();
                    stack.push((child, id));
                    Node::Dir(id)
                }
                Node::File(inode) => {
                    let id = *inodes.entry(inode).or_insert_with(|| {
                        let bytes = surviving_bytes(tree.inode(inode), loss, &mut rng);
                        out.inodes.push(Inode {
                            written: bytes.clone(),
                            synced: bytes,
                            open: 0,
                            hidden: None,
                        });
                        out.inodes.len() - 1
                    });
                    Node::File(id)
                }
            };
            let dir = out.dir_mut(new);
            dir.current.insert(name.clone(), kept);
            dir.durable.insert(name, kept);
        }
    }
    out
}

fn surviving_bytes(inode: &Inode, loss: PowerLoss, rng: &mut SplitMix64) -> Vec<u8> {
    let (old, new) = (&inode.synced, &inode.written);
    match loss {
        PowerLoss::DropUnsynced => old.clone(),
        PowerLoss::KeepWritten => new.clone(),
        PowerLoss::Torn { sector, .. } => torn(old, new, sector.max(1), rng),
    }
}

fn torn(old: &[u8], new: &[u8], sector: usize, rng: &mut SplitMix64) -> Vec<u8> {
    if old == new {
        return old.to_vec();
    }
    let (lo, hi) = (old.len().min(new.len()), old.len().max(new.len()));
    let first = lo.div_ceil(sector);
    let boundaries = (hi / sector).saturating_sub(first) as u64;
    let len = match rng.below(3) {
        0 => old.len(),
        1 => new.len(),
        _ => ((first + rng.below(boundaries + 1) as usize) * sector).clamp(lo, hi),
    };
    let mut out = vec![0u8; len];
    for (i, chunk) in out.chunks_mut(sector).enumerate() {
        let at = i * sector;
        let from_new = new.get(at..(at + chunk.len()).min(new.len()));
        let from_old = old.get(at..(at + chunk.len()).min(old.len()));
        let source = if from_new == from_old || rng.below(2) == 0 {
            from_new
        } else {
            from_old
        };
        if let Some(bytes) = source {
            chunk[..bytes.len()].copy_from_slice(bytes);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torn_files_mix_old_and_new_sectors_only() {
        let old = vec![1u8; 1000];
        let mut new = old.clone();
        new.extend_from_slice(&[2u8; 3000]);
        new[..600].fill(3);
        for seed in 0..200 {
            let got = torn(&old, &new, 512, &mut SplitMix64::new(seed));
            assert!(got.len() == 1000 || got.len() == 4000 || got.len().is_multiple_of(512));
            for (i, chunk) in got.chunks(512).enumerate() {
                let at = i * 512;
                let n = &new[at..at + chunk.len()];
                let o: Vec<u8> = (at..at + chunk.len())
                    .map(|j| old.get(j).copied().unwrap_or(0))
                    .collect();
                assert!(
                    chunk == n || chunk == o.as_slice(),
                    "seed {seed} sector {i}"
                );
            }
        }
    }
}
