//! `prologue stress`: a bounded soak. Mutator threads each own a heap holding a random object
//! graph mirrored in a model ([`graph`]), and share two static pools of buffers ([`buffers`])
//! that every thread's collections drain. The heaps run young cycles (a small nursery) as well
//! as full ones. Each thread checks its heap against its model after every young cycle (what
//! it may and must have freed, and that everything reachable is intact), exactly after every
//! explicit collection, and once more at the end; the main thread then drains the pools and
//! checks the buffers' counts. Any mismatch is printed and the exit status is 1.

mod buffers;
mod graph;

use super::{emit, failure, progress};
use graph::{Graph, GraphCounts, Limits};
use prologue::{Config, Heap};
use prologue_workloads::short_mode;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::fmt::Write as _;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Arguments of `prologue stress`.
#[derive(clap::Args, Debug)]
pub struct StressArgs {
    /// Mutator threads, each with its own heap.
    #[arg(long, value_name = "N", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(1..=64))]
    threads: u32,

    /// How long to run, in seconds (fractions allowed).
    #[arg(long, value_name = "S", default_value_t = 10.0, value_parser = parse_seconds)]
    seconds: f64,

    /// Seed of the random operations (each thread derives its own from it).
    #[arg(long, value_name = "X", default_value_t = 1)]
    seed: u64,

    /// Print the summary as one JSON object.
    #[arg(long)]
    json: bool,
}

/// Accepts a number of seconds in `(0, 86400]`.
fn parse_seconds(text: &str) -> Result<f64, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if seconds > 0.0 && seconds <= 86_400.0 {
        Ok(seconds)
    } else {
        Err(format!(
            "{text} is out of range: expected more than 0 and at most 86400"
        ))
    }
}

/// What one thread reports.
struct ThreadReport {
    steps: u64,
    graph: GraphCounts,
    buffer_gets: u64,
    buffer_puts: u64,
    failures: Vec<String>,
}

/// Steps between explicit collections, at most (the exact count is random): long enough for
/// several young cycles in between, so old garbage outlives young cycles.
const MAX_STEPS_BETWEEN_CHECKS: u64 = 10_000;

/// The main heaps' nursery: a young cycle every few hundred allocations.
const MAIN_NURSERY: usize = 16 << 10;

/// The nursery of the odd threads' second heaps: a young cycle every eight holders or so.
const SIDE_NURSERY: usize = 512;

fn run_thread(thread: usize, seed: u64, deadline: Instant, steps_done: &AtomicU64) -> ThreadReport {
    let mut rng =
        SmallRng::seed_from_u64(seed ^ (thread as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    // Young cycles on, with a small nursery so they run often (several between two explicit
    // collections): their release step is the newest and riskiest code in the collector, and
    // the model checks what a young cycle may and must free. A small floor also makes pacing
    // start full cycles (lazy ones) between the explicit ones.
    //
    // Full cycles stay stop-the-world (`incremental: false`, whatever the environment says):
    // the model applies a full cycle as "the pool was drained and everything unreachable
    // freed", which an incremental cycle only promises for what was unreachable when it
    // started. The gc crate's own model (gc/tests/model.rs) checks incremental cycles.
    let heap = Heap::with_config(
        Config::default()
            .min_heap_bytes(64 << 10)
            .young_bytes(MAIN_NURSERY)
            .incremental(false),
    );
    let limits = if short_mode() {
        Limits {
            roots: 32,
            objects: 400,
        }
    } else {
        Limits {
            roots: 128,
            objects: 4000,
        }
    };
    // A second heap whose objects hold handles into the first. Even threads give it the
    // default config (what every program gets: cycles here are mostly the explicit ones); odd
    // threads a tiny nursery, so its young cycles free released holders between explicit
    // collections, and their release step drops handles into the main heap. Both keep the
    // default 4 MiB floor, which the few holders never reach: a paced cycle would sweep lazily,
    // and a released holder whose page is not swept yet would still hold its target when the
    // main heap's full check counts it.
    let side = Heap::with_config(if thread % 2 == 0 {
        Config::default().incremental(false)
    } else {
        Config::default()
            .young_bytes(SIDE_NURSERY)
            .incremental(false)
    });
    let mut graph = Graph::new(&heap, &side, limits);
    let mut hands = buffers::BufferHands::new(thread);
    let mut buffer_failures = Vec::new();
    let mut steps = 0u64;
    let mut next_check = rng.random_range(1..MAX_STEPS_BETWEEN_CHECKS);
    loop {
        if steps % 64 == 0 {
            steps_done.fetch_add(64, Ordering::Relaxed);
            if Instant::now() >= deadline {
                break;
            }
        }
        steps += 1;
        match rng.random_range(0..20) {
            0 => record(&mut buffer_failures, hands.take(rng.random_bool(0.5))),
            1 => record(
                &mut buffer_failures,
                hands.give_back(rng.random_range(0..8)),
            ),
            2 => {
                let (victim, keep) = (rng.random_bool(0.5), rng.random_bool(0.3));
                record(&mut buffer_failures, hands.take_guarded(victim, keep))
            }
            _ => graph.step(&mut rng),
        }
        if graph.has_failed() {
            break;
        }
        if steps == next_check {
            graph.collect_and_check();
            next_check = steps + rng.random_range(1..MAX_STEPS_BETWEEN_CHECKS);
        }
    }
    record(&mut buffer_failures, hands.give_back_all());
    let (counts, mut failures) = graph.finish();
    failures.extend(buffer_failures);
    ThreadReport {
        steps,
        graph: counts,
        buffer_gets: hands.gets,
        buffer_puts: hands.puts,
        failures,
    }
}

fn record(failures: &mut Vec<String>, result: Result<(), String>) {
    if let Err(message) = result {
        if failures.len() < 20 {
            failures.push(message);
        }
    }
}

/// Runs `prologue stress`.
pub fn execute(args: StressArgs) -> ExitCode {
    let threads = args.threads as usize;
    let duration = Duration::from_secs_f64(args.seconds);
    let start = Instant::now();
    let deadline = start + duration;
    let steps_done = AtomicU64::new(0);
    let bar = (!args.json && progress::stderr_is_terminal())
        .then(|| progress::timed_bar(duration.as_secs().max(1)));

    let joined: Vec<std::thread::Result<ThreadReport>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let steps_done = &steps_done;
                std::thread::Builder::new()
                    .name(format!("stress-{t}"))
                    .spawn_scoped(scope, move || {
                        run_thread(t, args.seed, deadline, steps_done)
                    })
            })
            .collect();
        if let Some(bar) = &bar {
            while workers
                .iter()
                .any(|w| w.as_ref().is_ok_and(|w| !w.is_finished()))
            {
                std::thread::sleep(Duration::from_millis(100));
                bar.set_position(start.elapsed().as_secs().min(duration.as_secs().max(1)));
                bar.set_message(format!("{} steps", steps_done.load(Ordering::Relaxed)));
            }
            bar.finish_and_clear();
        }
        workers
            .into_iter()
            .map(|w| match w {
                Ok(handle) => handle.join(),
                Err(e) => Err(Box::new(format!("could not start a thread: {e}")) as _),
            })
            .collect()
    });

    let mut failures = Vec::new();
    let mut reports = Vec::new();
    for (t, result) in joined.into_iter().enumerate() {
        match result {
            Ok(report) => {
                failures.extend(report.failures.iter().map(|f| format!("thread {t}: {f}")));
                reports.push(report);
            }
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("(no message)");
                failures.push(format!("thread {t} panicked: {message}"));
            }
        }
    }
    let gets = reports.iter().map(|r| r.buffer_gets).sum();
    let puts = reports.iter().map(|r| r.buffer_puts).sum();
    let audit = buffers::drain_and_audit();
    if reports.len() == threads {
        failures.extend(audit.mismatches(gets, puts));
    }

    let summary = Summary::new(&args, start.elapsed(), &reports, &audit, &failures);
    if args.json {
        match serde_json::to_string_pretty(&summary) {
            Ok(text) => emit(&(text + "\n")),
            Err(e) => return failure(format_args!("could not encode the summary: {e}")),
        }
    } else {
        emit(&summary.render_text());
    }
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        for f in &failures {
            eprintln!("prologue stress: {f}");
        }
        failure(format_args!(
            "{} mismatch(es) between the heaps and their models (seed {})",
            failures.len(),
            args.seed
        ))
    }
}

/// The summary `prologue stress` prints.
#[derive(serde::Serialize)]
struct Summary {
    threads: u32,
    seconds: f64,
    seed: u64,
    steps: u64,
    objects_allocated: u64,
    cycles: u64,
    young_cycles: u64,
    objects_released: u64,
    young_garbage_checked: u64,
    side_cycles: u64,
    side_holders_freed_young: u64,
    full_checks: u64,
    weak_checks: u64,
    weak_revived: u64,
    peak_model_objects: usize,
    buffer_gets: u64,
    buffer_news: u64,
    buffer_puts: u64,
    buffers_drained: u64,
    buffers_created: u64,
    buffers_dropped: u64,
    ok: bool,
    failures: Vec<String>,
}

impl Summary {
    fn new(
        args: &StressArgs,
        elapsed: Duration,
        reports: &[ThreadReport],
        audit: &buffers::BufferAudit,
        failures: &[String],
    ) -> Summary {
        let sum = |f: fn(&ThreadReport) -> u64| reports.iter().map(f).sum::<u64>();
        Summary {
            threads: args.threads,
            seconds: elapsed.as_secs_f64(),
            seed: args.seed,
            steps: sum(|r| r.steps),
            objects_allocated: sum(|r| r.graph.allocated),
            cycles: sum(|r| r.graph.cycles),
            young_cycles: sum(|r| r.graph.young_cycles),
            objects_released: sum(|r| r.graph.released),
            young_garbage_checked: sum(|r| r.graph.young_garbage),
            side_cycles: sum(|r| r.graph.side_cycles),
            side_holders_freed_young: sum(|r| r.graph.holders_freed_young),
            full_checks: sum(|r| r.graph.checks),
            weak_checks: sum(|r| r.graph.weak_checks),
            weak_revived: sum(|r| r.graph.revived),
            peak_model_objects: reports
                .iter()
                .map(|r| r.graph.peak_objects)
                .max()
                .unwrap_or(0),
            buffer_gets: audit.gets,
            buffer_news: audit.news,
            buffer_puts: audit.puts,
            buffers_drained: audit.drained,
            buffers_created: audit.created,
            buffers_dropped: audit.dropped,
            ok: failures.is_empty(),
            failures: failures.to_vec(),
        }
    }

    fn render_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "prologue stress: {} threads, {:.1} s, seed {}",
            self.threads, self.seconds, self.seed
        );
        let mut row = |label: &str, value: String| {
            let _ = writeln!(out, "  {label:<24}{value}");
        };
        row("steps", self.steps.to_string());
        row("objects allocated", self.objects_allocated.to_string());
        row(
            "collections",
            format!(
                "{} ({} young, {} objects released); {} of the second heaps \
                 (their young cycles freed {} released holders)",
                self.cycles,
                self.young_cycles,
                self.objects_released,
                self.side_cycles,
                self.side_holders_freed_young
            ),
        );
        row(
            "checks",
            format!(
                "{} full heap checks, {} weak upgrades ({} revived), \
                 {} young garbage objects proven freed",
                self.full_checks, self.weak_checks, self.weak_revived, self.young_garbage_checked
            ),
        );
        row(
            "largest graph",
            format!("{} objects", self.peak_model_objects),
        );
        row(
            "pooled buffers",
            format!(
                "{} gets, {} news, {} puts, {} drained; {} created, {} dropped",
                self.buffer_gets,
                self.buffer_news,
                self.buffer_puts,
                self.buffers_drained,
                self.buffers_created,
                self.buffers_dropped
            ),
        );
        row(
            "result",
            if self.ok {
                "ok: every heap matched its model and every count balanced".to_string()
            } else {
                format!("{} MISMATCHES", self.failures.len())
            },
        );
        out
    }
}
