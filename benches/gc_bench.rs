//! A GCBench-like run (Ellis, Kovac and Boehm's GCBench) on `Box` and on prologue.
//!
//! For a depth `d` (GCBench's own constants are `d = 16`): build and drop a stretch tree of depth
//! `d + 2`; build a long-lived tree of depth `d` top-down and a long-lived array of
//! `500,000 * 2^(d - 16)` doubles (half of them filled with `1/i`); then for `k = 4, 6, ..., d`
//! build `2 * size(d + 2) / size(k)` trees of depth `k` top-down (each node allocated before its
//! children are linked in, which needs mutable links: `GcCell` on prologue) and as many
//! bottom-up, dropping each at once. Finally the long-lived tree and array are checked. Where
//! GCBench prints times, this prints node counts, so every side's output must be identical.
//!
//! Each side runs in a child process; rounds alternate the sides (see `binary_trees.rs`).
//! Knobs: `PROLOGUE_BENCH_DEPTH` (default `16`, comma list), `PROLOGUE_BENCH_RUNS` (default 3).
//!
//! `cargo bench -p prologue-benches --bench gc_bench`

use prologue::{Gc, GcCell, Heap, Trace};
use prologue_benches::report::{print_table, SideRuns};
use prologue_benches::{child_request, env_list, env_usize, metric};
use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Instant;

const MIN_DEPTH: u32 = 4;
const SIDES: &[&str] = &["box", "prologue"];

fn tree_size(depth: u32) -> u64 {
    (1 << (depth + 1)) - 1
}

/// The operations GCBench needs, once per heap.
trait Side {
    type Tree;
    type Array;
    fn new_node(&self) -> Self::Tree;
    /// Links two fresh children into `node` and recurses: GCBench's `Populate`.
    fn populate(&self, depth: u32, node: &mut Self::Tree);
    /// GCBench's `MakeTree`: children first.
    fn make_tree(&self, depth: u32) -> Self::Tree;
    fn count(tree: &Self::Tree) -> u64;
    fn array(&self, values: Vec<f64>) -> Self::Array;
    fn read(array: &Self::Array, index: usize) -> f64;
}

fn program<S: Side>(side: &S, depth: u32) -> String {
    let mut out = String::new();
    let stretch = depth + 2;
    let _ = writeln!(out, "stretch tree of depth {stretch}");
    let tree = side.make_tree(stretch);
    let _ = writeln!(out, "  {} nodes", S::count(&tree));
    drop(tree);

    let mut long_lived = side.new_node();
    side.populate(depth, &mut long_lived);
    let len = ((500_000u64 << depth) >> 16) as usize;
    let values: Vec<f64> = (0..len)
        .map(|i| if i < len / 2 { 1.0 / i as f64 } else { 0.0 })
        .collect();
    let array = side.array(values);
    let _ = writeln!(
        out,
        "long-lived tree of depth {depth}, array of {len} doubles"
    );

    for d in (MIN_DEPTH..=depth).step_by(2) {
        let iters = 2 * tree_size(stretch) / tree_size(d);
        let (mut top_down, mut bottom_up) = (0, 0);
        for _ in 0..iters {
            let mut tree = side.new_node();
            side.populate(d, &mut tree);
            top_down += S::count(&tree);
        }
        for _ in 0..iters {
            bottom_up += S::count(&side.make_tree(d));
        }
        let _ = writeln!(
            out,
            "{iters} trees of depth {d}: top down {top_down} nodes, bottom up {bottom_up} nodes"
        );
    }
    let _ = writeln!(
        out,
        "long-lived tree {} nodes, array[1000] = {}",
        S::count(&long_lived),
        S::read(&array, 1000.min(len - 1))
    );
    out
}

/// `Box` and `Vec`: the baseline.
struct BoxSide;

// `i` and `j` are GCBench's payload fields: allocated, never read.
#[allow(dead_code)]
#[derive(Default)]
struct BoxNode {
    left: Option<Box<BoxNode>>,
    right: Option<Box<BoxNode>>,
    i: i32,
    j: i32,
}

impl Side for BoxSide {
    type Tree = Box<BoxNode>;
    type Array = Vec<f64>;
    fn new_node(&self) -> Box<BoxNode> {
        Box::default()
    }
    fn populate(&self, depth: u32, node: &mut Box<BoxNode>) {
        if depth > 0 {
            let left = node.left.insert(self.new_node());
            self.populate(depth - 1, left);
            let right = node.right.insert(self.new_node());
            self.populate(depth - 1, right);
        }
    }
    fn make_tree(&self, depth: u32) -> Box<BoxNode> {
        let mut node = self.new_node();
        if depth > 0 {
            node.left = Some(self.make_tree(depth - 1));
            node.right = Some(self.make_tree(depth - 1));
        }
        node
    }
    fn count(tree: &Box<BoxNode>) -> u64 {
        1 + tree.left.as_ref().map_or(0, Self::count) + tree.right.as_ref().map_or(0, Self::count)
    }
    fn array(&self, values: Vec<f64>) -> Vec<f64> {
        values
    }
    fn read(array: &Vec<f64>, index: usize) -> f64 {
        array[index]
    }
}

/// A prologue heap with the default configuration; links are `GcCell`s.
struct PrologueSide(Heap);

#[allow(dead_code)]
#[derive(Trace)]
struct Node {
    left: GcCell<Option<Gc<Node>>>,
    right: GcCell<Option<Gc<Node>>>,
    i: i32,
    j: i32,
}

impl Side for PrologueSide {
    type Tree = Gc<Node>;
    type Array = Gc<[f64]>;
    fn new_node(&self) -> Gc<Node> {
        self.0.alloc(Node {
            left: GcCell::new(None),
            right: GcCell::new(None),
            i: 0,
            j: 0,
        })
    }
    fn populate(&self, depth: u32, node: &mut Gc<Node>) {
        if depth > 0 {
            let mut left = self.new_node();
            *node.left.borrow_mut() = Some(left.clone());
            self.populate(depth - 1, &mut left);
            let mut right = self.new_node();
            *node.right.borrow_mut() = Some(right.clone());
            self.populate(depth - 1, &mut right);
        }
    }
    fn make_tree(&self, depth: u32) -> Gc<Node> {
        if depth == 0 {
            return self.new_node();
        }
        let (left, right) = (self.make_tree(depth - 1), self.make_tree(depth - 1));
        self.0.alloc(Node {
            left: GcCell::new(Some(left)),
            right: GcCell::new(Some(right)),
            i: 0,
            j: 0,
        })
    }
    fn count(tree: &Gc<Node>) -> u64 {
        let left = tree.left.borrow().as_ref().map_or(0, Self::count);
        1 + left + tree.right.borrow().as_ref().map_or(0, Self::count)
    }
    fn array(&self, values: Vec<f64>) -> Gc<[f64]> {
        self.0.alloc_slice(&values)
    }
    fn read(array: &Gc<[f64]>, index: usize) -> f64 {
        array[index]
    }
}

fn run_side(side: &str, depth: u32) -> Result<(), String> {
    let start = Instant::now();
    let output = match side {
        "box" => program(&BoxSide, depth),
        "prologue" => {
            let side = PrologueSide(Heap::new());
            let output = program(&side, depth);
            let stats = side.0.stats();
            let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
            metric("cycles", stats.cycles as f64);
            metric("pause_p99_ms", ms(stats.pause_p99));
            metric("pause_max_ms", ms(stats.pause_max));
            metric("pause_total_ms", ms(stats.pause_total));
            metric("heap_peak_bytes", stats.peak_bytes as f64);
            output
        }
        other => return Err(format!("unknown side {other}")),
    };
    metric("wall_s", start.elapsed().as_secs_f64());
    if let Some(rss) = prologue_benches::peak_rss_bytes() {
        metric("rss_peak_bytes", rss as f64);
    }
    print!("{output}");
    Ok(())
}

fn main() -> ExitCode {
    if let Some((side, depth)) = child_request() {
        return match run_side(&side, depth) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        };
    }
    let runs = env_usize("PROLOGUE_BENCH_RUNS", 3).max(1);
    let mut ok = true;
    for depth in env_list("PROLOGUE_BENCH_DEPTH", "16") {
        let depth = depth.max(MIN_DEPTH);
        let mut results: Vec<SideRuns> = SIDES.iter().map(|s| SideRuns::new(s)).collect();
        let mut reference: Option<String> = None;
        for round in 0..runs {
            for i in 0..SIDES.len() {
                let k = (i + round) % SIDES.len();
                eprint!("depth {depth} round {} {} ... ", round + 1, SIDES[k]);
                match prologue_benches::run_child(SIDES[k], depth) {
                    Ok(child) => {
                        let reference = reference.get_or_insert_with(|| child.output.clone());
                        let correct = child.output == *reference;
                        ok &= correct;
                        let secs = child.metrics.get("wall_s").copied().unwrap_or(f64::NAN);
                        eprintln!(
                            "{secs:.3} s{}",
                            if correct { "" } else { " OUTPUT DIFFERS" }
                        );
                        results[k].push(round, child, correct);
                    }
                    Err(e) => {
                        ok = false;
                        eprintln!("{e}");
                    }
                }
            }
        }
        println!(
            "\nGCBench-like, depth {depth} (stretch {}), {runs} round(s)",
            depth + 2
        );
        if let Some(reference) = &reference {
            print!("{reference}");
        }
        print_table(&results, "box");
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
