//! The `prologue` command line: `bench` (the default), `stress` and `run`.

mod cli;
mod scheme;

fn main() -> std::process::ExitCode {
    cli::main()
}
