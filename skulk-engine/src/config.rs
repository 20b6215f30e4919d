//! `EngineConfig`: every tunable of the engine, loadable from TOML.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use skulk_codec::CodecChoice;
use skulk_format::FormatVersion;

use crate::error::IoContext;
use crate::{EngineError, Result};

/// Configuration of an [`crate::Engine`].
///
/// Every field has a default (see [`EngineConfig::default`] and the crate
/// README), so a TOML file names only what it changes. Unknown keys are an
/// error that names the key. Durations are written as `"24h"`, `"90s"`,
/// `"500ms"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// The write-ahead log: sync mode, group-commit batching, segment size.
    pub wal: skulk_wal::WalConfig,
    /// Length of a time partition: points of one partition share a memtable
    /// and the smallest TSM file, and retention drops whole partitions. A
    /// directory keeps the duration it was created with (its manifest
    /// records it): opening it with another one is refused, naming both;
    /// `None` (the key left out) takes the directory's, or 24 h for a new
    /// one. Default `None`.
    #[serde(deserialize_with = "skulk_wal::duration::deserialize_option")]
    pub partition_duration: Option<Duration>,
    /// Flush once the memtables hold this many points. `0` disables the
    /// threshold. Default 1,000,000; at most 10^12.
    pub flush_points: u64,
    /// Flush once the memtables hold about this many bytes. `0` disables the
    /// threshold. Default 64 MiB; at most 1 TiB.
    pub flush_size_bytes: u64,
    /// Flush once the oldest unflushed point was written this long ago.
    /// Default 10 min; `None` or zero (in TOML `flush_age = "0s"`)
    /// disables it.
    #[serde(deserialize_with = "zero_disables")]
    pub flush_age: Option<Duration>,
    /// Keep data this long (compared with point timestamps against the
    /// engine's clock); partitions that end before `now - retention` are
    /// dropped whole. Default: absent, keep everything.
    #[serde(deserialize_with = "skulk_wal::duration::deserialize_option")]
    pub retention: Option<Duration>,
    /// Partitions with unflushed points kept in memory at most: beyond
    /// this many, maintenance flushes all but the newest half of them, so
    /// that a backfill spread over many partitions keeps memory bounded.
    /// `0` turns this off (only the flush thresholds and explicit flushes
    /// write files). Default 256; at most 1,048,576.
    pub max_active_partitions: usize,
    /// The longest time span one TSM file may cover once compaction has
    /// merged old data into coarse files (`FORMAT.md`, "Levels"). `None`
    /// (the default): a tenth of `retention` when retention is set (so data
    /// outlives its retention by at most that much: a file is dropped once
    /// its whole span has expired), else unbounded.
    #[serde(deserialize_with = "skulk_wal::duration::deserialize_option")]
    pub compaction_max_span: Option<Duration>,
    /// Merge a partition's TSM files into one once it has at least this many.
    /// Values below 2 disable automatic compaction (an explicit
    /// [`crate::Engine::compact`] still merges every partition with two or
    /// more files). Default 4; at most 10,000.
    pub compaction_min_files: usize,
    /// Points per compressed block in TSM files. Default 8,192; 1 to
    /// `skulk_codec::MAX_BLOCK_POINTS`.
    pub block_points: usize,
    /// Threads that decode blocks in parallel for queries. `0` uses rayon's
    /// global pool (one thread per core). Default 0; at most 256 (every
    /// open starts them).
    pub query_threads: usize,
    /// Run flushes, compactions and retention automatically in one
    /// background thread (woken by writers crossing a threshold and every
    /// `maintenance_interval`). When false, nothing happens unless
    /// [`crate::Engine::flush`], [`crate::Engine::compact`] or
    /// [`crate::Engine::apply_retention`] is called. Default true.
    pub background: bool,
    /// How often the background thread checks `flush_age` and retention.
    /// Default 10 s; 1 ms to 24 h.
    #[serde(deserialize_with = "skulk_wal::duration::deserialize")]
    pub maintenance_interval: Duration,
    /// The codecs of the blocks of the TSM files that flushes and
    /// compactions write. Default [`CodecChoice::Adaptive`] (in TOML
    /// `codec = "adaptive"`); [`CodecChoice::AdaptiveV1`]
    /// (`codec = "adaptive_v1"`) chooses among the codecs of codec version 1
    /// only, for files that readers older than codec version 2 must open. A
    /// fixed pair can be set in code only.
    #[serde(deserialize_with = "codec_choice")]
    pub codec: CodecChoice,
    /// The TSM format version of the files flushes and compactions write.
    /// Default [`FormatVersion::CURRENT`] (3; in TOML `tsm_version = 3`);
    /// `2` and `1` write files that readers older than TSM version 3 and 2
    /// open.
    #[serde(deserialize_with = "tsm_version")]
    pub tsm_version: FormatVersion,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            wal: skulk_wal::WalConfig::default(),
            partition_duration: None,
            flush_points: 1_000_000,
            flush_size_bytes: 64 << 20,
            flush_age: Some(Duration::from_secs(600)),
            retention: None,
            max_active_partitions: 256,
            compaction_max_span: None,
            compaction_min_files: 4,
            block_points: 8192,
            query_threads: 0,
            background: true,
            maintenance_interval: Duration::from_secs(10),
            codec: CodecChoice::Adaptive,
            tsm_version: FormatVersion::CURRENT,
        }
    }
}

/// `tsm_version = 1`, `2` or `3`.
fn tsm_version<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<FormatVersion, D::Error> {
    let version = u8::deserialize(d)?;
    FormatVersion::try_from(version).map_err(|_| {
        serde::de::Error::custom(format!(
            "unknown tsm_version {version}: expected 1 to {}",
            FormatVersion::CURRENT.as_u8()
        ))
    })
}

/// The TOML name of each codec choice that has one.
pub const CODEC_CHOICE_NAMES: [(&str, CodecChoice); 2] = [
    ("adaptive", CodecChoice::Adaptive),
    ("adaptive_v1", CodecChoice::AdaptiveV1),
];

/// `codec = "adaptive"` or `"adaptive_v1"`.
fn codec_choice<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<CodecChoice, D::Error> {
    let name = String::deserialize(d)?;
    CODEC_CHOICE_NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, choice)| choice)
        .ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown codec {name:?}: expected \"adaptive\" or \"adaptive_v1\""
            ))
        })
}

/// A duration where zero means "off": TOML has no null to write `None`.
fn zero_disables<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Duration>, D::Error> {
    Ok(skulk_wal::duration::deserialize_option(d)?.filter(|age| !age.is_zero()))
}

impl EngineConfig {
    /// Parses TOML text; unknown keys and bad values are errors.
    ///
    /// ```
    /// use std::time::Duration;
    /// use skulk_engine::{EngineConfig, EngineError, SyncMode};
    ///
    /// let config = EngineConfig::from_toml_str(
    ///     r#"
    ///     retention = "30d"
    ///     flush_points = 100000
    ///     [wal]
    ///     sync_mode = "fdatasync"
    ///     "#,
    /// )?;
    /// assert_eq!(config.retention, Some(Duration::from_secs(30 * 86_400)));
    /// assert_eq!(config.wal.sync_mode, SyncMode::Fdatasync);
    /// assert!(config.background); // the default
    /// let typo = EngineConfig::from_toml_str("flush_pionts = 1");
    /// assert!(matches!(typo, Err(EngineError::Config(_))));
    /// let too_many = EngineConfig::from_toml_str("query_threads = 1000");
    /// assert!(matches!(too_many, Err(EngineError::OutOfRange { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_toml_str(text: &str) -> Result<Self> {
        let config: Self = toml::from_str(text).map_err(|e| EngineError::Config(Box::new(e)))?;
        config.validate()?;
        Ok(config)
    }

    /// Reads and parses the TOML file at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).at(path)?;
        Self::from_toml_str(&text)
    }

    /// The longest span a file may cover (see
    /// [`EngineConfig::compaction_max_span`]).
    pub(crate) fn max_file_span(&self) -> Option<Duration> {
        self.compaction_max_span
            .or_else(|| self.retention.map(|r| r / 10))
    }

    /// Checks that every value is in its range (see each field); the
    /// error names the key and the range.
    pub fn validate(&self) -> Result<()> {
        self.wal.validate().map_err(|e| match e {
            skulk_wal::WalError::OutOfRange { key, value, range } => EngineError::OutOfRange {
                key: format!("wal.{key}"),
                value,
                range,
            },
            other => EngineError::Wal(other),
        })?;
        let forever = Duration::from_nanos(i64::MAX as u64);
        let optional = |key, value: Option<Duration>, min, max, shown| match value {
            Some(d) => check(key, d, min..=max, shown),
            None => Ok(()),
        };
        optional(
            "partition_duration",
            self.partition_duration,
            Duration::from_nanos(1),
            forever,
            "1ns to 292 years",
        )?;
        check(
            "flush_points",
            self.flush_points,
            0..=MAX_FLUSH_POINTS,
            "0 (off) to 10^12",
        )?;
        check(
            "flush_size_bytes",
            self.flush_size_bytes,
            0..=MAX_FLUSH_BYTES,
            "0 (off) to 1 TiB",
        )?;
        optional(
            "flush_age",
            self.flush_age,
            Duration::ZERO,
            forever,
            "0s (off) to 292 years",
        )?;
        optional(
            "retention",
            self.retention,
            Duration::from_nanos(1),
            forever,
            "1ns to 292 years",
        )?;
        check(
            "max_active_partitions",
            self.max_active_partitions,
            0..=MAX_ACTIVE_PARTITIONS,
            "0 (off) to 1,048,576",
        )?;
        optional(
            "compaction_max_span",
            self.compaction_max_span,
            Duration::from_nanos(1),
            forever,
            "1ns to 292 years",
        )?;
        check(
            "compaction_min_files",
            self.compaction_min_files,
            0..=MAX_COMPACTION_MIN_FILES,
            "0 to 10,000 (below 2: off)",
        )?;
        check(
            "block_points",
            self.block_points,
            1..=skulk_codec::MAX_BLOCK_POINTS,
            &format!("1 to {}", skulk_codec::MAX_BLOCK_POINTS),
        )?;
        check(
            "query_threads",
            self.query_threads,
            0..=MAX_QUERY_THREADS,
            "0 (one per core) to 256",
        )?;
        check(
            "maintenance_interval",
            self.maintenance_interval,
            Duration::from_millis(1)..=Duration::from_secs(86_400),
            "1ms to 24h",
        )
    }
}

/// The largest accepted [`EngineConfig::flush_points`].
pub const MAX_FLUSH_POINTS: u64 = 1_000_000_000_000;
/// The largest accepted [`EngineConfig::flush_size_bytes`].
pub const MAX_FLUSH_BYTES: u64 = 1 << 40;
/// The largest accepted [`EngineConfig::max_active_partitions`].
pub const MAX_ACTIVE_PARTITIONS: usize = 1 << 20;
/// The largest accepted [`EngineConfig::compaction_min_files`].
pub const MAX_COMPACTION_MIN_FILES: usize = 10_000;
/// The largest accepted [`EngineConfig::query_threads`]: every open starts
/// that many threads.
pub const MAX_QUERY_THREADS: usize = 256;

fn check<T: PartialOrd + std::fmt::Debug>(
    key: &str,
    value: T,
    range: std::ops::RangeInclusive<T>,
    shown: &str,
) -> Result<()> {
    if range.contains(&value) {
        return Ok(());
    }
    Err(EngineError::OutOfRange {
        key: key.to_owned(),
        value: format!("{value:?}"),
        range: shown.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_text_gives_the_defaults() {
        assert_eq!(
            EngineConfig::from_toml_str("").unwrap(),
            EngineConfig::default()
        );
    }

    #[test]
    fn durations_and_numbers_parse() {
        let c = EngineConfig::from_toml_str(
            "partition_duration = \"2h\"\nretention = \"30d\"\nflush_points = 10\nflush_age = \"5s\"",
        )
        .unwrap();
        assert_eq!(c.partition_duration, Some(Duration::from_secs(7200)));
        assert_eq!(c.retention, Some(Duration::from_secs(30 * 86400)));
        assert_eq!(c.flush_points, 10);
        assert_eq!(c.flush_age, Some(Duration::from_secs(5)));
    }

    #[test]
    fn a_zero_flush_age_disables_it() {
        let c = EngineConfig::from_toml_str("flush_age = \"0s\"").unwrap();
        assert_eq!(c.flush_age, None);
    }

    #[test]
    fn unknown_keys_are_named_in_the_error() {
        let err = EngineConfig::from_toml_str("flush_pionts = 3").unwrap_err();
        assert!(err.to_string().contains("flush_pionts"), "{err}");
    }

    #[test]
    fn unusable_values_are_rejected() {
        assert!(EngineConfig::from_toml_str("block_points = 0").is_err());
        assert!(EngineConfig::from_toml_str("partition_duration = \"0s\"").is_err());
        // humantime alone panics on this one.
        let huge = "retention = \"18446744073709551615s 1000000000ns\"";
        assert!(matches!(
            EngineConfig::from_toml_str(huge),
            Err(EngineError::Config(_))
        ));
    }
}
