//! `prologue bench`: runs one workload on prologue (and, with `--baseline`, on `Box` in the same
//! process) and prints a report, as text or as one JSON object.

use super::report::{BenchReport, Comparison};
use super::{emit, failure, plot, progress, usage_error};
use prologue::{Config, DrainPolicy};
use prologue_workloads::{Engine, Params, Workload};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `prologue bench` (also accepted with no subcommand).
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// The workload to run.
    #[arg(long, value_enum, default_value_t = WorkloadArg::BinaryTrees)]
    workload: WorkloadArg,

    /// The workload's size knob [default: binary-trees 19, gcbench 16, pool-churn 10, latency
    /// 20]. binary-trees: maximum tree depth (4..=22); gcbench: long-lived tree depth (4..=20);
    /// pool-churn: 2^N rounds of 100 buffers per thread (0..=20); latency: levels of the live
    /// tree, 2^N - 1 nodes (9..=23).
    #[arg(long, value_name = "N")]
    depth: Option<u32>,

    /// Timed rounds of the latency workload (1..=10000000) [default: 100000, 2000 with
    /// PROLOGUE_SHORT=1].
    #[arg(long, value_name = "N")]
    rounds: Option<u64>,

    /// Collect when the heap has grown by P percent over what the last cycle found live
    /// (Go's GOGC; 0 collects whenever it grows past that, always above the 4 MiB floor).
    #[arg(long, value_name = "P", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(0..=100_000))]
    gc_percent: u32,

    /// What a collection does to pooled values: drop them all (drain), or keep them one more
    /// cycle (victim, Go 1.13+).
    #[arg(long, value_enum, default_value_t = PolicyArg::Drain)]
    policy: PolicyArg,

    /// Run every full cycle stop-the-world (Config::incremental off) instead of in steps.
    #[arg(long)]
    stop_the_world: bool,

    /// How long one incremental step may stop the program; young cycles are sized to half of
    /// it (Config::pause_target) [default: 250us]. Between 10us and 1s.
    #[arg(long, value_name = "DURATION", value_parser = parse_pause_target)]
    pause_target: Option<std::time::Duration>,

    /// Mutator threads (pool-churn only).
    #[arg(long, value_name = "N", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(1..=64))]
    threads: u32,

    /// Also run the workload with plain Box/Vec in this process and report the ratio.
    #[arg(long)]
    baseline: bool,

    /// Run only the plain Box/Vec program and print its output, wall time and round times:
    /// a process of its own, so that `/usr/bin/time -v` gives the baseline's peak RSS.
    #[arg(long, conflicts_with_all = ["baseline", "json", "plot"])]
    baseline_only: bool,

    /// Print one JSON object instead of the text report.
    #[arg(long)]
    json: bool,

    /// Add a census of the heap at the end of the run to the report: objects and bytes per
    /// Rust type, largest first (garbage no cycle has freed yet included).
    #[arg(long)]
    census: bool,

    /// Write an SVG to FILE: every pause over the run by kind, the minimum mutator utilisation
    /// curve, and the pause histogram.
    #[arg(long, value_name = "FILE.svg")]
    plot: Option<PathBuf>,
}

/// The workloads, as the command line names them.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum WorkloadArg {
    /// The Benchmarks Game's binary-trees.
    BinaryTrees,
    /// A GCBench-like program: long-lived data, short-lived trees.
    #[value(name = "gcbench")]
    GcBench,
    /// Threads churning buffers through static pools while their heaps collect.
    PoolChurn,
    /// A large live tree and small trees in timed rounds: round times next to the pauses.
    Latency,
}

impl From<WorkloadArg> for Workload {
    fn from(arg: WorkloadArg) -> Workload {
        match arg {
            WorkloadArg::BinaryTrees => Workload::BinaryTrees,
            WorkloadArg::GcBench => Workload::GcBench,
            WorkloadArg::PoolChurn => Workload::PoolChurn,
            WorkloadArg::Latency => Workload::Latency,
        }
    }
}

/// The drain policies, as the command line names them.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum PolicyArg {
    /// Every collection drops every pooled value.
    Drain,
    /// A pooled value survives one collection in a victim cache.
    Victim,
}

impl From<PolicyArg> for DrainPolicy {
    fn from(arg: PolicyArg) -> DrainPolicy {
        match arg {
            PolicyArg::Drain => DrainPolicy::Drain,
            PolicyArg::Victim => DrainPolicy::Victim,
        }
    }
}

impl BenchArgs {
    /// The workload parameters these arguments describe, or a message for the user.
    fn params(&self) -> Result<Params, String> {
        let workload = Workload::from(self.workload);
        let depth = self.depth.unwrap_or_else(|| workload.default_depth());
        let mut params = Params::new(workload, depth);
        params.config = Config::default().gc_percent(self.gc_percent);
        if self.stop_the_world {
            params.config = params.config.incremental(false);
        }
        if let Some(target) = self.pause_target {
            params.config = params.config.pause_target(target);
        }
        params.policy = self.policy.into();
        params.threads = self.threads as usize;
        params.rounds = self.rounds;
        params.census = self.census;
        params.validate()?;
        Ok(params)
    }

    fn policy_name(&self) -> &'static str {
        match self.policy {
            PolicyArg::Drain => "drain",
            PolicyArg::Victim => "victim",
        }
    }
}

/// Parses `--pause-target`: a duration (`250us`, `1ms`) between 10 us and 1 s.
fn parse_pause_target(s: &str) -> Result<std::time::Duration, String> {
    let target = super::run::parse_duration(s)?;
    if target < std::time::Duration::from_micros(10) || target > std::time::Duration::from_secs(1) {
        return Err(format!("pause target {s} is outside 10us..=1s"));
    }
    Ok(target)
}

/// Checks that the plot can be written where asked, before spending time on the run.
fn check_plot_path(path: &std::path::Path) -> Result<(), String> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    if !parent.is_dir() {
        return Err(format!(
            "cannot write the plot to {}: directory {} does not exist",
            path.display(),
            parent.display()
        ));
    }
    if path.is_dir() {
        return Err(format!(
            "cannot write the plot to {}: it is a directory",
            path.display()
        ));
    }
    Ok(())
}

/// Runs `prologue bench`.
pub fn execute(args: BenchArgs) -> ExitCode {
    let params = match args.params() {
        Ok(params) => params,
        Err(message) => return usage_error(message),
    };
    if let Some(path) = &args.plot {
        if let Err(message) = check_plot_path(path) {
            return usage_error(message);
        }
    }
    let workload = params.workload;
    if args.baseline_only {
        return baseline_only(workload, &params);
    }
    let show_progress = !args.json && progress::stderr_is_terminal();

    let spinner = show_progress
        .then(|| progress::spinner(format!("{workload} (depth {}) on prologue", params.depth)));
    let run = workload.run(Engine::Prologue, &params);
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }

    let comparison = args.baseline.then(|| {
        let spinner = show_progress
            .then(|| progress::spinner(format!("{workload} (depth {}) on Box", params.depth)));
        let baseline = workload.run(Engine::Baseline, &params);
        if let Some(spinner) = spinner {
            spinner.finish_and_clear();
        }
        Comparison::new(&run, &baseline)
    });

    let report = BenchReport::new(&run, &params, args.policy_name(), comparison);
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => emit(&(text + "\n")),
            Err(e) => return failure(format_args!("could not encode the report: {e}")),
        }
    } else {
        emit(&report.render_text(&run));
    }

    if let Some(path) = &args.plot {
        let gc = run.gc.clone().unwrap_or_default();
        if let Err(e) = plot::write_svg(path, &report.title(), &gc, run.wall) {
            return failure(format_args!("could not write {}: {e}", path.display()));
        }
        if !args.json {
            emit(&format!("plot written to {}\n", path.display()));
        }
    }

    if report.output_matches_baseline == Some(false) {
        return failure("the prologue run's output differs from the Box baseline's");
    }
    ExitCode::SUCCESS
}

/// `--baseline-only`: the Box/Vec program alone, with the figures it has of its own.
fn baseline_only(workload: Workload, params: &Params) -> ExitCode {
    let run = workload.run(Engine::Baseline, params);
    let mut out = format!(
        "prologue bench: {workload} depth {} on Box only\n",
        params.depth
    );
    for line in run.output.lines() {
        out += &format!("  | {line}\n");
    }
    out += &format!(
        "  wall time                   {:.3} s\n",
        run.wall.as_secs_f64()
    );
    if let Some(rounds) = &run.rounds {
        let us = |q: f64| rounds.quantile(q).as_secs_f64() * 1e6;
        out += &format!(
            "  rounds p50 / p99 / p99.9 / max  {:.1} / {:.1} / {:.1} / {:.1} us\n",
            us(0.5),
            us(0.99),
            us(0.999),
            us(1.0)
        );
    }
    emit(&out);
    ExitCode::SUCCESS
}
