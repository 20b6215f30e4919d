//! The program around the commands: argument parsing, output buffering,
//! the one-line error report and the exit code.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::commands;
use crate::error::{CliError, Result};

/// Runs a parsed command line, writing its results to `out`.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<()> {
    commands::run(cli, out)?;
    out.flush().map_err(CliError::output)
}

/// Reports a command-line parsing error: help and version go to stdout
/// with exit 0 (and a missing subcommand prints the help, as clap does);
/// any other error is one line on stderr with a hint, exit 2.
fn argument_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if !e.use_stderr() || e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let _ = e.print();
        return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
    }
    eprintln!("skulk: error: {}", one_line_argument_error(e));
    ExitCode::from(2)
}

/// clap's message on one line, without its usage block, with a pointer to
/// `--help`. The message is its first paragraph: a missing argument's name
/// is on the line after "the following required arguments were not
/// provided:".
pub fn one_line_argument_error(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let message: Vec<&str> = text
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty())
        .collect();
    let message = message.join(" ");
    let first = match message.strip_prefix("error: ").unwrap_or(&message) {
        "" => "invalid arguments",
        text => text,
    };
    let tip = text
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("tip: "))
        .map(|t| format!("; {t}"))
        .unwrap_or_default();
    format!("{first}{tip} (see `skulk --help`)")
}

/// The whole program: parses the arguments, runs the command, prints any
/// error as one line on stderr and returns the exit code (see [`CliError`]).
pub fn main_entry() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()));
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        eprintln!(
            "skulk: internal error{}: {} (please report this)",
            location.unwrap_or_default(),
            message.replace('\n', " ")
        );
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return argument_error(&e),
    };
    crate::logging::init(cli.verbose);
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    match run(cli, &mut out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            let _ = out.flush();
            eprintln!("skulk: error: {}", e.one_line());
            e.exit_code()
        }
    }
}
