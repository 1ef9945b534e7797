//! Argument parsing and dispatch for the `prologue` command line (skeleton).

pub mod run;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// prologue: a garbage-collected runtime with object pools built into the collector.
#[derive(Parser, Debug)]
#[command(name = "prologue", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a Scheme program on a prologue heap.
    Run(run::RunArgs),
}

/// Parses the command line and runs the chosen subcommand.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command {
        Some(Command::Run(args)) => run::execute(args),
        None => {
            println!("{:?}", prologue::clear_pools());
            ExitCode::SUCCESS
        }
    }
}
