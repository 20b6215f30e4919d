//! Logging to standard error with `tracing`: off but for warnings by
//! default, `-v` info, `-vv` debug, `-vvv` trace; `RUST_LOG` (an
//! `EnvFilter` directive such as `skulk_cli=debug,skulk_engine=info`)
//! takes precedence. Spans and events of the engine show up the same way.

use tracing_subscriber::EnvFilter;

/// The filter `-v` given `verbose` times selects.
fn level(verbose: u8) -> &'static str {
    match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    }
}

/// Installs the global subscriber; a second call does nothing.
pub fn init(verbose: u8) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.trim().is_empty() => EnvFilter::new(directives),
        _ => EnvFilter::new(level(verbose)),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_v_more_detail() {
        assert_eq!(
            [0, 1, 2, 3, 9].map(level),
            ["warn", "info", "debug", "trace", "trace"]
        );
    }
}
