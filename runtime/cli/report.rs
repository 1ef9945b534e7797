//! The `prologue bench` report: one serialisable record, rendered as text for people or as JSON.

use prologue::workloads::{Params, RunResult};
use serde::Serialize;
use std::fmt::Write as _;
use std::time::Duration;

/// The Box baseline's run next to prologue's.
pub struct Comparison {
    /// Wall time of the baseline run.
    wall: Duration,
    /// Whether both runs printed the same program output.
    outputs_match: bool,
}

impl Comparison {
    /// Compares a prologue run with a baseline run of the same parameters.
    pub fn new(run: &RunResult, baseline: &RunResult) -> Comparison {
        Comparison {
            wall: baseline.wall,
            outputs_match: run.output == baseline.output && run.checksum == baseline.checksum,
        }
    }
}

/// Everything `prologue bench` reports; its JSON form is what `--json` prints.
#[derive(Serialize, Debug)]
pub struct BenchReport {
    /// The workload's name.
    pub workload: &'static str,
    /// The size knob.
    pub depth: u32,
    /// The heap's gc_percent.
    pub gc_percent: u32,
    /// The pools' drain policy.
    pub policy: &'static str,
    /// Mutator threads (pool-churn; 1 for the single-threaded workloads).
    pub threads: usize,
    /// Wall time of the prologue run.
    pub wall_seconds: f64,
    /// Collection cycles.
    pub cycles: usize,
    /// Median pause, microseconds.
    pub pause_p50_us: f64,
    /// 99th percentile pause, microseconds.
    pub pause_p99_us: f64,
    /// Longest pause, microseconds.
    pub pause_max_us: f64,
    /// Sum of all pauses, seconds.
    pub pause_total_seconds: f64,
    /// Total pause over wall time.
    pub gc_time_share: f64,
    /// The largest heap size reached (summed over threads' heaps).
    pub heap_peak_bytes: usize,
    /// Pool gets (pool-churn).
    pub pool_gets: u64,
    /// Gets served from the pool.
    pub pool_hits: u64,
    /// Calls of the pool's `new` function.
    pub pool_news: u64,
    /// Pooled values the collections' drains dropped.
    pub pool_drained: u64,
    /// The workload's checksum (equal across engines).
    pub checksum: u64,
    /// Wall time of the Box baseline, when `--baseline` ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_wall_seconds: Option<f64>,
    /// prologue's wall time over the baseline's, when `--baseline` ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio_to_baseline: Option<f64>,
    /// Whether the two runs printed the same output, when `--baseline` ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_matches_baseline: Option<bool>,
    /// The collector's own statistics of each heap at the end of the run (durations in
    /// nanoseconds), as `prologue_gc::HeapStats` serialises them.
    pub heap_stats: Vec<prologue::HeapStats>,
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

impl BenchReport {
    /// Builds the report of `run`, with the baseline comparison if there was one.
    pub fn new(
        run: &RunResult,
        params: &Params,
        policy: &'static str,
        comparison: Option<Comparison>,
    ) -> BenchReport {
        let gc = run.gc.clone().unwrap_or_default();
        let pools = run.pools.unwrap_or_default();
        let threads = match run.workload {
            prologue::workloads::Workload::PoolChurn => params.threads,
            _ => 1,
        };
        BenchReport {
            workload: run.workload.name(),
            depth: run.depth,
            gc_percent: params.config.gc_percent,
            policy,
            threads,
            wall_seconds: run.wall.as_secs_f64(),
            cycles: gc.cycle_count(),
            pause_p50_us: micros(gc.pause_quantile(0.50)),
            pause_p99_us: micros(gc.pause_quantile(0.99)),
            pause_max_us: micros(gc.pause_max()),
            pause_total_seconds: gc.pause_total().as_secs_f64(),
            gc_time_share: gc.gc_time_share(run.wall),
            heap_peak_bytes: gc.heap_peak_bytes,
            pool_gets: pools.gets,
            pool_hits: pools.hits(),
            pool_news: pools.news,
            pool_drained: pools.drained,
            checksum: run.checksum,
            baseline_wall_seconds: comparison.as_ref().map(|c| c.wall.as_secs_f64()),
            ratio_to_baseline: comparison
                .as_ref()
                .map(|c| run.wall.as_secs_f64() / c.wall.as_secs_f64().max(1e-9)),
            output_matches_baseline: comparison.as_ref().map(|c| c.outputs_match),
            heap_stats: gc.heaps,
        }
    }

    /// A one-line title: workload, size and settings.
    pub fn title(&self) -> String {
        let threads = if self.threads > 1 {
            format!(", {} threads", self.threads)
        } else {
            String::new()
        };
        format!(
            "{} depth {}, gc_percent {}, policy {}{threads}",
            self.workload, self.depth, self.gc_percent, self.policy
        )
    }

    /// The text report: the program's output, then the figures, aligned.
    pub fn render_text(&self, run: &RunResult) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "prologue bench: {}", self.title());
        for line in run.output.lines() {
            let _ = writeln!(out, "  | {line}");
        }
        let mut row = |label: &str, value: String| {
            let _ = writeln!(out, "  {label:<24}{value}");
        };
        row("wall time", seconds(self.wall_seconds));
        row("collections", self.cycles.to_string());
        row(
            "pause p50 / p99 / max",
            format!(
                "{} / {} / {}",
                pause(self.pause_p50_us),
                pause(self.pause_p99_us),
                pause(self.pause_max_us)
            ),
        );
        row(
            "total pause",
            format!(
                "{} ({:.1}% of wall time{})",
                seconds(self.pause_total_seconds),
                self.gc_time_share * 100.0,
                if self.threads > 1 {
                    ", summed over threads"
                } else {
                    ""
                }
            ),
        );
        row("heap peak", bytes(self.heap_peak_bytes));
        if self.pool_gets > 0 {
            row(
                "pool gets",
                format!(
                    "{} ({} hits, {:.1}%; {} news; {} drained)",
                    self.pool_gets,
                    self.pool_hits,
                    100.0 * self.pool_hits as f64 / self.pool_gets as f64,
                    self.pool_news,
                    self.pool_drained
                ),
            );
        } else {
            row("pool gets", "0 (this workload uses no pools)".to_string());
        }
        if let (Some(base), Some(ratio), Some(same)) = (
            self.baseline_wall_seconds,
            self.ratio_to_baseline,
            self.output_matches_baseline,
        ) {
            row("Box baseline", seconds(base));
            row("prologue / Box", format!("{ratio:.2}x"));
            row(
                "same output as Box",
                if same { "yes" } else { "NO" }.to_string(),
            );
        }
        out
    }
}

fn seconds(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.2} s")
    } else {
        format!("{:.1} ms", s * 1e3)
    }
}

fn pause(us: f64) -> String {
    if us >= 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{us:.0} us")
    }
}

fn bytes(n: usize) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_read_at_a_glance() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(3 << 20), "3.0 MiB");
        assert_eq!(seconds(2.5), "2.50 s");
        assert_eq!(seconds(0.0125), "12.5 ms");
        assert_eq!(pause(412.3), "412 us");
        assert_eq!(pause(1530.0), "1.53 ms");
    }
}
