//! The workloads the `prologue bench` command and the integration tests run. A package of
//! the workspace's own (`publish = false`): not part of the API of `prologue`.
//!
//! Each workload runs on two engines: [`Engine::Prologue`] (objects on a [`Heap`](prologue::Heap),
//! buffers from static [`Pool`](prologue::Pool)s drained by every full collection) and
//! [`Engine::Baseline`] (the same program written with plain `Box` and `Vec`). Both return a
//! [`RunResult`] whose `output` is the program's text output and must be identical across engines,
//! so a wrong collector shows up as a wrong answer, not only as a different time.
//!
//! Every workload has one size knob, [`Params::depth`]; [`Workload::depth_range`] says what it
//! accepts and [`Workload::default_depth`] what `prologue bench` uses.
//!
//! ```
//! use prologue_workloads::{Engine, Params, Workload};
//!
//! let params = Params::new(Workload::BinaryTrees, 6);
//! let on_heap = Workload::BinaryTrees.run(Engine::Prologue, &params);
//! let on_box = Workload::BinaryTrees.run(Engine::Baseline, &params);
//! assert_eq!(on_heap.output, on_box.output);
//! assert!(on_heap.gc.is_some() && on_box.gc.is_none());
//! ```

pub mod binary_trees;
pub mod gcbench;
pub mod latency;
pub mod mmu;
mod observe;
pub mod pool_churn;

pub use latency::RoundTimes;
pub use observe::{CycleRecord, GcSummary, PauseCounts, PauseRecord};

use prologue::Config;
use prologue::{DrainPolicy, PoolStats};
use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;
use std::time::Duration;

/// The workloads `prologue bench` can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Workload {
    /// The Benchmarks Game's binary-trees: many short-lived trees around one long-lived tree.
    BinaryTrees,
    /// A GCBench-like program (Boehm): a long-lived tree and array, then short-lived trees built
    /// top-down and bottom-up at growing depths.
    GcBench,
    /// Threads taking and returning expensive buffers from static pools while their heaps
    /// collect (Go's `BenchmarkPoolExpensiveNew`).
    PoolChurn,
    /// A large live tree, small trees built and dropped in timed rounds, parts of the live tree
    /// replaced now and then: what the collector's stops cost a long-running program.
    Latency,
}

impl Workload {
    /// Every workload, in the order the CLI lists them.
    pub const ALL: [Workload; 4] = [
        Workload::BinaryTrees,
        Workload::GcBench,
        Workload::PoolChurn,
        Workload::Latency,
    ];

    /// The name used on the command line and in reports (`binary-trees`, `gcbench`, `pool-churn`,
    /// `latency`).
    pub fn name(self) -> &'static str {
        match self {
            Workload::BinaryTrees => "binary-trees",
            Workload::GcBench => "gcbench",
            Workload::PoolChurn => "pool-churn",
            Workload::Latency => "latency",
        }
    }

    /// The sizes this workload accepts for [`Params::depth`].
    pub fn depth_range(self) -> RangeInclusive<u32> {
        match self {
            Workload::BinaryTrees => binary_trees::DEPTH_RANGE,
            Workload::GcBench => gcbench::DEPTH_RANGE,
            Workload::PoolChurn => pool_churn::DEPTH_RANGE,
            Workload::Latency => latency::DEPTH_RANGE,
        }
    }

    /// The size `prologue bench` uses when `--depth` is not given.
    pub fn default_depth(self) -> u32 {
        match self {
            Workload::BinaryTrees => binary_trees::DEFAULT_DEPTH,
            Workload::GcBench => gcbench::DEFAULT_DEPTH,
            Workload::PoolChurn => pool_churn::DEFAULT_DEPTH,
            Workload::Latency => latency::DEFAULT_DEPTH,
        }
    }

    /// What the size knob means for this workload, in a few words (for help and reports).
    pub fn depth_meaning(self) -> &'static str {
        match self {
            Workload::BinaryTrees => "maximum tree depth n",
            Workload::GcBench => "long-lived and largest short-lived tree depth",
            Workload::PoolChurn => "2^depth rounds of 100 buffers per thread",
            Workload::Latency => "levels of the live tree, 2^depth - 1 nodes",
        }
    }

    /// Runs the workload on `engine`.
    ///
    /// # Panics
    ///
    /// Panics if `params.depth` is outside [`Workload::depth_range`]; callers taking user input
    /// check it first (see [`Params::validate`]).
    pub fn run(self, engine: Engine, params: &Params) -> RunResult {
        if let Err(message) = params.validate() {
            panic!("{message}");
        }
        match self {
            Workload::BinaryTrees => binary_trees::run(engine, params),
            Workload::GcBench => gcbench::run(engine, params),
            Workload::PoolChurn => pool_churn::run(engine, params),
            Workload::Latency => latency::run(engine, params),
        }
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing an unknown workload name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownWorkload(pub String);

impl fmt::Display for UnknownWorkload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown workload `{}` (expected one of: ", self.0)?;
        for (i, w) in Workload::ALL.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(w.name())?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for UnknownWorkload {}

impl FromStr for Workload {
    type Err = UnknownWorkload;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Workload::ALL
            .into_iter()
            .find(|w| w.name() == s)
            .ok_or_else(|| UnknownWorkload(s.to_string()))
    }
}

/// Which implementation a workload runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Engine {
    /// Objects on a prologue [`Heap`](prologue::Heap), buffers from static pools.
    Prologue,
    /// Plain `Box` and `Vec`: no collector and no pools. The yardstick.
    Baseline,
}

impl Engine {
    /// `"prologue"` or `"box"`.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Prologue => "prologue",
            Engine::Baseline => "box",
        }
    }
}

/// How to run a workload: its size, the heap configuration and the pools' drain policy.
#[derive(Clone, Debug)]
pub struct Params {
    /// The workload being run; used to check `depth`.
    pub workload: Workload,
    /// The size knob (see [`Workload::depth_range`]).
    pub depth: u32,
    /// The configuration of every heap the workload creates ([`Engine::Prologue`] only).
    pub config: Config,
    /// The drain policy of the pools the workload uses (pool-churn; others use no pools).
    pub policy: DrainPolicy,
    /// Mutator threads, for workloads that run several (pool-churn); at least 1.
    pub threads: usize,
    /// Timed rounds, for the workload that has them (latency); `None` is its default
    /// ([`latency::DEFAULT_ROUNDS`], or [`latency::SHORT_ROUNDS`] in [`short_mode`]).
    pub rounds: Option<u64>,
    /// Take a [`Census`](prologue::Census) of every heap at the end of the run, into
    /// [`GcSummary::census`] (`prologue bench --census`). Default off: it is one more pass
    /// over the heap, outside the program but inside the wall time.
    pub census: bool,
}

impl Params {
    /// Parameters with the given size and defaults for everything else: the default heap
    /// configuration, [`DrainPolicy::Drain`], two threads and the default rounds.
    pub fn new(workload: Workload, depth: u32) -> Params {
        Params {
            workload,
            depth,
            config: Config::default(),
            policy: DrainPolicy::Drain,
            threads: 2,
            rounds: None,
            census: false,
        }
    }

    /// Checks the size, thread count and rounds, with a message fit for a user when they are
    /// wrong.
    pub fn validate(&self) -> Result<(), String> {
        let range = self.workload.depth_range();
        if !range.contains(&self.depth) {
            return Err(format!(
                "depth {} is out of range for {}: expected {}..={} ({})",
                self.depth,
                self.workload,
                range.start(),
                range.end(),
                self.workload.depth_meaning()
            ));
        }
        if !(1..=MAX_THREADS).contains(&self.threads) {
            return Err(format!(
                "threads {} is out of range: expected 1..={MAX_THREADS}",
                self.threads
            ));
        }
        if let Some(rounds) = self.rounds {
            if self.workload != Workload::Latency {
                return Err(format!(
                    "rounds apply only to the latency workload, not to {}",
                    self.workload
                ));
            }
            let range = latency::ROUNDS_RANGE;
            if !range.contains(&rounds) {
                return Err(format!(
                    "rounds {rounds} is out of range: expected {}..={}",
                    range.start(),
                    range.end()
                ));
            }
        }
        Ok(())
    }
}

/// The most mutator threads a workload accepts.
pub const MAX_THREADS: usize = 64;

/// What one run of a workload produced.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// The workload that ran.
    pub workload: Workload,
    /// The engine it ran on.
    pub engine: Engine,
    /// The size knob it ran at.
    pub depth: u32,
    /// The program's text output; identical across engines for the same parameters.
    pub output: String,
    /// A number summarising the work done (tree checks, items handled); equal across engines.
    pub checksum: u64,
    /// Wall-clock time of the run.
    pub wall: Duration,
    /// What the collector did ([`Engine::Prologue`] only).
    pub gc: Option<GcSummary>,
    /// What the workload's pools did during the run: the difference of their
    /// [`PoolStats`] before and after it (pool-churn on [`Engine::Prologue`] only).
    pub pools: Option<PoolStats>,
    /// Every round's time, as the program measured it (latency only, on both engines).
    pub rounds: Option<RoundTimes>,
}

/// Reads `PROLOGUE_SHORT`: true when it is set to anything but `""` or `"0"`.
///
/// Tests and CI use it to pick small sizes (Go's `-short`).
pub fn short_mode() -> bool {
    std::env::var("PROLOGUE_SHORT").is_ok_and(|v| !v.is_empty() && v != "0")
}
