//! The integer part of an ALP payload: the integers stored directly (frame
//! of reference), as deltas or as deltas of deltas, each as a run of an
//! integer layer: patched frame of reference for version 1
//! ([`crate::pfor`]), centred runs for version 2 ([`crate::centred`]).

use crate::pfor::varint::{put, varint_len, zigzag};

/// Mode 0: the integers themselves.
pub(crate) const MODE_FOR: u8 = 0;
/// Mode 1: the first integer, then the deltas between neighbours.
pub(crate) const MODE_DELTA: u8 = 1;
/// Mode 2: the first integer and delta, then the deltas of deltas.
pub(crate) const MODE_DELTA2: u8 = 2;

/// An integer layer: plans, sizes and writes a run of `u64`.
pub(crate) trait Layer {
    /// A planned run.
    type Plan;
    /// When true, [`best_body`] plans only the mode with the smallest
    /// [`Layer::estimate`]; else every mode, keeping the exact smallest.
    const ESTIMATED: bool;
    /// A cheap estimate of the bits of the run of `values`.
    fn estimate(values: &[u64]) -> u64;
    /// Plans the run of `values`, reusing their memory.
    fn plan(values: Vec<u64>) -> Self::Plan;
    /// Bytes [`Layer::write`] appends.
    fn len(plan: &Self::Plan) -> usize;
    /// Appends the run.
    fn write(plan: &Self::Plan, out: &mut Vec<u8>);
}

/// Patched frame of reference, the integer layer of version 1.
pub(crate) struct Pfor;

impl Layer for Pfor {
    type Plan = crate::pfor::Plan;
    const ESTIMATED: bool = false;
    fn estimate(_: &[u64]) -> u64 {
        0
    }
    fn plan(values: Vec<u64>) -> Self::Plan {
        crate::pfor::plan_owned(values)
    }
    fn len(plan: &Self::Plan) -> usize {
        crate::pfor::encoded_len(plan)
    }
    fn write(plan: &Self::Plan, out: &mut Vec<u8>) {
        crate::pfor::write(plan, out);
    }
}

/// Centred runs, the integer layer of version 2.
pub(crate) struct Centred;

impl Layer for Centred {
    type Plan = crate::centred::Plan;
    const ESTIMATED: bool = true;
    fn estimate(values: &[u64]) -> u64 {
        crate::centred::estimate_bits(values)
    }
    fn plan(values: Vec<u64>) -> Self::Plan {
        crate::centred::plan_owned(values)
    }
    fn len(plan: &Self::Plan) -> usize {
        crate::centred::encoded_len(plan)
    }
    fn write(plan: &Self::Plan, out: &mut Vec<u8>) {
        crate::centred::write(plan, out);
    }
}

/// One mode's integer run, planned but not yet written: the leading
/// integers (mode 1: the first; mode 2: the first and the first delta) as
/// varints, then the run of what is left, if anything.
pub(crate) struct Body<L: Layer> {
    leading: Vec<i64>,
    run: Option<L::Plan>,
}

impl<L: Layer> Body<L> {
    /// The leading integers and the level of differences of mode `order`
    /// (0 = frame of reference, 1 = delta, 2 = delta of delta) of `ints`,
    /// computed from `ints` in one pass.
    fn level(ints: &[i64], order: u8) -> (Vec<i64>, Vec<u64>) {
        match (order, ints) {
            (MODE_FOR, _) => (Vec::new(), ints.iter().map(|&d| d as u64).collect()),
            (MODE_DELTA, [first, ..]) => {
                let deltas = ints.windows(2).map(|w| match w {
                    [a, b] => b.wrapping_sub(*a) as u64,
                    _ => 0,
                });
                (vec![*first], deltas.collect())
            }
            (_, [first, second, ..]) => {
                let deltas2 = ints.windows(3).map(|w| match w {
                    [a, b, c] => c.wrapping_sub(*b).wrapping_sub(b.wrapping_sub(*a)) as u64,
                    _ => 0,
                });
                let leading = vec![*first, second.wrapping_sub(*first)];
                (leading, deltas2.collect())
            }
            (_, [first]) => (vec![*first], Vec::new()),
            (_, []) => (Vec::new(), Vec::new()),
        }
    }

    /// Plans mode `order` of `ints`.
    pub(crate) fn plan(ints: &[i64], order: u8) -> Self {
        let (leading, level) = Self::level(ints, order);
        Self::from_level(leading, level)
    }

    fn from_level(leading: Vec<i64>, level: Vec<u64>) -> Self {
        let run = (!level.is_empty()).then(|| L::plan(level));
        Self { leading, run }
    }

    /// Bits of the leading varints.
    fn leading_bits(leading: &[i64]) -> u64 {
        leading
            .iter()
            .map(|&d| 8 * varint_len(zigzag(d)) as u64)
            .sum()
    }

    /// Bytes [`Body::write`] appends.
    pub(crate) fn len(&self) -> usize {
        let leading: usize = self.leading.iter().map(|&d| varint_len(zigzag(d))).sum();
        leading + self.run.as_ref().map_or(0, L::len)
    }

    /// Appends the leading varints and the run.
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        self.leading.iter().for_each(|&d| put(zigzag(d), out));
        if let Some(run) = &self.run {
            L::write(run, out);
        }
    }
}

/// The smallest mode for `ints` and its planned body; the lower mode on
/// ties. With exact sizes ([`Body::len`], version 1) every mode is planned
/// and only the winner written; with estimates ([`Layer::estimate`],
/// version 2) only the winner is planned.
pub(crate) fn best_body<L: Layer>(ints: &[i64]) -> (u8, Body<L>) {
    if L::ESTIMATED {
        let mut best: Option<(u64, u8, Vec<i64>, Vec<u64>)> = None;
        for mode in [MODE_FOR, MODE_DELTA, MODE_DELTA2] {
            let (leading, level) = Body::<L>::level(ints, mode);
            let bits = Body::<L>::leading_bits(&leading) + L::estimate(&level);
            if best.as_ref().is_none_or(|b| bits < b.0) {
                best = Some((bits, mode, leading, level));
            }
        }
        if let Some((_, mode, leading, level)) = best {
            return (mode, Body::from_level(leading, level));
        }
    }
    let mut best = (MODE_FOR, Body::plan(ints, MODE_FOR));
    let mut best_len = best.1.len();
    for mode in [MODE_DELTA, MODE_DELTA2] {
        let body = Body::plan(ints, mode);
        let len = body.len();
        if len < best_len {
            (best, best_len) = ((mode, body), len);
        }
    }
    best
}
