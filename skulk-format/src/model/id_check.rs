//! `IdCheck`: checks that series ids are the hashes of their metadata, four
//! at a time. The id's FNV-1a (`FORMAT.md`, "Series id") is one multiply
//! per byte, each waiting for the last: a few hundred cycles for a series
//! of ten labels, spent on every series a file names. Four independent
//! hashes in one loop keep the multiplier busy. (A [`SeriesMeta`] carries
//! its id, hashed when it was built, so claims about one are compared.)

use super::series::{FNV_OFFSET_BASIS, FNV_PRIME, mix64};
use super::{SeriesId, SeriesMeta};

/// How many hashes run side by side.
pub(crate) const LANES: usize = 4;

/// Queues (claimed id, canonical bytes) pairs and checks them four at a
/// time; `T` tags each claim so that a wrong one can be named.
///
/// ```
/// use skulk_format::{IdCheck, SeriesId, SeriesMeta};
///
/// let metas: Vec<SeriesMeta> = (0..10)
///     .map(|i| SeriesMeta::new("cpu", vec![("host".into(), format!("h{i}"))]))
///     .collect();
/// let mut check = IdCheck::default();
/// let mut wrong = None;
/// for (i, meta) in metas.iter().enumerate() {
///     let claimed = if i == 6 { SeriesId(1) } else { meta.id() };
///     wrong = wrong.or(check.meta(claimed, meta, i).err());
/// }
/// let wrong = wrong.or(check.finish().err()).expect("series 6 claims a wrong id");
/// assert_eq!((wrong.tag, wrong.actual), (6, metas[6].id()));
/// ```
#[derive(Debug)]
pub struct IdCheck<T> {
    bytes: [Vec<u8>; LANES],
    claims: Vec<(SeriesId, T)>,
}

impl<T> Default for IdCheck<T> {
    fn default() -> Self {
        Self {
            bytes: Default::default(),
            claims: Vec::with_capacity(LANES),
        }
    }
}

/// A claimed id that is not its metadata's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrongId<T> {
    /// The tag the claim was queued with.
    pub tag: T,
    /// The id claimed.
    pub claimed: SeriesId,
    /// The hash of the metadata.
    pub actual: SeriesId,
}

impl<T> IdCheck<T> {
    /// Queues the claim that `meta` has id `claimed`; checks the queue once
    /// it holds four, returning the first wrong claim among them.
    /// Checks the claim that `meta` has id `claimed`: at once, its id
    /// being known (see [`SeriesMeta::id`]); a wrong claim queued before
    /// it is reported first.
    pub fn meta(&mut self, claimed: SeriesId, meta: &SeriesMeta, tag: T) -> Result<(), WrongId<T>> {
        let actual = meta.id();
        if actual == claimed {
            return Ok(());
        }
        self.finish()?;
        Err(WrongId {
            tag,
            claimed,
            actual,
        })
    }

    /// Queues the claim that the canonical bytes `write` appends hash to
    /// `claimed`; checks the queue once it holds four.
    pub fn canonical(
        &mut self,
        claimed: SeriesId,
        tag: T,
        write: impl FnOnce(&mut Vec<u8>),
    ) -> Result<(), WrongId<T>> {
        let lane = self.claims.len();
        if let Some(out) = self.bytes.get_mut(lane) {
            out.clear();
            write(out);
        }
        self.claims.push((claimed, tag));
        if self.claims.len() == LANES {
            return self.finish();
        }
        Ok(())
    }

    /// Checks every queued claim, returning the first wrong one.
    pub fn finish(&mut self) -> Result<(), WrongId<T>> {
        let ids = series_ids(&self.bytes, self.claims.len());
        let mut wrong = None;
        for ((claimed, tag), actual) in self.claims.drain(..).zip(ids) {
            if wrong.is_none() && actual != claimed {
                wrong = Some(WrongId {
                    tag,
                    claimed,
                    actual,
                });
            }
        }
        wrong.map_or(Ok(()), Err)
    }
}

/// The ids of the canonical bytes in the first `n` of `lanes`, four side
/// by side when all four are used (the rest of the array is zero).
pub(crate) fn series_ids(lanes: &[Vec<u8>; LANES], n: usize) -> [SeriesId; LANES] {
    let hashes = match (n, lanes) {
        (LANES, [a, b, c, d]) => fnv_four([a, b, c, d]),
        (n, lanes) => {
            let mut hashes = [0; LANES];
            for (hash, bytes) in hashes.iter_mut().zip(lanes).take(n) {
                *hash = fnv(FNV_OFFSET_BASIS, bytes);
            }
            hashes
        }
    };
    hashes.map(|hash| SeriesId(mix64(hash)))
}

fn fnv(mut hash: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        hash = (hash ^ u64::from(b)).wrapping_mul(FNV_PRIME);
    }
    hash
}

/// FNV-1a of four byte strings at once: the common length in one loop,
/// then each tail.
fn fnv_four([a, b, c, d]: [&[u8]; LANES]) -> [u64; LANES] {
    let common = a.len().min(b.len()).min(c.len()).min(d.len());
    let mut h = [FNV_OFFSET_BASIS; LANES];
    let heads = a.iter().zip(b).zip(c).zip(d).take(common);
    for (((&x0, &x1), &x2), &x3) in heads {
        h[0] = (h[0] ^ u64::from(x0)).wrapping_mul(FNV_PRIME);
        h[1] = (h[1] ^ u64::from(x1)).wrapping_mul(FNV_PRIME);
        h[2] = (h[2] ^ u64::from(x2)).wrapping_mul(FNV_PRIME);
        h[3] = (h[3] ^ u64::from(x3)).wrapping_mul(FNV_PRIME);
    }
    let tail = |hash: u64, bytes: &[u8]| fnv(hash, bytes.get(common..).unwrap_or_default());
    [tail(h[0], a), tail(h[1], b), tail(h[2], c), tail(h[3], d)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(i: usize) -> SeriesMeta {
        let labels = (0..i % 5).map(|k| (format!("k{k}"), "v".repeat(i)));
        SeriesMeta::new(format!("m{i}"), labels.collect())
    }

    /// Ids hashed from the canonical bytes.
    fn hashed(m: &SeriesMeta) -> SeriesId {
        SeriesMeta::id_of_canonical(&m.canonical_bytes())
    }

    #[test]
    fn every_claim_is_checked_whatever_the_queue_length() {
        // Claims about metadata are compared at once, claims about canonical
        // bytes queued: mixed, the first wrong claim is still the one named.
        let claim = |check: &mut IdCheck<usize>, i: usize, m: &SeriesMeta, claimed| {
            if i.is_multiple_of(3) {
                check.meta(claimed, m, i)
            } else {
                check.canonical(claimed, i, |out| m.write_canonical(out))
            }
        };
        for n in 0..11 {
            let metas: Vec<SeriesMeta> = (0..n).map(meta).collect();
            let mut check = IdCheck::default();
            for (i, m) in metas.iter().enumerate() {
                claim(&mut check, i, m, hashed(m)).unwrap();
            }
            check.finish().unwrap();
            for bad in 0..n {
                let mut check = IdCheck::default();
                let mut found = None;
                for (i, m) in metas.iter().enumerate() {
                    let claimed = SeriesId(hashed(m).0 ^ u64::from(i == bad));
                    if let Err(wrong) = claim(&mut check, i, m, claimed) {
                        found = Some(wrong);
                        break;
                    }
                }
                let wrong = found.or_else(|| check.finish().err()).unwrap();
                assert_eq!((wrong.tag, wrong.actual), (bad, hashed(&metas[bad])));
                assert_eq!(wrong.claimed.0, hashed(&metas[bad]).0 ^ 1);
            }
        }
    }

    #[test]
    fn the_four_lane_hash_is_fnv_1a() {
        let texts: [&[u8]; 4] = [b"", b"a", b"hello world", b"\x00\xff\x10"];
        let four = fnv_four(texts);
        for (text, hash) in texts.iter().zip(four) {
            assert_eq!(hash, fnv(FNV_OFFSET_BASIS, text));
        }
        assert_eq!(fnv(FNV_OFFSET_BASIS, b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
