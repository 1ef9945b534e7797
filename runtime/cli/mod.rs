//! Argument parsing and dispatch for the `prologue` command line: `bench` (also what runs with no
//! subcommand), `stress` and `run`.
//!
//! Exit status: 0 on success, 1 when the work itself failed (a verification mismatch, a file that
//! could not be written), 2 on bad input (clap's usage errors and our own range checks).

pub mod bench;
mod plot;
mod progress;
mod report;
pub mod run;
pub mod stress;

use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;

/// prologue: a garbage-collected runtime with object pools built into the collector.
///
/// With no subcommand, runs `bench` (the flags of `bench` may be given directly).
#[derive(Parser, Debug)]
#[command(
    name = "prologue",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    bench: bench::BenchArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a workload on prologue and report wall time, pauses, heap and pool figures (default).
    Bench(bench::BenchArgs),
    /// Soak test: threads with their own heaps and shared pools, checked against a model.
    Stress(stress::StressArgs),
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
        Some(Command::Bench(args)) => bench::execute(args),
        Some(Command::Stress(args)) => stress::execute(args),
        Some(Command::Run(args)) => run::execute(args),
        None => bench::execute(cli.bench),
    }
}

/// Reports bad input the way clap reports its own usage errors (`error: ...`, a hint, exit 2).
pub(crate) fn usage_error(message: impl std::fmt::Display) -> ExitCode {
    let error = Cli::command().error(clap::error::ErrorKind::ValueValidation, message);
    let _ = error.print();
    ExitCode::from(2)
}

/// Writes `text` to stdout. A closed pipe (`prologue bench | head -3`) is not an error worth a
/// panic: the rest of the output is dropped.
pub(crate) fn emit(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// Reports a failure of the work itself on stderr and returns exit status 1.
pub(crate) fn failure(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("prologue: {message}");
    ExitCode::FAILURE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn no_subcommand_means_bench_with_its_flags() {
        let cli = Cli::try_parse_from(["prologue", "--depth", "12", "--json"]).unwrap();
        assert!(cli.command.is_none());
        let cli = Cli::try_parse_from(["prologue", "bench", "--baseline"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Bench(_))));
        assert!(Cli::try_parse_from(["prologue", "--depth", "12", "stress"]).is_err());
    }
}
