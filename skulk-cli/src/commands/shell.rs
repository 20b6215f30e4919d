//! `skulk completions` and `skulk man`: shell completion scripts
//! (clap_complete) and manual pages (clap_mangen), generated from the
//! command-line definition itself.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::error::{CliError, Result};

/// Runs `completions`: the script for the shell, on `out`.
pub fn completions(args: &CompletionsArgs, out: &mut dyn Write) -> Result<()> {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "skulk", out);
    Ok(())
}

/// Runs `man`: the `skulk(1)` page on `out`, or with `--dir` one page per
/// command (`skulk.1`, `skulk-import.1`, ...) in that directory.
pub fn man(args: &ManArgs, out: &mut dyn Write) -> Result<()> {
    let command = Cli::command();
    match &args.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(CliError::io(dir))?;
            clap_mangen::generate_to(command, dir).map_err(CliError::io(dir))
        }
        None => clap_mangen::Man::new(command)
            .render(out)
            .map_err(CliError::output),
    }
}
