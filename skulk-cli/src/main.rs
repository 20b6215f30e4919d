//! The `skulk` binary: see the crate README.
fn main() -> std::process::ExitCode {
    skulk_cli::main_entry()
}
