//! One module per subcommand, and what they share.

mod bench;
mod dump;
mod export;
mod import;
mod import_pipeline;
pub mod inspect;
mod labels;
mod maintenance;
mod output_file;
mod query;
mod repair;
mod report;
mod select;
mod series;
mod shell;
mod sql;
mod verify;

use std::io::Write;
use std::path::{Path, PathBuf};

use skulk_engine::{Engine, EngineConfig, EngineError, OpenOptions};
use skulk_format::storage::EntryKind;

use crate::cli::{Cli, Command};
use crate::disk;
use crate::error::{CliError, Result};

/// The global options every command sees.
#[derive(Debug)]
pub struct Context {
    /// The data directory.
    pub data_dir: PathBuf,
    /// Engine settings (defaults, or the `--config` file).
    pub config: EngineConfig,
}

impl Context {
    /// Opens the engine on the data directory, creating it.
    pub fn create_engine(&self) -> Result<Engine> {
        self.refuse_non_directory()?;
        Ok(Engine::open(&self.data_dir, self.config.clone())?)
    }

    /// A data directory path that names something else (a regular file).
    fn refuse_non_directory(&self) -> Result<()> {
        if disk::entry(&self.data_dir)? == Some(EntryKind::File) {
            return Err(CliError::Usage(format!(
                "data directory {} is a file, not a directory (pass --data-dir)",
                self.data_dir.display()
            )));
        }
        Ok(())
    }

    /// Refuses a data directory that does not exist (or is a file).
    pub fn require_data_dir(&self) -> Result<()> {
        self.refuse_non_directory()?;
        if disk::entry(&self.data_dir)?.is_none() {
            return Err(CliError::Usage(format!(
                "data directory {} does not exist (import data first, or pass --data-dir)",
                self.data_dir.display()
            )));
        }
        Ok(())
    }

    /// Opens the engine on an existing data directory, for writing.
    pub fn open_engine(&self) -> Result<Engine> {
        self.require_data_dir()?;
        self.create_engine()
    }

    /// Opens the engine for a command that only reads: for writing when
    /// the directory is free (so that a crashed writer's WAL is recovered
    /// and its covered segments removed), else, when another process holds
    /// it or it cannot be written, as a read-only snapshot, saying so on
    /// standard error.
    pub fn open_for_reading(&self) -> Result<Engine> {
        self.require_data_dir()?;
        match Engine::open(&self.data_dir, self.config.clone()) {
            Ok(engine) => Ok(engine),
            Err(e) if reads_instead(&e) => {
                eprintln!(
                    "skulk: note: {}; reading a read-only snapshot of {}",
                    e.to_string().lines().next().unwrap_or_default(),
                    self.data_dir.display()
                );
                let options = OpenOptions::existing(&self.data_dir).config(self.config.clone());
                Ok(Engine::open_read_only(options)?)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// `path`, or the data directory when absent.
    pub fn path_or_data_dir<'a>(&'a self, path: Option<&'a Path>) -> &'a Path {
        path.unwrap_or(&self.data_dir)
    }
}

/// True when a reading command can still read what `open` refused: the
/// directory is in use by another process, or cannot be written.
fn reads_instead(e: &EngineError) -> bool {
    use std::io::ErrorKind;
    let in_use = matches!(
        e,
        EngineError::DirectoryInUse { .. }
            | EngineError::Wal(skulk_wal::WalError::DirectoryInUse { .. })
    );
    in_use
        || matches!(
            e.io_kind(),
            Some(ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem)
        )
}

/// Runs the parsed command line, writing results to `out`.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<()> {
    let config = crate::config::load(cli.config.as_deref())?;
    let ctx = Context {
        data_dir: cli.data_dir,
        config,
    };
    let name = cli.command.name();
    let span = tracing::info_span!("command", name, data_dir = %ctx.data_dir.display());
    let _entered = span.enter();
    let started = std::time::Instant::now();
    tracing::debug!(config_file = cli.config.is_some(), "starting");
    let result = dispatch(&ctx, cli.command, out);
    match &result {
        Ok(()) => tracing::info!(seconds = started.elapsed().as_secs_f64(), "done"),
        Err(e) => tracing::info!(error = %e.one_line(), "failed"),
    }
    result
}

fn dispatch(ctx: &Context, command: Command, out: &mut dyn Write) -> Result<()> {
    match command {
        Command::Import(args) => import::run(ctx, &args, out),
        Command::Query(args) => query::run(ctx, &args, out),
        Command::Export(args) => export::run(ctx, &args, out),
        Command::Sql(args) => sql::run(ctx, &args, out),
        Command::Inspect(args) => inspect::run(ctx, &args, out),
        Command::Dump(args) => dump::run(&args.path, (!args.all).then_some(args.points), out),
        Command::Verify(args) => verify::run(ctx.path_or_data_dir(args.path.as_deref()), out),
        Command::Repair(args) => repair::run(ctx, &args, out),
        Command::Delete(args) => maintenance::delete(ctx, &args, out),
        Command::Compact => maintenance::compact(ctx, out),
        Command::Stats(args) => maintenance::stats(ctx, &args, out),
        Command::Report(args) => report::run(ctx, &args, out),
        Command::Labels(args) => labels::run(ctx, &args, out),
        Command::Series(args) => series::run(ctx, &args, out),
        Command::Completions(args) => shell::completions(&args, out),
        Command::Man(args) => shell::man(&args, out),
        Command::Bench(args) => bench::run(ctx, &args, out),
    }
}
