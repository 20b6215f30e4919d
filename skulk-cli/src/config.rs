//! The `--config` TOML file: engine settings.

use std::path::Path;

use skulk_engine::{EngineConfig, EngineError};

use crate::error::{CliError, Result};

/// The engine configuration: defaults, or the file at `path`.
pub fn load(path: Option<&Path>) -> Result<EngineConfig> {
    let Some(path) = path else {
        return Ok(EngineConfig::default());
    };
    let fail = |reason: String| CliError::Config {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read it: {e}")))?;
    EngineConfig::from_toml_str(&text).map_err(|e| match e {
        EngineError::Config(toml_error) => {
            let line = toml_error.span().map(|span| line_of(&text, span.start));
            let message = toml_error.message().trim().replace('\n', " ");
            match line {
                Some(line) => fail(format!("line {line}: {message}")),
                None => fail(message),
            }
        }
        other => fail(CliError::from(other).one_line()),
    })
}

/// The 1-based line holding byte `offset` of `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()
        .get(..end)
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("skulk.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn reads_settings() {
        let (_dir, path) = write("flush_points = 5\npartition_duration = \"1h\"\n");
        let config = load(Some(&path)).unwrap();
        assert_eq!(config.flush_points, 5);
    }

    #[test]
    fn unknown_keys_name_the_key_and_line() {
        let (_dir, path) = write("flush_points = 5\nflush_pionts = 3\n");
        let err = load(Some(&path)).unwrap_err();
        let text = err.one_line();
        assert!(
            text.contains("flush_pionts") && text.contains("line 2"),
            "{text}"
        );
        assert!(!text.contains('\n'));
        assert!(matches!(err, CliError::Config { .. }));
    }

    #[test]
    fn missing_file_and_bad_values_are_config_errors() {
        assert!(matches!(
            load(Some(Path::new("/nonexistent/x.toml"))),
            Err(CliError::Config { .. })
        ));
        let (_dir, path) = write("block_points = 0\n");
        assert!(matches!(load(Some(&path)), Err(CliError::Config { .. })));
        assert_eq!(load(None).unwrap(), EngineConfig::default());
    }
}
