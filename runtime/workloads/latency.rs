//! A workload shaped like a long-running program, for what the collector's stops cost it:
//! the program times each of its rounds itself.
//!
//! A complete binary tree of `2^depth - 1` nodes (`depth` levels) stays live; each node holds a
//! `u64` and two children. Every round builds a tree of 255 nodes (depth 7, as binary-trees
//! counts it), sums it and drops it; every 8th round also walks down the live tree along a
//! random path (a seeded xorshift, so every engine takes the same path) to the level whose
//! subtrees have 255 nodes (11 steps at depth 20) and replaces the subtree there with a fresh
//! one, so the live tree keeps its size while its old parts become garbage. The output is the
//! sums and counts, identical on every engine; the round times come back in
//! [`RunResult::rounds`].
//!
//! ```
//! use prologue_workloads::{Engine, Params, Workload};
//!
//! let mut params = Params::new(Workload::Latency, 10);
//! params.rounds = Some(64);
//! let gc = Workload::Latency.run(Engine::Prologue, &params);
//! let boxed = Workload::Latency.run(Engine::Baseline, &params);
//! assert_eq!(gc.output, boxed.output);
//! assert!(gc.output.starts_with("live tree of 10 levels: 1023 nodes, sum 523776\n"));
//! assert_eq!(gc.rounds.as_ref().map(|r| r.count()), Some(64));
//! ```

use super::observe::Recorder;
use super::{short_mode, Engine, Params, RunResult, Workload};
use prologue::{Gc, GcCell, Heap, Trace};
use std::fmt::Write as _;
use std::ops::RangeInclusive;
use std::time::{Duration, Instant};

/// Depths (levels of the live tree) `prologue bench --workload latency` accepts: from one
/// level above a replaced subtree (at 9 the root's children are replaced) to 8M live nodes.
pub const DEPTH_RANGE: RangeInclusive<u32> = 9..=23;

/// The default depth: about a million live nodes.
pub const DEFAULT_DEPTH: u32 = 20;

/// Rounds when [`Params::rounds`] is not set (and not in [`short_mode`]).
pub const DEFAULT_ROUNDS: u64 = 100_000;

/// Rounds in [`short_mode`].
pub const SHORT_ROUNDS: u64 = 2_000;

/// The round counts [`Params::rounds`] accepts.
pub const ROUNDS_RANGE: RangeInclusive<u64> = 1..=10_000_000;

/// Levels of a short-lived tree and of a replaced subtree (255 nodes).
const SUBTREE_LEVELS: u32 = 8;

/// Every how many rounds a subtree of the live tree is replaced.
const REPLACE_EVERY: u64 = 8;

/// The seed of the path generator.
const SEED: u64 = 0x2545_f491_4f6c_dd1d;

/// The round times of one run, sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoundTimes {
    sorted: Vec<Duration>,
}

impl RoundTimes {
    /// The times of `rounds`, in any order.
    pub fn new(mut rounds: Vec<Duration>) -> RoundTimes {
        rounds.sort_unstable();
        RoundTimes { sorted: rounds }
    }

    /// The number of rounds.
    pub fn count(&self) -> usize {
        self.sorted.len()
    }

    /// The round time at quantile `q` in `[0, 1]` (nearest rank; zero when no round ran).
    pub fn quantile(&self, q: f64) -> Duration {
        if self.sorted.is_empty() {
            return Duration::ZERO;
        }
        let rank = (q.clamp(0.0, 1.0) * self.sorted.len() as f64).ceil() as usize;
        self.sorted[rank.clamp(1, self.sorted.len()) - 1]
    }

    /// The longest round (zero when no round ran).
    pub fn max(&self) -> Duration {
        self.sorted.last().copied().unwrap_or_default()
    }
}

/// The rounds a run of `params` makes.
pub fn rounds(params: &Params) -> u64 {
    params.rounds.unwrap_or(if short_mode() {
        SHORT_ROUNDS
    } else {
        DEFAULT_ROUNDS
    })
}

/// Marsaglia's xorshift64: the random paths, the same on every engine.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// The tree operations the program needs, implemented once per engine.
trait Forest {
    type Tree;
    /// A complete tree of `levels` levels whose root holds `value` and whose node holding `v`
    /// has children holding `2v` and `2v + 1` (wrapping).
    fn build(&mut self, levels: u32, value: u64) -> Self::Tree;
    /// The number of nodes and the (wrapping) sum of their values.
    fn sum(tree: &Self::Tree) -> (u64, u64);
    /// Walks down from `root` along `path` (true: right) except its last step, and puts `fresh`
    /// in place of the child the last step names.
    fn replace(root: &mut Self::Tree, path: &[bool], fresh: Self::Tree);
}

/// A node on a prologue heap.
#[derive(Trace)]
struct Node {
    value: u64,
    left: GcCell<Option<Gc<Node>>>,
    right: GcCell<Option<Gc<Node>>>,
}

struct OnHeap<'h>(&'h Heap);

impl Forest for OnHeap<'_> {
    type Tree = Gc<Node>;

    fn build(&mut self, levels: u32, value: u64) -> Gc<Node> {
        let (left, right) = if levels > 1 {
            (
                Some(self.build(levels - 1, value.wrapping_mul(2))),
                Some(self.build(levels - 1, value.wrapping_mul(2).wrapping_add(1))),
            )
        } else {
            (None, None)
        };
        self.0.alloc(Node {
            value,
            left: GcCell::new(left),
            right: GcCell::new(right),
        })
    }

    fn sum(tree: &Gc<Node>) -> (u64, u64) {
        let mut acc = (1, tree.value);
        for child in [&tree.left, &tree.right] {
            if let Some(child) = &*child.borrow() {
                let (n, s) = Self::sum(child);
                acc = (acc.0 + n, acc.1.wrapping_add(s));
            }
        }
        acc
    }

    fn replace(root: &mut Gc<Node>, path: &[bool], fresh: Gc<Node>) {
        let (&last, steps) = path.split_last().expect("a path of at least one step");
        let mut node = root.clone();
        for &right in steps {
            let cell = if right { &node.right } else { &node.left };
            let next = cell.borrow().clone().expect("the live tree is complete");
            node = next;
        }
        let cell = if last { &node.right } else { &node.left };
        *cell.borrow_mut() = Some(fresh);
    }
}

/// The same node with `Box`: the baseline.
struct BoxNode {
    value: u64,
    left: Option<Box<BoxNode>>,
    right: Option<Box<BoxNode>>,
}

struct Boxed;

impl Forest for Boxed {
    type Tree = Box<BoxNode>;

    fn build(&mut self, levels: u32, value: u64) -> Box<BoxNode> {
        let (left, right) = if levels > 1 {
            (
                Some(self.build(levels - 1, value.wrapping_mul(2))),
                Some(self.build(levels - 1, value.wrapping_mul(2).wrapping_add(1))),
            )
        } else {
            (None, None)
        };
        Box::new(BoxNode { value, left, right })
    }

    fn sum(tree: &Box<BoxNode>) -> (u64, u64) {
        let mut acc = (1, tree.value);
        for child in [&tree.left, &tree.right].into_iter().flatten() {
            let (n, s) = Self::sum(child);
            acc = (acc.0 + n, acc.1.wrapping_add(s));
        }
        acc
    }

    fn replace(root: &mut Box<BoxNode>, path: &[bool], fresh: Box<BoxNode>) {
        let (&last, steps) = path.split_last().expect("a path of at least one step");
        let mut node: &mut BoxNode = root;
        for &right in steps {
            let child = if right {
                &mut node.right
            } else {
                &mut node.left
            };
            node = child.as_deref_mut().expect("the live tree is complete");
        }
        *(if last {
            &mut node.right
        } else {
            &mut node.left
        }) = Some(fresh);
    }
}

/// The program: its output, a checksum of it, and every round's time.
fn program<F: Forest>(forest: &mut F, levels: u32, rounds: u64) -> (String, u64, Vec<Duration>) {
    // Steps down to the parent of a subtree of SUBTREE_LEVELS levels, then one more to it.
    let steps = levels - SUBTREE_LEVELS - 1;
    let mut out = String::new();
    let mut live = forest.build(levels, 1);
    let (nodes, sum) = F::sum(&live);
    let _ = writeln!(
        out,
        "live tree of {levels} levels: {nodes} nodes, sum {sum}"
    );
    let mut checksum = sum;

    let mut rng = XorShift(SEED);
    let mut times = Vec::with_capacity(rounds.min(*ROUNDS_RANGE.end()) as usize);
    let (mut short_nodes, mut short_sum, mut replaced) = (0u64, 0u64, 0u64);
    let mut path = Vec::with_capacity(steps as usize + 1);
    for round in 0..rounds {
        let began = Instant::now();
        let tree = forest.build(SUBTREE_LEVELS, round + 1);
        let (n, s) = F::sum(&tree);
        drop(tree);
        short_nodes += n;
        short_sum = short_sum.wrapping_add(s);
        if round % REPLACE_EVERY == REPLACE_EVERY - 1 {
            let bits = rng.next();
            path.clear();
            path.extend((0..=steps).map(|i| (bits >> i) & 1 == 1));
            let fresh = forest.build(SUBTREE_LEVELS, bits >> 40);
            F::replace(&mut live, &path, fresh);
            replaced += 1;
        }
        times.push(began.elapsed());
    }
    let _ = writeln!(
        out,
        "{rounds} rounds: {short_nodes} short-lived nodes, sum {short_sum}"
    );
    let _ = writeln!(
        out,
        "{replaced} subtrees of 255 nodes replaced, {steps} steps down"
    );
    let (nodes, sum) = F::sum(&live);
    let _ = writeln!(out, "live tree at the end: {nodes} nodes, sum {sum}");
    checksum = checksum
        .wrapping_add(short_sum)
        .wrapping_add(sum)
        .wrapping_add(nodes);
    (out, checksum, times)
}

/// Runs the latency workload with `params` on `engine` (what [`Workload::run`] calls): the
/// output, its checksum, the wall time, the round times, and on [`Engine::Prologue`] every
/// cycle and pause of the heap.
///
/// # Panics
///
/// Panics if `params.depth` is outside [`DEPTH_RANGE`].
pub fn run(engine: Engine, params: &Params) -> RunResult {
    let levels = params.depth;
    assert!(
        DEPTH_RANGE.contains(&levels),
        "latency depth {levels} out of range"
    );
    let rounds = rounds(params);
    let start = Instant::now();
    let (output, checksum, times, gc) = match engine {
        Engine::Prologue => {
            let heap = Heap::with_config(params.config.clone());
            let recorder = Recorder::attach(&heap, 0, start).census(params.census);
            let (output, checksum, times) = program(&mut OnHeap(&heap), levels, rounds);
            (output, checksum, times, Some(recorder.finish(&heap)))
        }
        Engine::Baseline => {
            let (output, checksum, times) = program(&mut Boxed, levels, rounds);
            (output, checksum, times, None)
        }
    };
    RunResult {
        workload: Workload::Latency,
        engine,
        depth: levels,
        output,
        checksum,
        wall: start.elapsed(),
        gc,
        pools: None,
        rounds: Some(RoundTimes::new(times)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(depth: u32, rounds: u64) -> Params {
        let mut p = Params::new(Workload::Latency, depth);
        p.rounds = Some(rounds);
        p
    }

    #[test]
    fn replacements_keep_the_live_tree_complete_and_engines_agree() {
        let p = params(11, 80);
        let gc = run(Engine::Prologue, &p);
        let boxed = run(Engine::Baseline, &p);
        assert_eq!(gc.output, boxed.output);
        assert_eq!(gc.checksum, boxed.checksum);
        let lines: Vec<&str> = gc.output.lines().collect();
        assert_eq!(lines[0], "live tree of 11 levels: 2047 nodes, sum 2096128");
        assert_eq!(lines[1], "80 rounds: 20400 short-lived nodes, sum 71641400");
        assert_eq!(lines[2], "10 subtrees of 255 nodes replaced, 2 steps down");
        assert!(lines[3].starts_with("live tree at the end: 2047 nodes, sum "));
        // The replaced subtrees hold other values than the ones they replaced.
        assert_ne!(lines[3], "live tree at the end: 2047 nodes, sum 2096128");
    }

    #[test]
    fn round_times_are_ranked() {
        let times = RoundTimes::new((1..=1000).rev().map(Duration::from_micros).collect());
        assert_eq!(times.count(), 1000);
        assert_eq!(times.quantile(0.5), Duration::from_micros(500));
        assert_eq!(times.quantile(0.99), Duration::from_micros(990));
        assert_eq!(times.quantile(0.999), Duration::from_micros(999));
        assert_eq!(times.max(), Duration::from_micros(1000));
        assert_eq!(RoundTimes::default().quantile(0.5), Duration::ZERO);
    }
}
