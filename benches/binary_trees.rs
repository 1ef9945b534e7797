//! Benchmarks Game binary-trees, single thread, on every heap side by side.
//!
//! Each side runs in a child process of this binary (fresh allocator, its own peak RSS), the sides
//! alternate round by round, and the parent prints per side the median wall time, the ratio to
//! `Box` from the same run, peak RSS and, for prologue, the collector's own statistics.
//!
//! Knobs (environment variables):
//! - `PROLOGUE_BENCH_DEPTH`: comma-separated depths, default `18` (try `18,20`);
//! - `PROLOGUE_BENCH_RUNS`: rounds per depth, default 3;
//! - `PROLOGUE_BENCH_SIDES`: comma-separated subset of the sides, default all;
//! - `PROLOGUE_BENCH_CHECK=1`: run every side once at depth 10 and compare its output with the
//!   Benchmarks Game's canonical output (`tests/data/binarytrees-output-10.txt`), then exit.
//!
//! `cargo bench -p prologue-benches --bench binary_trees`

mod trees;

use prologue_benches::report::{print_table, SideRuns};
use prologue_benches::{binary_trees, child_request, env_flag, env_list, env_usize};
use std::process::ExitCode;
use std::time::Instant;

/// Every side, in the order of the report; `box` is the baseline.
const SIDES: &[&str] = &[
    "box", "bumpalo", "prologue", "gc-arena", "rust-gc", "dumpster", "boa_gc",
];

fn run_side(side: &str, n: u32) -> Result<(), String> {
    let mut out = binary_trees::Output::default();
    let start = Instant::now();
    match side {
        "box" => trees::boxed::run(n, &mut out),
        "bumpalo" => trees::bump::run(n, &mut out),
        "gc-arena" => trees::arena::run(n, &mut out),
        "rust-gc" => trees::rust_gc::run(n, &mut out),
        "dumpster" => trees::dumpster::run(n, &mut out),
        "boa_gc" => trees::boa::run(n, &mut out),
        "prologue" => trees::prologue::run(n, &mut out),
        other => return Err(format!("unknown side {other}")),
    }
    let wall = start.elapsed();
    print!("{}", out.0);
    prologue_benches::metric("wall_s", wall.as_secs_f64());
    if let Some(rss) = prologue_benches::peak_rss_bytes() {
        prologue_benches::metric("rss_peak_bytes", rss as f64);
    }
    Ok(())
}

/// The Benchmarks Game's canonical output for n = 10, as the repository keeps it.
fn canonical_output_10() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/binarytrees-output-10.txt"
    );
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

fn check_mode(sides: &[&str]) -> ExitCode {
    let canonical = canonical_output_10();
    assert_eq!(canonical, binary_trees::expected(10), "formula vs file");
    let mut ok = true;
    for side in sides {
        match prologue_benches::run_child(side, 10) {
            Ok(child) if child.output == canonical => println!("{side:>10}: OK"),
            Ok(child) => {
                ok = false;
                println!("{side:>10}: WRONG OUTPUT\n{}", child.output);
            }
            Err(e) => {
                ok = false;
                println!("{side:>10}: FAILED {e}");
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn bench_mode(sides: &[&str]) -> ExitCode {
    let runs = env_usize("PROLOGUE_BENCH_RUNS", 3).max(1);
    let mut ok = true;
    for n in env_list("PROLOGUE_BENCH_DEPTH", "18") {
        let expected = binary_trees::expected(n);
        let mut results: Vec<SideRuns> = sides.iter().map(|s| SideRuns::new(s)).collect();
        for round in 0..runs {
            // Rotate the order each round so no side always runs right after the same neighbour.
            for i in 0..sides.len() {
                let k = (i + round) % sides.len();
                let side = sides[k];
                eprint!("depth {n} round {} {side} ... ", round + 1);
                match prologue_benches::run_child(side, n) {
                    Ok(child) => {
                        let secs = child.metrics.get("wall_s").copied().unwrap_or(f64::NAN);
                        let correct = child.output == expected;
                        ok &= correct;
                        eprintln!("{secs:.3} s{}", if correct { "" } else { " WRONG OUTPUT" });
                        results[k].push(round, child, correct);
                    }
                    Err(e) => {
                        ok = false;
                        eprintln!("{e}");
                    }
                }
            }
        }
        println!("\nbinary-trees depth {n}, {runs} round(s), single thread");
        print_table(&results, "box");
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn main() -> ExitCode {
    if let Some((side, n)) = child_request() {
        return match run_side(&side, n) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        };
    }
    let wanted = std::env::var("PROLOGUE_BENCH_SIDES").unwrap_or_default();
    let sides: Vec<&str> = SIDES
        .iter()
        .copied()
        .filter(|s| wanted.is_empty() || wanted.split(',').any(|w| w.trim() == *s))
        .collect();
    if env_flag("PROLOGUE_BENCH_CHECK") {
        check_mode(&sides)
    } else {
        bench_mode(&sides)
    }
}
