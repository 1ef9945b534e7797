//! A GCBench-like workload (Ellis, Kovac and Boehm's GCBench).
//!
//! For a depth `d` (GCBench's constants are `d = 16`): build and drop a "stretch" tree of depth
//! `d + 2`; build a long-lived tree of depth `d` top-down and a long-lived array of `2^(d + 3)`
//! floats; then for each depth `k = 4, 6, ..., d` build `2 * size(d + 2) / size(k)` trees of
//! depth `k` top-down (a node first, its children filled in afterwards, which needs mutable
//! links) and as many bottom-up (children first), dropping each at once. The long-lived tree and array must
//! survive every collection intact. Where GCBench prints times, this prints the node counts, so
//! the output is the same on every engine and checks the collector.
//!
//! ```
//! use prologue_workloads::{gcbench, Engine, Params, Workload};
//!
//! let params = Params::new(Workload::GcBench, 6);
//! let out = gcbench::run(Engine::Prologue, &params).output;
//! assert!(out.starts_with("Stretching memory with a binary tree of depth 8\n"));
//! assert_eq!(out, gcbench::run(Engine::Baseline, &params).output);
//! ```

use super::observe::Recorder;
use super::{Engine, Params, RunResult, Workload};
use prologue::{Gc, GcCell, Heap, Trace};
use std::fmt::Write as _;
use std::ops::RangeInclusive;
use std::time::Instant;

/// Depths `prologue bench --workload gcbench` accepts.
pub const DEPTH_RANGE: RangeInclusive<u32> = 4..=20;

/// The default depth: GCBench's own constants.
pub const DEFAULT_DEPTH: u32 = 16;

/// The smallest depth of the short-lived trees.
const MIN_DEPTH: u32 = 4;

/// Nodes in a full tree of depth `depth`.
fn tree_size(depth: u32) -> u64 {
    (1u64 << (depth + 1)) - 1
}

/// The tree operations the program needs, implemented once per engine.
trait Trees {
    type Tree;
    type Array;
    /// A tree of `depth` built top-down: each node allocated before its children.
    fn top_down(&mut self, depth: u32) -> Self::Tree;
    /// A tree of `depth` built bottom-up: children first.
    fn bottom_up(&mut self, depth: u32) -> Self::Tree;
    /// Nodes reachable from `tree`.
    fn count(tree: &Self::Tree) -> u64;
    /// An array of `values`.
    fn array(&mut self, values: Vec<f64>) -> Self::Array;
    /// One element of an array.
    fn read(array: &Self::Array, index: usize) -> f64;
}

/// The program: returns its output and the sum of every count it printed.
fn program<E: Trees>(engine: &mut E, depth: u32) -> (String, u64) {
    let depth = depth.max(MIN_DEPTH);
    let stretch_depth = depth + 2;
    let mut out = String::new();
    let mut checksum = 0;

    let _ = writeln!(
        out,
        "Stretching memory with a binary tree of depth {stretch_depth}"
    );
    checksum += E::count(&engine.bottom_up(stretch_depth));

    let _ = writeln!(out, "Creating a long-lived binary tree of depth {depth}");
    let long_lived = engine.top_down(depth);

    let len = 1usize << (depth + 3);
    let _ = writeln!(out, "Creating a long-lived array of {len} doubles");
    let values = (0..len)
        .map(|i| {
            if i > 0 && i < len / 2 {
                1.0 / i as f64
            } else {
                0.0
            }
        })
        .collect();
    let array = engine.array(values);

    for k in (MIN_DEPTH..=depth).step_by(2) {
        let iterations = 2 * tree_size(stretch_depth) / tree_size(k);
        let _ = writeln!(out, "Creating {iterations} trees of depth {k}");
        let mut sum = 0;
        for _ in 0..iterations {
            sum += E::count(&engine.top_down(k));
        }
        let _ = writeln!(out, "\tTop down construction: {sum} nodes");
        checksum += sum;
        let mut sum = 0;
        for _ in 0..iterations {
            sum += E::count(&engine.bottom_up(k));
        }
        let _ = writeln!(out, "\tBottom up construction: {sum} nodes");
        checksum += sum;
    }

    let count = E::count(&long_lived);
    checksum += count;
    let probe = len / 4;
    let intact = E::read(&array, probe) == 1.0 / probe as f64 && E::read(&array, len - 1) == 0.0;
    let _ = writeln!(
        out,
        "Long-lived tree: {count} nodes; long-lived array {}",
        if intact { "intact" } else { "CORRUPT" }
    );
    (out, checksum)
}

/// A GCBench node on a prologue heap; its links are mutable for the top-down construction.
/// `i` and `j` are GCBench's two integer fields, kept so nodes have the benchmark's size.
#[derive(Trace)]
struct Node {
    links: GcCell<Links>,
    #[trace(skip)]
    i: i32,
    #[trace(skip)]
    j: i32,
}

#[derive(Trace, Default)]
struct Links {
    left: Option<Gc<Node>>,
    right: Option<Gc<Node>>,
}

impl Node {
    fn new(left: Option<Gc<Node>>, right: Option<Gc<Node>>) -> Node {
        Node {
            links: GcCell::new(Links { left, right }),
            i: 0,
            j: 0,
        }
    }
}

struct OnHeap<'h> {
    heap: &'h Heap,
}

impl OnHeap<'_> {
    fn populate(&self, depth: u32, node: &Gc<Node>) {
        if depth == 0 {
            return;
        }
        let left = self.heap.alloc(Node::new(None, None));
        let right = self.heap.alloc(Node::new(None, None));
        {
            let mut links = node.links.borrow_mut();
            links.left = Some(left.clone());
            links.right = Some(right.clone());
        }
        self.populate(depth - 1, &left);
        self.populate(depth - 1, &right);
    }
}

impl Trees for OnHeap<'_> {
    type Tree = Gc<Node>;
    type Array = Gc<[f64]>;

    fn top_down(&mut self, depth: u32) -> Gc<Node> {
        let root = self.heap.alloc(Node::new(None, None));
        self.populate(depth, &root);
        root
    }

    fn bottom_up(&mut self, depth: u32) -> Gc<Node> {
        if depth == 0 {
            return self.heap.alloc(Node::new(None, None));
        }
        let left = self.bottom_up(depth - 1);
        let right = self.bottom_up(depth - 1);
        self.heap.alloc(Node::new(Some(left), Some(right)))
    }

    fn count(tree: &Gc<Node>) -> u64 {
        let links = tree.links.borrow();
        let mut n = 1 + u64::from(tree.i.unsigned_abs() + tree.j.unsigned_abs());
        for child in [&links.left, &links.right].into_iter().flatten() {
            n += Self::count(child);
        }
        n
    }

    fn array(&mut self, values: Vec<f64>) -> Gc<[f64]> {
        self.heap.alloc_slice(&values)
    }

    fn read(array: &Gc<[f64]>, index: usize) -> f64 {
        array[index]
    }
}

/// The same node with `Box`: the baseline.
#[derive(Default)]
struct BoxNode {
    left: Option<Box<BoxNode>>,
    right: Option<Box<BoxNode>>,
    i: i32,
    j: i32,
}

struct Boxed;

fn box_populate(depth: u32, node: &mut BoxNode) {
    if depth == 0 {
        return;
    }
    let left = node.left.insert(Box::default());
    box_populate(depth - 1, left);
    let right = node.right.insert(Box::default());
    box_populate(depth - 1, right);
}

impl Trees for Boxed {
    type Tree = Box<BoxNode>;
    type Array = Vec<f64>;

    fn top_down(&mut self, depth: u32) -> Box<BoxNode> {
        let mut root = Box::<BoxNode>::default();
        box_populate(depth, &mut root);
        root
    }

    fn bottom_up(&mut self, depth: u32) -> Box<BoxNode> {
        if depth == 0 {
            return Box::default();
        }
        let left = self.bottom_up(depth - 1);
        let right = self.bottom_up(depth - 1);
        Box::new(BoxNode {
            left: Some(left),
            right: Some(right),
            i: 0,
            j: 0,
        })
    }

    fn count(tree: &Box<BoxNode>) -> u64 {
        let mut n = 1 + u64::from(tree.i.unsigned_abs() + tree.j.unsigned_abs());
        for child in [&tree.left, &tree.right].into_iter().flatten() {
            n += Self::count(child);
        }
        n
    }

    fn array(&mut self, values: Vec<f64>) -> Vec<f64> {
        values
    }

    fn read(array: &Vec<f64>, index: usize) -> f64 {
        array[index]
    }
}

/// Runs the GCBench-like program with `params` on `engine`.
///
/// # Panics
///
/// Panics if `params.depth` is outside [`DEPTH_RANGE`].
pub fn run(engine: Engine, params: &Params) -> RunResult {
    let depth = params.depth;
    assert!(
        DEPTH_RANGE.contains(&depth),
        "gcbench depth {depth} out of range"
    );
    let start = Instant::now();
    let (output, checksum, gc) = match engine {
        Engine::Prologue => {
            let heap = Heap::with_config(params.config.clone());
            let recorder = Recorder::attach(&heap, 0, start).census(params.census);
            let (output, checksum) = program(&mut OnHeap { heap: &heap }, depth);
            (output, checksum, Some(recorder.finish(&heap)))
        }
        Engine::Baseline => {
            let (output, checksum) = program(&mut Boxed, depth);
            (output, checksum, None)
        }
    };
    RunResult {
        workload: Workload::GcBench,
        engine,
        depth,
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
    fn iteration_counts_match_gcbench_at_its_own_constants() {
        // GCBench with kStretchTreeDepth = 18 prints "Creating 33824 trees of depth 4".
        assert_eq!(2 * tree_size(18) / tree_size(4), 33824);
    }

    #[test]
    fn engines_agree_and_long_lived_data_survives() {
        let params = Params::new(Workload::GcBench, 8);
        let heap = run(Engine::Prologue, &params);
        let boxed = run(Engine::Baseline, &params);
        assert_eq!(heap.output, boxed.output);
        assert_eq!(heap.checksum, boxed.checksum);
        assert!(heap.output.contains("long-lived array intact"));
        assert!(heap.output.contains("Long-lived tree: 511 nodes"));
    }
}
