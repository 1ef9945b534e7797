//! `prologue run FILE.scm` (skeleton; the interpreter issue fills it in).

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `prologue run`.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The Scheme program to run.
    pub file: Option<PathBuf>,
}

/// Runs `prologue run`.
pub fn execute(args: RunArgs) -> ExitCode {
    let _ = crate::scheme::placeholder();
    eprintln!(
        "prologue run {:?}: the interpreter is not built yet",
        args.file
    );
    ExitCode::from(1)
}
