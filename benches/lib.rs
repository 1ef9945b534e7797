//! Shared helpers for prologue's benchmarks (the bench targets live beside this file).
//!
//! Whole-workload benchmarks run each side in a child process of the same bench binary (the parent
//! re-executes itself with [`SIDE_ENV`] naming the side), so every side starts from a fresh
//! allocator and its peak RSS is its own. A child prints its program output followed by metric
//! lines (`@name value`, see [`metric`]); the parent collects them with [`run_child`], alternates
//! the sides round by round and prints medians and ratios to a baseline measured in the same run.

use std::collections::BTreeMap;
use std::process::Command;

/// Environment variable naming the side a child process runs.
pub const SIDE_ENV: &str = "PROLOGUE_BENCH_SIDE";

/// Environment variable carrying the size (depth) a child process runs at.
pub const SIZE_ENV: &str = "PROLOGUE_BENCH_CHILD_SIZE";

/// Reads a non-negative integer from the environment, or `default` when unset or unparsable.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// Reads a comma-separated list of integers (such as `"18,20"`) from the environment.
pub fn env_list(name: &str, default: &str) -> Vec<u32> {
    let text = std::env::var(name).unwrap_or_else(|_| default.to_string());
    let list: Vec<u32> = text
        .split(',')
        .filter_map(|part| part.trim().parse().ok())
        .collect();
    if list.is_empty() {
        default.split(',').filter_map(|p| p.parse().ok()).collect()
    } else {
        list
    }
}

/// True when the environment variable is set to something other than `""` or `"0"`.
pub fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// This process's peak resident set size in bytes (`VmHWM` in `/proc/self/status`), if known.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Prints one metric line for the parent process to collect.
pub fn metric(name: &str, value: f64) {
    println!("@{name} {value}");
}

/// What a child process printed: its program output and its metrics.
#[derive(Debug, Default)]
pub struct ChildOutput {
    /// Every stdout line that is not a metric line, in order.
    pub output: String,
    /// Metrics by name.
    pub metrics: BTreeMap<String, f64>,
}

/// Runs this bench binary again as a child that executes `side` at `size`, and collects its output.
pub fn run_child(side: &str, size: u32) -> Result<ChildOutput, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe)
        .env(SIDE_ENV, side)
        .env(SIZE_ENV, size.to_string())
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "{side} at {size} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let mut child = ChildOutput::default();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        match line.strip_prefix('@').and_then(|l| l.split_once(' ')) {
            Some((name, value)) => {
                let value = value
                    .trim()
                    .parse()
                    .map_err(|_| format!("bad metric {line}"))?;
                child.metrics.insert(name.to_string(), value);
            }
            None => {
                child.output.push_str(line);
                child.output.push('\n');
            }
        }
    }
    Ok(child)
}

/// The side and size this process was asked to run, when it is a child.
pub fn child_request() -> Option<(String, u32)> {
    let side = std::env::var(SIDE_ENV).ok()?;
    let size = env_usize(SIZE_ENV, 0) as u32;
    Some((side, size))
}

/// Median of the values (the mean of the middle two for an even count); NaN when empty.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Formats a byte count in MiB with one decimal.
pub fn mib(bytes: f64) -> String {
    format!("{:.1} MiB", bytes / (1024.0 * 1024.0))
}

/// The Benchmarks Game binary-trees schedule and output format, shared by every side.
pub mod binary_trees {
    use std::fmt::Write;

    /// Smallest depth of the short-lived trees.
    pub const MIN_DEPTH: u32 = 4;

    /// Depth of the long-lived tree (and the largest short-lived trees) for the argument `n`.
    pub fn max_depth(n: u32) -> u32 {
        n.max(MIN_DEPTH + 2)
    }

    /// Number of trees built at `depth` for the argument `n`.
    pub fn iterations(n: u32, depth: u32) -> u32 {
        1 << (max_depth(n) - depth + MIN_DEPTH)
    }

    /// The short-lived tree depths: 4, 6, ..., max_depth(n).
    pub fn depths(n: u32) -> impl Iterator<Item = u32> {
        (MIN_DEPTH..=max_depth(n)).step_by(2)
    }

    /// Collects the program output in the canonical format.
    #[derive(Debug, Default)]
    pub struct Output(pub String);

    impl Output {
        /// The stretch tree line.
        pub fn stretch(&mut self, depth: u32, check: u64) {
            let _ = writeln!(self.0, "stretch tree of depth {depth}\t check: {check}");
        }
        /// One line per short-lived depth.
        pub fn trees(&mut self, iterations: u32, depth: u32, check: u64) {
            let _ = writeln!(
                self.0,
                "{iterations}\t trees of depth {depth}\t check: {check}"
            );
        }
        /// The long-lived tree line.
        pub fn long_lived(&mut self, depth: u32, check: u64) {
            let _ = writeln!(self.0, "long lived tree of depth {depth}\t check: {check}");
        }
    }

    /// The output every correct side prints for `n`, computed from the node counts.
    pub fn expected(n: u32) -> String {
        let nodes = |d: u32| (1u64 << (d + 1)) - 1;
        let mut out = Output::default();
        out.stretch(max_depth(n) + 1, nodes(max_depth(n) + 1));
        for d in depths(n) {
            out.trees(iterations(n, d), d, iterations(n, d) as u64 * nodes(d));
        }
        out.long_lived(max_depth(n), nodes(max_depth(n)));
        out.0
    }
}

/// Collecting the rounds of each side and printing medians and ratios to a baseline side.
pub mod report {
    use super::{median, mib, ChildOutput};

    /// Metrics every child reports; anything else a side reports is printed as an extra.
    const COMMON: &[&str] = &["wall_s", "rss_peak_bytes"];

    /// Every round one side ran.
    #[derive(Debug)]
    pub struct SideRuns {
        /// The side's name.
        pub side: String,
        /// `(round, output)` of each child that finished.
        pub runs: Vec<(usize, ChildOutput)>,
        /// Rounds whose output differed from the expected output.
        pub wrong: usize,
    }

    impl SideRuns {
        /// No rounds yet.
        pub fn new(side: &str) -> SideRuns {
            SideRuns {
                side: side.to_string(),
                runs: Vec::new(),
                wrong: 0,
            }
        }

        /// Records one finished round.
        pub fn push(&mut self, round: usize, child: ChildOutput, correct: bool) {
            self.wrong += usize::from(!correct);
            self.runs.push((round, child));
        }

        /// The values of one metric over the rounds.
        pub fn metric(&self, name: &str) -> Vec<f64> {
            self.runs
                .iter()
                .filter_map(|(_, c)| c.metrics.get(name).copied())
                .collect()
        }

        fn wall_in_round(&self, round: usize) -> Option<f64> {
            let (_, child) = self.runs.iter().find(|(r, _)| *r == round)?;
            child.metrics.get("wall_s").copied()
        }
    }

    /// Prints one row per side: median and min wall time, ratio of medians to `baseline`, the
    /// range of the per-round ratios (same round, so paired), median peak RSS, then the side's
    /// own metrics (medians).
    pub fn print_table(sides: &[SideRuns], baseline: &str) {
        let base = sides.iter().find(|s| s.side == baseline);
        let base_median = base.map_or(f64::NAN, |b| median(&b.metric("wall_s")));
        println!(
            "{:<10} {:>9} {:>9} {:>8} {:>15} {:>12}  extras (medians)",
            "side", "median s", "min s", "x base", "per-round x", "peak RSS"
        );
        for s in sides {
            let walls = s.metric("wall_s");
            let med = median(&walls);
            let min = walls.iter().copied().fold(f64::NAN, f64::min);
            let paired: Vec<f64> = s
                .runs
                .iter()
                .filter_map(|(round, _)| {
                    let b = base?.wall_in_round(*round)?;
                    Some(s.wall_in_round(*round)? / b)
                })
                .collect();
            let lo = paired.iter().copied().fold(f64::NAN, f64::min);
            let hi = paired.iter().copied().fold(f64::NAN, f64::max);
            let mut extras = String::new();
            if let Some((_, first)) = s.runs.first() {
                for name in first
                    .metrics
                    .keys()
                    .filter(|k| !COMMON.contains(&k.as_str()))
                {
                    let v = median(&s.metric(name));
                    if name.ends_with("_bytes") {
                        extras.push_str(&format!(" {name}={}", mib(v)));
                    } else if v.fract() == 0.0 {
                        extras.push_str(&format!(" {name}={v}"));
                    } else {
                        extras.push_str(&format!(" {name}={v:.3}"));
                    }
                }
            }
            if s.wrong > 0 {
                extras.push_str(&format!(" WRONG OUTPUT in {} round(s)", s.wrong));
            }
            println!(
                "{:<10} {:>9.3} {:>9.3} {:>8.2} {:>15} {:>12} {}",
                s.side,
                med,
                min,
                med / base_median,
                format!("{lo:.2}-{hi:.2}"),
                mib(median(&s.metric("rss_peak_bytes"))),
                extras
            );
        }
        // The collector's own peak heap next to the baseline's whole-process peak.
        let base_rss = base.map_or(f64::NAN, |b| median(&b.metric("rss_peak_bytes")));
        for s in sides {
            let heap = median(&s.metric("heap_peak_bytes"));
            if heap.is_nan() {
                continue;
            }
            let rss = median(&s.metric("rss_peak_bytes"));
            println!(
                "{}: heap peak {} = {:.2}x {baseline} peak RSS ({}); own peak RSS {} = {:.2}x",
                s.side,
                mib(heap),
                heap / base_rss,
                mib(base_rss),
                mib(rss),
                rss / base_rss
            );
        }
    }
}
