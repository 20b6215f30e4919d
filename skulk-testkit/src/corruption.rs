//! The corruption sweep: every truncation and every single-byte flip of a
//! valid artifact, each opened and read back, each outcome classified.
//!
//! A reader passes when every damaged input gives either a typed error or
//! data the caller accepts (identical to the original, or, where the format
//! allows it, an acceptable subset such as a WAL whose torn tail was cut
//! off). It fails on a panic or on wrong data: values that differ from what
//! was written and were returned as if they were good.
//!
//! ```
//! use skulk_testkit::corruption::{SweepConfig, sweep_exact};
//!
//! // A toy format: one length byte, then that many bytes, then their sum.
//! fn read(bytes: &[u8]) -> Result<Vec<u8>, String> {
//!     let (&len, rest) = bytes.split_first().ok_or("empty")?;
//!     let body = rest.get(..usize::from(len)).ok_or("truncated")?;
//!     let sum = body.iter().fold(0u8, |a, b| a.wrapping_add(*b));
//!     if rest.get(usize::from(len)) != Some(&sum) || rest.len() != usize::from(len) + 1 {
//!         return Err("bad checksum".into());
//!     }
//!     Ok(body.to_vec())
//! }
//! let report = sweep_exact(&[2, 10, 20, 30], &vec![10, 20], &SweepConfig::default(), read);
//! assert!(report.is_clean(), "{report}");
//! assert_eq!(report.typed_errors, report.cases);
//! assert_eq!(report.cases, 4 + 4 * 3);
//! ```

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

/// One way of damaging the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutation {
    /// Keep only the first `len` bytes.
    Truncate {
        /// Bytes kept.
        len: usize,
    },
    /// XOR the byte at `offset` with `mask`.
    Flip {
        /// Byte offset.
        offset: usize,
        /// Non-zero XOR mask.
        mask: u8,
    },
}

impl Mutation {
    /// The damaged copy of `bytes`.
    pub fn apply(&self, bytes: &[u8]) -> Vec<u8> {
        match *self {
            Mutation::Truncate { len } => bytes.get(..len).unwrap_or(bytes).to_vec(),
            Mutation::Flip { offset, mask } => {
                let mut out = bytes.to_vec();
                if let Some(byte) = out.get_mut(offset) {
                    *byte ^= mask;
                }
                out
            }
        }
    }
}

impl fmt::Display for Mutation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mutation::Truncate { len } => write!(f, "truncated to {len} bytes"),
            Mutation::Flip { offset, mask } => write!(f, "byte {offset} xor {mask:#04x}"),
        }
    }
}

/// How the caller judges data that was read back without an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Exactly what was written.
    Identical,
    /// Not everything, but nothing wrong: e.g. the records before a torn
    /// tail. The judge is responsible for checking that claim.
    Acceptable,
    /// Wrong data presented as good: a failure.
    Wrong,
}

/// What to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepConfig {
    /// Try every truncation `0..len`.
    pub truncations: bool,
    /// XOR masks tried at every byte (each must be non-zero).
    pub flip_masks: Vec<u8>,
    /// Only flip every `stride`-th byte (1: every byte). For large inputs
    /// in quick runs; the full sweep uses 1.
    pub stride: usize,
    /// Keep at most this many failures in the report (all are counted).
    pub max_failures_kept: usize,
}

impl Default for SweepConfig {
    /// Every truncation; flips of the lowest bit, the highest bit and all
    /// bits of every byte.
    fn default() -> Self {
        Self {
            truncations: true,
            flip_masks: vec![0x01, 0x80, 0xFF],
            stride: 1,
            max_failures_kept: 20,
        }
    }
}

impl SweepConfig {
    /// Every truncation and every byte inverted (`xor 0xFF`).
    pub fn quick() -> Self {
        Self {
            flip_masks: vec![0xFF],
            ..Self::default()
        }
    }

    /// Every truncation and every one of the 8 single-bit flips plus `0xFF`.
    pub fn thorough() -> Self {
        let mut masks: Vec<u8> = (0..8).map(|bit| 1u8 << bit).collect();
        masks.push(0xFF);
        Self {
            flip_masks: masks,
            ..Self::default()
        }
    }

    /// The mutations this configuration tries on an input of `len` bytes.
    pub fn mutations(&self, len: usize) -> impl Iterator<Item = Mutation> + '_ {
        let truncations =
            (0..if self.truncations { len } else { 0 }).map(|len| Mutation::Truncate { len });
        let flips = (0..len)
            .step_by(self.stride.max(1))
            .flat_map(move |offset| {
                self.flip_masks
                    .iter()
                    .filter(|m| **m != 0)
                    .map(move |&mask| Mutation::Flip { offset, mask })
            });
        truncations.chain(flips)
    }
}

/// A case that failed: the mutation and what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The damage done.
    pub mutation: Mutation,
    /// The panic message, or a description of the wrong data.
    pub detail: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.mutation, self.detail)
    }
}

/// The outcome counts of a sweep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorruptionReport {
    /// Cases tried.
    pub cases: u64,
    /// Cases that gave a typed error.
    pub typed_errors: u64,
    /// Cases that read back exactly the original data.
    pub identical: u64,
    /// Cases that read back data the judge accepted as a correct subset.
    pub accepted: u64,
    /// Cases that read back wrong data as if it were good (failures).
    pub wrong_data: u64,
    /// Cases that panicked (failures).
    pub panics: u64,
    /// Typed errors by kind (the error's variant path, e.g. `Codec/Corrupt`).
    pub error_kinds: BTreeMap<String, u64>,
    /// The first failures, for the message.
    pub failures: Vec<Failure>,
}

impl CorruptionReport {
    /// True when no case panicked or returned wrong data.
    pub fn is_clean(&self) -> bool {
        self.wrong_data == 0 && self.panics == 0
    }

    /// Panics with the report when it is not clean.
    #[track_caller]
    pub fn assert_clean(&self) {
        assert!(self.is_clean(), "corruption sweep failed:\n{self}");
    }

    /// Adds the counts and failures of `other` to this report.
    pub fn merge(&mut self, other: CorruptionReport) {
        self.cases += other.cases;
        self.typed_errors += other.typed_errors;
        self.identical += other.identical;
        self.accepted += other.accepted;
        self.wrong_data += other.wrong_data;
        self.panics += other.panics;
        for (kind, count) in other.error_kinds {
            *self.error_kinds.entry(kind).or_default() += count;
        }
        self.failures.extend(other.failures);
    }

    fn record_failure(&mut self, failure: Failure, keep: usize) {
        if self.failures.len() < keep {
            self.failures.push(failure);
        }
    }
}

impl fmt::Display for CorruptionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} cases: {} typed errors, {} identical, {} accepted subsets, {} WRONG DATA, {} PANICS",
            self.cases,
            self.typed_errors,
            self.identical,
            self.accepted,
            self.wrong_data,
            self.panics
        )?;
        for (kind, count) in &self.error_kinds {
            writeln!(f, "  error {kind}: {count}")?;
        }
        for failure in &self.failures {
            writeln!(f, "  FAILED {failure}")?;
        }
        Ok(())
    }
}

/// Runs `read` on every mutation of `bytes` chosen by `config` and lets
/// `judge` classify the data of every case that did not fail.
///
/// `read` must do everything a user would: open, iterate, decode every
/// value. Panics in `read` are caught (and not printed) and counted.
///
/// # Panics
/// When `read` on the undamaged `bytes` fails or is not judged
/// [`Verdict::Identical`]: the sweep would be meaningless.
pub fn sweep<T, E: fmt::Debug>(
    bytes: &[u8],
    config: &SweepConfig,
    mut read: impl FnMut(&[u8]) -> Result<T, E>,
    mut judge: impl FnMut(&Mutation, &T) -> Verdict,
) -> CorruptionReport {
    let baseline =
        read(bytes).unwrap_or_else(|e| panic!("the undamaged input fails to read: {e:?}"));
    let identity = Mutation::Flip {
        offset: usize::MAX,
        mask: 0,
    };
    assert_eq!(
        judge(&identity, &baseline),
        Verdict::Identical,
        "the undamaged input reads wrong"
    );
    let mut report = CorruptionReport::default();
    for mutation in config.mutations(bytes.len()) {
        let damaged = mutation.apply(bytes);
        report.cases += 1;
        match quietly(|| read(&damaged)) {
            Err(message) => {
                report.panics += 1;
                report.record_failure(
                    Failure {
                        mutation,
                        detail: format!("PANIC: {message}"),
                    },
                    config.max_failures_kept,
                );
            }
            Ok(Err(error)) => {
                report.typed_errors += 1;
                *report.error_kinds.entry(error_kind(&error)).or_default() += 1;
            }
            Ok(Ok(data)) => match judge(&mutation, &data) {
                Verdict::Identical => report.identical += 1,
                Verdict::Acceptable => report.accepted += 1,
                Verdict::Wrong => {
                    report.wrong_data += 1;
                    let detail = "WRONG DATA returned without an error".to_string();
                    report.record_failure(Failure { mutation, detail }, config.max_failures_kept);
                }
            },
        }
    }
    report
}

/// [`sweep`] where the only good data is `expected` itself.
pub fn sweep_exact<T: PartialEq, E: fmt::Debug>(
    bytes: &[u8],
    expected: &T,
    config: &SweepConfig,
    read: impl FnMut(&[u8]) -> Result<T, E>,
) -> CorruptionReport {
    sweep(bytes, config, read, |_, got| {
        if got == expected {
            Verdict::Identical
        } else {
            Verdict::Wrong
        }
    })
}

/// The variant path of an error from its `Debug` text: `Codec(Corrupt {..})`
/// gives `Codec/Corrupt`.
pub fn error_kind(error: &impl fmt::Debug) -> String {
    let text = format!("{error:?}");
    let mut parts = Vec::new();
    let mut rest = text.as_str();
    loop {
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            break;
        }
        rest = &rest[name.len()..];
        parts.push(name);
        match rest.strip_prefix('(') {
            Some(inner) => rest = inner,
            None => break,
        }
    }
    if parts.is_empty() {
        "?".to_string()
    } else {
        parts.join("/")
    }
}

/// An error's `Debug` text, shown unquoted, so that errors of different
/// types can share one closure and still be counted by [`error_kind`].
#[derive(Clone, PartialEq, Eq)]
pub struct ErrorText(pub String);

impl ErrorText {
    /// The `Debug` text of `error`.
    pub fn of(error: impl fmt::Debug) -> Self {
        Self(format!("{error:?}"))
    }
}

impl fmt::Debug for ErrorText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, catching a panic and returning its message; the default panic
/// output is suppressed for this thread only.
pub fn quietly<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic payload".to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A length-prefixed format without checksum, with a bug: it indexes
    /// past the end when the length byte is too large.
    fn buggy(bytes: &[u8]) -> Result<Vec<u8>, String> {
        let len = usize::from(*bytes.first().ok_or("empty")?);
        Ok(bytes[1..1 + len].to_vec())
    }

    #[test]
    fn counts_every_case_and_catches_panics_and_wrong_data() {
        let bytes = [3u8, 1, 2, 3];
        let config = SweepConfig::quick();
        let report = sweep_exact(&bytes, &vec![1, 2, 3], &config, buggy);
        assert_eq!(report.cases, 4 + 4);
        // Truncations 1..=3 and flipping the length byte to 0xFC panic.
        assert_eq!(report.panics, 4);
        // Flipping a payload byte returns wrong data.
        assert_eq!(report.wrong_data, 3);
        assert_eq!(report.typed_errors, 1);
        assert!(!report.is_clean());
        assert!(report.to_string().contains("PANIC"));
    }

    #[test]
    fn judge_can_accept_subsets() {
        // Each byte is a record; truncation yields a prefix, which is fine.
        let bytes = [1u8, 2, 3];
        let config = SweepConfig {
            flip_masks: vec![],
            ..SweepConfig::default()
        };
        let report = sweep(
            &bytes,
            &config,
            |b| Ok::<_, ()>(b.to_vec()),
            |_, got| match got.as_slice() {
                [1, 2, 3] => Verdict::Identical,
                g if bytes.starts_with(g) => Verdict::Acceptable,
                _ => Verdict::Wrong,
            },
        );
        assert_eq!((report.cases, report.accepted), (3, 3));
        report.assert_clean();
    }

    #[test]
    fn error_kinds_follow_nested_variants() {
        #[derive(Debug)]
        #[allow(dead_code)]
        enum Inner {
            Corrupt { offset: usize },
        }
        #[derive(Debug)]
        #[allow(dead_code)]
        enum Outer {
            Codec(Inner),
        }
        assert_eq!(
            error_kind(&Outer::Codec(Inner::Corrupt { offset: 3 })),
            "Codec/Corrupt"
        );
        assert_eq!(error_kind(&"text"), "?");
    }

    #[test]
    fn mutations_cover_truncations_and_masks() {
        let config = SweepConfig {
            stride: 2,
            ..SweepConfig::default()
        };
        let all: Vec<_> = config.mutations(4).collect();
        assert_eq!(all.len(), 4 + 2 * 3);
        assert_eq!(
            Mutation::Flip {
                offset: 1,
                mask: 0xFF
            }
            .apply(&[0, 0x0F]),
            vec![0, 0xF0]
        );
        assert_eq!(Mutation::Truncate { len: 1 }.apply(&[7, 8]), vec![7]);
    }
}
