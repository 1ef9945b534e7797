//! The Benchmarks Game's binary-trees, by its rules and with its exact output.
//!
//! For a maximum depth `n`: build a "stretch" tree of depth `n + 1`, check it and drop it; build
//! one long-lived tree of depth `n`; then for each depth `d = 4, 6, ..., n` build `2^(n - d + 4)`
//! trees of depth `d` bottom-up, check each (count its nodes) and drop it; finally check the
//! long-lived tree. Nodes are allocated one by one and the program must not pool or reuse them.
//! `n = 21` is the standard size; `n = 10` is the correctness check (the Benchmarks Game's
//! output, kept in `tests/data/binarytrees-output-10.txt`).
//!
//! This runs single-threaded on both engines, so the ratio compares allocators and collectors,
//! not parallelism.
//!
//! ```
//! use prologue_workloads::binary_trees;
//!
//! let text = binary_trees::output_prologue(prologue::Config::default(), 4);
//! assert!(text.starts_with("stretch tree of depth 7\t check: 255\n"));
//! assert_eq!(text, binary_trees::output_baseline(4));
//! ```

use super::observe::Recorder;
use super::{Engine, Params, RunResult, Workload};
use prologue::{Config, Gc, Heap, Trace};
use std::fmt::Write as _;
use std::ops::RangeInclusive;
use std::time::Instant;

/// Depths `prologue bench --workload binary-trees` accepts (the stretch tree of depth 23 has
/// 16 million nodes).
pub const DEPTH_RANGE: RangeInclusive<u32> = 4..=22;

/// The default depth of `prologue bench`.
pub const DEFAULT_DEPTH: u32 = 19;

/// The smallest depth of the short-lived trees.
const MIN_DEPTH: u32 = 4;

/// A node on a prologue heap: both children or none.
#[derive(Trace)]
struct Node {
    children: Option<(Gc<Node>, Gc<Node>)>,
}

impl Node {
    fn check(&self) -> u64 {
        match &self.children {
            Some((left, right)) => 1 + left.check() + right.check(),
            None => 1,
        }
    }
}

fn bottom_up(heap: &Heap, depth: u32) -> Gc<Node> {
    let children = if depth > 0 {
        Some((bottom_up(heap, depth - 1), bottom_up(heap, depth - 1)))
    } else {
        None
    };
    heap.alloc(Node { children })
}

/// The same node with `Box`: the baseline.
struct BoxNode {
    children: Option<(Box<BoxNode>, Box<BoxNode>)>,
}

impl BoxNode {
    fn check(&self) -> u64 {
        match &self.children {
            Some((left, right)) => 1 + left.check() + right.check(),
            None => 1,
        }
    }
}

fn box_bottom_up(depth: u32) -> Box<BoxNode> {
    let children = if depth > 0 {
        Some((box_bottom_up(depth - 1), box_bottom_up(depth - 1)))
    } else {
        None
    };
    Box::new(BoxNode { children })
}

/// The program, written once over the tree operations of one engine: `make(depth)` builds a
/// tree and returns a value that `check` counts. The output and the sum of all checks come back.
fn program<T>(n: u32, mut make: impl FnMut(u32) -> T, check: impl Fn(&T) -> u64) -> (String, u64) {
    let max_depth = n.max(MIN_DEPTH + 2);
    let mut out = String::new();
    let mut checksum = 0;

    let stretch_depth = max_depth + 1;
    let stretch = check(&make(stretch_depth));
    checksum += stretch;
    let _ = writeln!(
        out,
        "stretch tree of depth {stretch_depth}\t check: {stretch}"
    );

    let long_lived = make(max_depth);
    for depth in (MIN_DEPTH..=max_depth).step_by(2) {
        let iterations = 1u64 << (max_depth - depth + MIN_DEPTH);
        let mut sum = 0;
        for _ in 0..iterations {
            sum += check(&make(depth));
        }
        checksum += sum;
        let _ = writeln!(out, "{iterations}\t trees of depth {depth}\t check: {sum}");
    }
    let long = check(&long_lived);
    checksum += long;
    let _ = writeln!(out, "long lived tree of depth {max_depth}\t check: {long}");
    (out, checksum)
}

/// Runs binary-trees of depth `n` on a fresh heap with `config` and returns its output.
///
/// # Panics
///
/// Panics if `n` is outside [`DEPTH_RANGE`].
pub fn output_prologue(config: Config, n: u32) -> String {
    let mut params = Params::new(Workload::BinaryTrees, n);
    params.config = config;
    run(Engine::Prologue, &params).output
}

/// Runs binary-trees of depth `n` with `Box` and returns its output.
///
/// # Panics
///
/// Panics if `n` is outside [`DEPTH_RANGE`].
pub fn output_baseline(n: u32) -> String {
    run(Engine::Baseline, &Params::new(Workload::BinaryTrees, n)).output
}

/// Runs binary-trees with `params` on `engine` (what [`Workload::run`] calls): the output, the
/// sum of every check, the wall time, and on [`Engine::Prologue`] every cycle of the heap.
///
/// # Panics
///
/// Panics if `params.depth` is outside [`DEPTH_RANGE`].
pub fn run(engine: Engine, params: &Params) -> RunResult {
    let n = params.depth;
    assert!(
        DEPTH_RANGE.contains(&n),
        "binary-trees depth {n} out of range"
    );
    let start = Instant::now();
    let (output, checksum, gc) = match engine {
        Engine::Prologue => {
            let heap = Heap::with_config(params.config.clone());
            let recorder = Recorder::attach(&heap, 0, start).census(params.census);
            let (output, checksum) = program(n, |d| bottom_up(&heap, d), |t| t.check());
            (output, checksum, Some(recorder.finish(&heap)))
        }
        Engine::Baseline => {
            let (output, checksum) = program(n, box_bottom_up, |t| t.check());
            (output, checksum, None)
        }
    };
    RunResult {
        workload: Workload::BinaryTrees,
        engine,
        depth: n,
        output,
        checksum,
        wall: start.elapsed(),
        gc,
        pools: None,
        rounds: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_depth_is_raised_to_six_like_the_reference_program() {
        let out = output_baseline(4);
        assert!(out.starts_with("stretch tree of depth 7\t check: 255\n"));
        assert!(out.ends_with("long lived tree of depth 6\t check: 127\n"));
    }

    #[test]
    fn engines_agree() {
        assert_eq!(output_prologue(Config::default(), 8), output_baseline(8));
    }
}
