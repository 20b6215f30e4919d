//! `WalConfig` and `SyncMode`.

use std::time::Duration;

use serde::Deserialize;

use crate::{Result, WalError};

/// How an append is made durable before it is acknowledged.
///
/// ```
/// use skulk_wal::{SyncMode, WalConfig};
///
/// assert_eq!(SyncMode::default(), SyncMode::Fsync);
/// let config: WalConfig = toml::from_str(r#"sync_mode = "fdatasync""#)?;
/// assert_eq!(config.sync_mode, SyncMode::Fdatasync);
/// assert!(toml::from_str::<WalConfig>(r#"sync_mode = "sometimes""#).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncMode {
    /// No sync: an append returns once its bytes are handed to the OS
    /// (`write()`). It survives a crash of the process, but **on power loss
    /// the OS-buffered tail is lost**: what recovers is a prefix of what was
    /// acknowledged. Segments are still fsynced when they are rolled over.
    None,
    /// `fsync` (`File::sync_all`) before acknowledging: data and metadata.
    #[default]
    Fsync,
    /// `fdatasync` (`File::sync_data`) before acknowledging: data and the
    /// metadata needed to read it back (the file size), not timestamps.
    Fdatasync,
}

/// Tuning of the write-ahead log. Deserializes from TOML (or any serde
/// format); every field is optional and defaults as documented.
///
/// ```toml
/// batch_size = 128       # records
/// batch_timeout = "0ms"  # humantime: "10ms", "1s", ...
/// segment_size = 67108864
/// sync_mode = "fsync"    # "none" | "fsync" | "fdatasync"
/// ```
///
/// ```
/// use std::time::Duration;
/// use skulk_wal::{SyncMode, WalConfig};
///
/// let config: WalConfig = toml::from_str("batch_size = 16\nbatch_timeout = \"2ms\"")?;
/// assert_eq!(config.batch_size, 16);
/// assert_eq!(config.batch_timeout, Duration::from_millis(2));
/// assert_eq!(config.sync_mode, SyncMode::Fsync); // the default
/// config.validate()?;
/// assert!(WalConfig { batch_size: 0, ..config }.validate().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WalConfig {
    /// Group commit: a committing writer waits (at most `batch_timeout`)
    /// until this many records are pending before it writes and syncs them.
    /// Default 128; 1 to 1,000,000.
    pub batch_size: usize,
    /// Group commit: how long a committing writer waits for `batch_size`
    /// records. Default 0: no waiting; writers that arrive while a sync is
    /// running still share the next one. At most 10 s.
    #[serde(deserialize_with = "crate::duration::deserialize")]
    pub batch_timeout: Duration,
    /// A segment is rolled over when the next record would make it larger
    /// than this many bytes (a single larger record gets a segment of its
    /// own). Default 64 MiB; 256 bytes to 16 GiB. Each segment also holds
    /// a definition of every series it has points of (about 40 bytes plus
    /// the labels, once per series per segment), so keep it well above the
    /// definitions of a typical batch.
    pub segment_size: u64,
    /// How appends are made durable. Default [`SyncMode::Fsync`].
    pub sync_mode: SyncMode,
}

/// The smallest accepted [`WalConfig::segment_size`].
pub const MIN_SEGMENT_SIZE: u64 = 256;

impl Default for WalConfig {
    fn default() -> Self {
        Self {
            batch_size: 128,
            batch_timeout: Duration::ZERO,
            segment_size: 64 << 20,
            sync_mode: SyncMode::Fsync,
        }
    }
}

impl WalConfig {
    /// Checks the limits documented on each field.
    pub fn validate(&self) -> Result<()> {
        check(
            "batch_size",
            self.batch_size,
            1..=MAX_BATCH_SIZE,
            "1 to 1,000,000 records",
        )?;
        check(
            "batch_timeout",
            self.batch_timeout,
            Duration::ZERO..=MAX_BATCH_TIMEOUT,
            "0 to 10s",
        )?;
        check(
            "segment_size",
            self.segment_size,
            MIN_SEGMENT_SIZE..=MAX_SEGMENT_SIZE,
            "256 bytes to 16 GiB",
        )
    }
}

/// The largest accepted [`WalConfig::batch_size`].
pub const MAX_BATCH_SIZE: usize = 1_000_000;
/// The longest accepted [`WalConfig::batch_timeout`]: every commit may wait
/// this long.
pub const MAX_BATCH_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest accepted [`WalConfig::segment_size`].
pub const MAX_SEGMENT_SIZE: u64 = 16 << 30;

fn check<T: PartialOrd + std::fmt::Debug>(
    key: &'static str,
    value: T,
    range: std::ops::RangeInclusive<T>,
    shown: &str,
) -> Result<()> {
    if range.contains(&value) {
        return Ok(());
    }
    Err(WalError::OutOfRange {
        key,
        value: format!("{value:?}"),
        range: shown.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_toml_with_humantime_durations() {
        let config: WalConfig = toml::from_str(
            "batch_size = 64\nbatch_timeout = \"10ms\"\nsegment_size = 1048576\nsync_mode = \"fdatasync\"\n",
        )
        .unwrap();
        assert_eq!(
            config,
            WalConfig {
                batch_size: 64,
                batch_timeout: Duration::from_millis(10),
                segment_size: 1 << 20,
                sync_mode: SyncMode::Fdatasync,
            }
        );
        config.validate().unwrap();
    }

    #[test]
    fn missing_fields_take_defaults() {
        let config: WalConfig = toml::from_str("sync_mode = \"none\"").unwrap();
        assert_eq!(
            config,
            WalConfig {
                sync_mode: SyncMode::None,
                ..WalConfig::default()
            }
        );
        assert_eq!(
            toml::from_str::<WalConfig>("").unwrap(),
            WalConfig::default()
        );
    }

    #[test]
    fn unknown_fields_and_bad_values_are_refused() {
        assert!(toml::from_str::<WalConfig>("batch_sise = 3").is_err());
        assert!(toml::from_str::<WalConfig>("sync_mode = \"always\"").is_err());
        let zero = WalConfig {
            batch_size: 0,
            ..WalConfig::default()
        };
        assert!(matches!(
            zero.validate(),
            Err(WalError::OutOfRange {
                key: "batch_size",
                ..
            })
        ));
        let tiny = WalConfig {
            segment_size: 10,
            ..WalConfig::default()
        };
        assert!(matches!(
            tiny.validate(),
            Err(WalError::OutOfRange {
                key: "segment_size",
                ..
            })
        ));
    }
}
