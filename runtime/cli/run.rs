//! `prologue run [FILE.scm]`: runs a Scheme program on a prologue heap (see
//! `crate::scheme`). With no file, a REPL on a terminal, else the program is read from stdin.
//!
//! Exit status: 0 when the program ran to the end, 1 when it failed (syntax or runtime error,
//! printed as `FILE:LINE:COL: error: message`), 2 for usage errors (bad flag, missing file).

use std::cell::Cell;
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

use crate::scheme::error::{Pos, SchemeError};
use crate::scheme::{self, Interpreter, Options};

/// Arguments of `prologue run`.
#[derive(clap::Args, Debug, Clone)]
pub struct RunArgs {
    /// The Scheme program to run (default: a REPL on a terminal, else standard input).
    pub file: Option<PathBuf>,
    /// GOGC-style pacing: collect when the heap has grown by P% over the live size.
    #[arg(long, value_name = "P")]
    pub gc_percent: Option<u32>,
    /// Print the heap's cycle and pause summary on stderr at exit.
    #[arg(long)]
    pub gc_stats: bool,
    /// Print a census of the heap on stderr at exit: objects and bytes per Rust type, the
    /// largest first (garbage no cycle has freed yet included).
    #[arg(long)]
    pub gc_census: bool,
    /// Hard heap limit, e.g. 64M, 1G, 512K or a byte count; passing it is the script error
    /// "heap limit exceeded".
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_heap: Option<usize>,
    /// Stop the program after this much wall time, e.g. 5s, 500ms, 2m.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// Stop the program after N evaluation steps.
    #[arg(long, value_name = "N")]
    pub fuel: Option<u64>,
    /// Most pending (non-tail) calls before "stack depth exceeded".
    #[arg(long, value_name = "N", default_value_t = scheme::DEFAULT_MAX_DEPTH)]
    pub max_depth: usize,
    /// Collect at every allocation and verify the heap after each cycle (slow; finds missing
    /// roots). Also on with PROLOGUE_GC_TORTURE=1.
    #[arg(long)]
    pub torture: bool,
}

/// Parses `64M`, `1G`, `512K`, `4096` (binary units).
pub fn parse_size(s: &str) -> Result<usize, String> {
    let s = s.trim();
    let (digits, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, ""),
    };
    let n: usize = digits
        .parse()
        .map_err(|_| format!("bad size '{s}': expected a number like 64M"))?;
    let shift = match unit.to_ascii_uppercase().trim_end_matches(['B', 'I']) {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        _ => return Err(format!("bad size unit in '{s}': use K, M or G")),
    };
    n.checked_mul(1usize << shift)
        .ok_or_else(|| format!("size '{s}' is too large"))
}

/// Parses `5s`, `500ms`, `250us`, `2m`, `1.5s` or a plain number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("bad duration '{s}': expected e.g. 5s or 500ms"))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1e3,
        "us" | "µs" => n / 1e6,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("bad duration unit in '{s}': use us, ms, s, m or h")),
    };
    Duration::try_from_secs_f64(secs).map_err(|e| format!("bad duration '{s}': {e}"))
}

impl RunArgs {
    fn options(&self) -> Options {
        let mut options = Options::default();
        if let Some(p) = self.gc_percent {
            options.heap.gc_percent = p;
        }
        options.heap.max_heap_bytes = self.max_heap;
        options.heap.torture |= self.torture;
        options.fuel = self.fuel;
        options.timeout = self.timeout;
        options.max_depth = self.max_depth;
        options
    }
}

/// Stack of the thread the interpreter runs on. The machine itself needs little native stack
/// (its continuations live on the heap); the reader and compiler recurse over nesting, which
/// the reader bounds, and this leaves them a wide margin in debug builds too.
const INTERPRETER_STACK: usize = 256 << 20;

/// Runs `prologue run`.
pub fn execute(args: RunArgs) -> ExitCode {
    let (name, source) = match &args.file {
        Some(path) => match std::fs::read(path) {
            Ok(bytes) => (path.display().to_string(), bytes),
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", path.display());
                return ExitCode::from(2);
            }
        },
        None if std::io::stdin().is_terminal() => {
            let args = args.clone();
            return run_on_big_stack(move || scheme::repl::run(args.options()));
        }
        None => {
            let mut bytes = Vec::new();
            if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
                eprintln!("error: cannot read standard input: {e}");
                return ExitCode::from(2);
            }
            ("<stdin>".to_string(), bytes)
        }
    };
    run_on_big_stack(move || run_program(&args, &name, &source))
}

fn run_on_big_stack(f: impl FnOnce() -> u8 + Send + 'static) -> ExitCode {
    let handle = std::thread::Builder::new()
        .name("scheme".into())
        .stack_size(INTERPRETER_STACK)
        .spawn(move || {
            // The last line of defence: the interpreter turns every script failure into an
            // error value, so a panic here is a bug in the interpreter, reported as such.
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
                let _ = std::io::stdout().flush();
                eprintln!("prologue run: internal error (this is a bug in the interpreter)");
                1
            })
        });
    match handle.map(|h| h.join()) {
        Ok(Ok(code)) => ExitCode::from(code),
        _ => {
            eprintln!("prologue run: could not run the interpreter thread");
            ExitCode::from(1)
        }
    }
}

/// Runs a whole program; returns the exit status.
fn run_program(args: &RunArgs, name: &str, source: &[u8]) -> u8 {
    let src = match std::str::from_utf8(source) {
        Ok(s) => s,
        Err(e) => {
            let valid = &source[..e.valid_up_to()];
            let text = String::from_utf8_lossy(valid);
            let line = text.matches('\n').count() as u32 + 1;
            let col = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
            let err = SchemeError::at(Pos::new(line, col), "the program is not valid UTF-8");
            eprintln!("{}", err.render(name));
            return 1;
        }
    };
    let out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout());
    let mut interp = Interpreter::new(args.options(), Box::new(out));
    let drained = Rc::new(Cell::new((0u64, 0u64)));
    if args.gc_stats {
        let counter = Rc::clone(&drained);
        interp.heap().on_cycle(move |cycle| {
            let (pools, items) = counter.get();
            counter.set((
                pools + cycle.pools_drained as u64,
                items + cycle.pool_items_drained as u64,
            ));
        });
    }
    let started = std::time::Instant::now();
    let result = interp.run_source(src);
    let flushed = interp.flush();
    let wall = started.elapsed();
    let status = match result.and(flushed) {
        Ok(_) => 0,
        Err(e) => {
            eprintln!("{}", e.render(name));
            eprint!("{}", e.render_backtrace(name));
            1
        }
    };
    if args.gc_stats {
        eprint!("{}", gc_summary(&interp, drained.get(), wall));
    }
    if args.gc_census {
        eprint!("{}", gc_census(&interp));
    }
    status
}

/// Rows of the `--gc-census` table.
const CENSUS_ROWS: usize = 20;

/// The `--gc-census` report: the census table, each line prefixed like `--gc-stats`'s.
fn gc_census(interp: &Interpreter) -> String {
    let mut out = format!(
        "gc-census: the heap at exit by type, top {CENSUS_ROWS} (garbage no cycle has freed yet included)\n"
    );
    match interp.heap().census() {
        Ok(census) => {
            for line in format!("{census:.CENSUS_ROWS$}").lines() {
                out.push_str("gc-census: ");
                out.push_str(line);
                out.push('\n');
            }
        }
        Err(e) => out.push_str(&format!("gc-census: {e}\n")),
    }
    out
}

/// The `--gc-stats` report.
fn gc_summary(
    interp: &Interpreter,
    (pool_visits, items_drained): (u64, u64),
    wall: Duration,
) -> String {
    let s = interp.heap().stats();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mib = |b: usize| b as f64 / (1024.0 * 1024.0);
    let stacks = interp.stack_pool_stats();
    let share = s.pause_total.as_secs_f64() / wall.as_secs_f64().max(1e-9) * 100.0;
    let strings = scheme::ctx::STRING_BUFFERS.stats();
    format!(
        "gc-stats: run {:.3} ms of wall time, {:.1}% of it in collection pauses\n\
         gc-stats: {} cycles; pause total {:.3} ms, max {:.3} ms, p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms\n\
         gc-stats: heap {:.2} MiB in {} objects at exit, peak {:.2} MiB; {} objects allocated ({:.1} MiB), {} freed\n\
         gc-stats: pools drained by the cycles: {} pool visits, {} items dropped\n\
         gc-stats: value-stack pool: {} gets, {} news, {} puts, {} drained; string-buffer pool: {} gets, {} news, {} puts, {} drained\n",
        ms(wall),
        share,
        s.cycles,
        ms(s.pause_total),
        ms(s.pause_max),
        ms(s.pause_p50),
        ms(s.pause_p90),
        ms(s.pause_p99),
        mib(s.bytes),
        s.objects,
        mib(s.peak_bytes),
        s.allocations,
        s.bytes_allocated as f64 / (1024.0 * 1024.0),
        s.objects_freed,
        pool_visits,
        items_drained,
        stacks.gets,
        stacks.news,
        stacks.puts,
        stacks.drained,
        strings.gets,
        strings.news,
        strings.puts,
        strings.drained,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert_eq!(parse_size("512K"), Ok(512 << 10));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("2MiB"), Ok(2 << 20));
        assert!(parse_size("12X").is_err());
        assert!(parse_size("M").is_err());
    }

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("250us"), Ok(Duration::from_micros(250)));
        assert_eq!(parse_duration("1.5µs"), Ok(Duration::from_nanos(1500)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("s").is_err());
    }
}
