//! The `prologue bench` report: one serialisable record, rendered as text for people or as JSON.

use prologue_workloads::mmu::REPORT_WINDOWS;
use prologue_workloads::{Params, RoundTimes, RunResult};
use serde::Serialize;
use std::fmt::Write as _;
use std::time::Duration;

/// The Box baseline's run next to prologue's.
pub struct Comparison {
    /// Wall time of the baseline run.
    wall: Duration,
    /// Whether both runs printed the same program output.
    outputs_match: bool,
    /// The baseline's round times (latency).
    rounds: Option<RoundTimes>,
}

impl Comparison {
    /// Compares a prologue run with a baseline run of the same parameters.
    pub fn new(run: &RunResult, baseline: &RunResult) -> Comparison {
        Comparison {
            wall: baseline.wall,
            outputs_match: run.output == baseline.output && run.checksum == baseline.checksum,
            rounds: baseline.rounds.clone(),
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
    /// Whether full cycles ran incrementally.
    pub incremental: bool,
    /// The pause target of incremental cycles and young cycles, in microseconds.
    pub pause_target_us: f64,
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
    /// Every stop of the program for the collector, as `Heap::on_pause` reported them (cycles
    /// and sweep steps), summed over threads.
    pub pauses: usize,
    /// The stops by kind: `young`, `full`, `sweep`, and `other` for kinds added later.
    pub pauses_by_kind: PausesByKind,
    /// Median stop, microseconds (over every stop, not only cycles).
    pub stop_p50_us: f64,
    /// 99th percentile stop, microseconds.
    pub stop_p99_us: f64,
    /// Longest stop, microseconds.
    pub stop_max_us: f64,
    /// Minimum mutator utilisation over 1 ms windows of the run (worst thread), in `[0, 1]`.
    pub mmu_1ms: f64,
    /// The same over 10 ms windows.
    pub mmu_10ms: f64,
    /// The same over 100 ms windows.
    pub mmu_100ms: f64,
    /// Timed rounds (latency).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rounds: Option<usize>,
    /// Median round of the prologue run (latency), microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub round_p50_us: Option<f64>,
    /// 99th percentile round of the prologue run (latency), microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub round_p99_us: Option<f64>,
    /// 99.9th percentile round of the prologue run (latency), microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub round_p999_us: Option<f64>,
    /// Longest round of the prologue run (latency), microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub round_max_us: Option<f64>,
    /// Median round of the Box baseline (latency with `--baseline`), microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_round_p50_us: Option<f64>,
    /// 99th percentile round of the Box baseline (latency with `--baseline`), microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_round_p99_us: Option<f64>,
    /// 99.9th percentile round of the Box baseline (latency with `--baseline`), microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_round_p999_us: Option<f64>,
    /// Longest round of the Box baseline (latency with `--baseline`), microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_round_max_us: Option<f64>,
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
    /// With `--census`: what the heaps held at the end of the run, by Rust type, largest
    /// first (`entries` of `type_name`, `objects`, `bytes`; then the totals), as
    /// `prologue_gc::Census` serialises it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub census: Option<prologue::Census>,
}

/// Rows of the census the text report shows.
const CENSUS_ROWS: usize = 10;

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Stops of the program counted by kind.
#[derive(Serialize, Debug, Clone, Copy, Default)]
pub struct PausesByKind {
    /// Young cycles.
    pub young: u64,
    /// Whole stop-the-world full cycles.
    pub full: u64,
    /// Sweeping an allocation had to do.
    pub sweep: u64,
    /// Kinds the gc crate added after this report was written.
    pub other: u64,
    /// The longest young stop, microseconds.
    pub young_max_us: f64,
    /// The longest full-cycle stop (a whole cycle, or an incremental cycle's start, step or
    /// final pause), microseconds.
    pub full_max_us: f64,
    /// The longest sweep stop, microseconds.
    pub sweep_max_us: f64,
    /// The 99th percentile of the young stops, microseconds.
    pub young_p99_us: f64,
    /// The 99th percentile of the full-cycle stops, microseconds.
    pub full_p99_us: f64,
    /// The 99th percentile of the sweep stops, microseconds.
    pub sweep_p99_us: f64,
}

/// p50, p99, p99.9 and max of `rounds`, in microseconds.
fn round_figures(rounds: Option<&RoundTimes>) -> [Option<f64>; 4] {
    match rounds {
        Some(r) => [0.50, 0.99, 0.999, 1.0].map(|q| Some(micros(r.quantile(q)))),
        None => [None; 4],
    }
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
        let kinds = gc.pause_counts();
        let [mmu_1ms, mmu_10ms, mmu_100ms] = match gc.mmu_curve(run.wall, &REPORT_WINDOWS)[..] {
            [a, b, c] => [a, b, c],
            _ => [1.0; 3],
        };
        let [round_p50_us, round_p99_us, round_p999_us, round_max_us] =
            round_figures(run.rounds.as_ref());
        let [baseline_round_p50_us, baseline_round_p99_us, baseline_round_p999_us, baseline_round_max_us] =
            round_figures(comparison.as_ref().and_then(|c| c.rounds.as_ref()));
        let threads = match run.workload {
            prologue_workloads::Workload::PoolChurn => params.threads,
            _ => 1,
        };
        BenchReport {
            workload: run.workload.name(),
            depth: run.depth,
            gc_percent: params.config.gc_percent,
            policy,
            incremental: params.config.incremental,
            pause_target_us: micros(params.config.pause_target),
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
            pauses: gc.pause_count(),
            pauses_by_kind: PausesByKind {
                young: kinds.young,
                full: kinds.full,
                sweep: kinds.sweep,
                other: kinds.other,
                young_max_us: micros(kinds.young_max),
                full_max_us: micros(kinds.full_max),
                sweep_max_us: micros(kinds.sweep_max),
                young_p99_us: micros(kinds.young_p99),
                full_p99_us: micros(kinds.full_p99),
                sweep_p99_us: micros(kinds.sweep_p99),
            },
            stop_p50_us: micros(gc.stop_quantile(0.50)),
            stop_p99_us: micros(gc.stop_quantile(0.99)),
            stop_max_us: micros(gc.stop_max()),
            mmu_1ms,
            mmu_10ms,
            mmu_100ms,
            rounds: run.rounds.as_ref().map(RoundTimes::count),
            round_p50_us,
            round_p99_us,
            round_p999_us,
            round_max_us,
            baseline_round_p50_us,
            baseline_round_p99_us,
            baseline_round_p999_us,
            baseline_round_max_us,
            baseline_wall_seconds: comparison.as_ref().map(|c| c.wall.as_secs_f64()),
            ratio_to_baseline: comparison
                .as_ref()
                .map(|c| run.wall.as_secs_f64() / c.wall.as_secs_f64().max(1e-9)),
            output_matches_baseline: comparison.as_ref().map(|c| c.outputs_match),
            heap_stats: gc.heaps,
            census: gc.census,
        }
    }

    /// A one-line title: workload, size and settings.
    pub fn title(&self) -> String {
        let threads = if self.threads > 1 {
            format!(", {} threads", self.threads)
        } else {
            String::new()
        };
        let cycles = if self.incremental {
            format!("incremental, pause target {:.0} us", self.pause_target_us)
        } else {
            "stop-the-world".to_string()
        };
        format!(
            "{} depth {}, gc_percent {}, policy {}{threads}, {cycles}",
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
            let _ = writeln!(out, "  {label:<28}{value}");
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
        let kinds = self.pauses_by_kind;
        let other = if kinds.other > 0 {
            format!(", {} other", kinds.other)
        } else {
            String::new()
        };
        row(
            "stops (every pause)",
            format!(
                "{} ({} young, {} full, {} sweep{other})",
                self.pauses, kinds.young, kinds.full, kinds.sweep
            ),
        );
        row(
            "stop p50 / p99 / max",
            format!(
                "{} / {} / {}",
                pause(self.stop_p50_us),
                pause(self.stop_p99_us),
                pause(self.stop_max_us)
            ),
        );
        row(
            "p99 young/full/sweep",
            format!(
                "{} / {} / {}",
                pause(kinds.young_p99_us),
                pause(kinds.full_p99_us),
                pause(kinds.sweep_p99_us)
            ),
        );
        row(
            "longest young/full/sweep",
            format!(
                "{} / {} / {}",
                pause(kinds.young_max_us),
                pause(kinds.full_max_us),
                pause(kinds.sweep_max_us)
            ),
        );
        row(
            "MMU 1 / 10 / 100 ms",
            format!(
                "{:.2} / {:.2} / {:.2}",
                self.mmu_1ms, self.mmu_10ms, self.mmu_100ms
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
        if let Some(rounds) = self.rounds {
            row("rounds", rounds.to_string());
        }
        let rounds = |p50, p99, p999, max| match (p50, p99, p999, max) {
            (Some(a), Some(b), Some(c), Some(d)) => Some(format!(
                "{} / {} / {} / {}",
                pause(a),
                pause(b),
                pause(c),
                pause(d)
            )),
            _ => None,
        };
        if let Some(text) = rounds(
            self.round_p50_us,
            self.round_p99_us,
            self.round_p999_us,
            self.round_max_us,
        ) {
            row("round p50/p99/p99.9/max", text);
        }
        let baseline_rounds = rounds(
            self.baseline_round_p50_us,
            self.baseline_round_p99_us,
            self.baseline_round_p999_us,
            self.baseline_round_max_us,
        );
        if let (Some(base), Some(ratio), Some(same)) = (
            self.baseline_wall_seconds,
            self.ratio_to_baseline,
            self.output_matches_baseline,
        ) {
            row("Box baseline", seconds(base));
            row("prologue / Box", format!("{ratio:.2}x"));
            if let Some(text) = baseline_rounds {
                row("Box round p50/p99/p99.9/max", text);
            }
            row(
                "same output as Box",
                if same { "yes" } else { "NO" }.to_string(),
            );
        }
        if let Some(census) = &self.census {
            let _ = writeln!(
                out,
                "  heap census at the end (top {CENSUS_ROWS} types; garbage no cycle has freed yet included):"
            );
            for line in format!("{census:.CENSUS_ROWS$}").lines() {
                let _ = writeln!(out, "    {line}");
            }
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
    } else if us >= 10.0 {
        format!("{us:.0} us")
    } else {
        format!("{us:.1} us")
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
        assert_eq!(pause(3.25), "3.2 us");
    }
}
