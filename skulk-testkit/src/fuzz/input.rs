//! Reading structured inputs from fuzzer bytes.

use skulk_format::SeriesMeta;

use crate::format_suite::SeriesContents;

/// Reads fuzzer bytes as numbers; zeros once they run out.
pub(super) struct Input<'a>(pub(super) &'a [u8]);

impl Input<'_> {
    pub(super) fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let n = N.min(self.0.len());
        let (head, tail) = self.0.split_at(n);
        out.get_mut(..n).unwrap_or_default().copy_from_slice(head);
        self.0 = tail;
        out
    }
    pub(super) fn u8(&mut self) -> u8 {
        self.bytes::<1>()[0]
    }
    pub(super) fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.bytes())
    }
    pub(super) fn i64(&mut self) -> i64 {
        i64::from_le_bytes(self.bytes())
    }
    pub(super) fn f64(&mut self) -> f64 {
        f64::from_bits(u64::from_le_bytes(self.bytes()))
    }
    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Up to 4 series of up to 48 points each, strictly increasing timestamps
/// from arbitrary starts and gaps, arbitrary value bits.
pub(super) fn series_from(input: &mut Input<'_>) -> Vec<SeriesContents> {
    let mut out: Vec<SeriesContents> = Vec::new();
    for s in 0..=(input.u8() % 4) {
        let meta = SeriesMeta::new(
            format!("m{}", input.u8() % 8),
            vec![("s".into(), s.to_string())],
        );
        let (mut timestamps, mut values) = (Vec::new(), Vec::new());
        let mut ts = input.i64();
        for _ in 0..input.u8() % 48 {
            timestamps.push(ts);
            values.push(input.f64());
            let gap = i64::from(input.u16()) + 1;
            let scale = if input.u8().is_multiple_of(4) {
                1 << 40
            } else {
                1
            };
            match ts.checked_add(gap.saturating_mul(scale)) {
                Some(next) => ts = next,
                None => break,
            }
        }
        if out.iter().all(|o| o.meta != meta) {
            out.push(SeriesContents::new(meta, timestamps, &values));
        }
    }
    out
}

/// Damage done to a file: a byte flipped, or the file cut, at `at`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Damage {
    pub(super) at: usize,
    pub(super) truncated: bool,
}

/// A damage instruction: byte offset (modulo the file's length) and XOR
/// mask (0: no damage), or a truncation.
pub(super) fn damage(input: &mut Input<'_>, bytes: &mut Vec<u8>) -> Option<Damage> {
    let (offset, mask, truncate) = (
        usize::from(input.u16()),
        input.u8(),
        input.u8().is_multiple_of(8),
    );
    if bytes.is_empty() || (mask == 0 && !truncate) {
        return None;
    }
    let at = offset % bytes.len();
    if truncate {
        bytes.truncate(at);
        return Some(Damage {
            at,
            truncated: true,
        });
    }
    let byte = bytes.get_mut(at)?;
    *byte ^= mask;
    Some(Damage {
        at,
        truncated: false,
    })
}
