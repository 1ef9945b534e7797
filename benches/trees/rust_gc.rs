//! Binary-trees on rust-gc (`gc` 0.5) with its default collection threshold.

// gc_derive 0.5 expands to impls inside a const block, which this lint flags; the code is upstream's.
#![allow(non_local_definitions)]

use gc::{Finalize, Gc, Trace};
use prologue_benches::binary_trees::{depths, iterations, max_depth, Output};

#[derive(Trace, Finalize)]
struct Node {
    children: Option<(Gc<Node>, Gc<Node>)>,
}

fn bottom_up(depth: u32) -> Gc<Node> {
    let children = (depth > 0).then(|| (bottom_up(depth - 1), bottom_up(depth - 1)));
    Gc::new(Node { children })
}

fn check(node: &Node) -> u64 {
    1 + node
        .children
        .as_ref()
        .map_or(0, |(left, right)| check(left) + check(right))
}

/// Runs binary-trees for `n`, writing the output lines to `out`.
pub fn run(n: u32, out: &mut Output) {
    let max = max_depth(n);
    out.stretch(max + 1, check(&bottom_up(max + 1)));
    let long_lived = bottom_up(max);
    for d in depths(n) {
        let iters = iterations(n, d);
        let total: u64 = (0..iters).map(|_| check(&bottom_up(d))).sum();
        out.trees(iters, d, total);
    }
    out.long_lived(max, check(&long_lived));
}
