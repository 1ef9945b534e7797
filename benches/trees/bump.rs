//! Binary-trees with one bumpalo arena per tree: allocation is a pointer bump and freeing a
//! tree is one reset, so this is the floor for allocation itself, not a general-purpose heap.

use bumpalo::Bump;
use prologue_benches::binary_trees::{depths, iterations, max_depth, Output};

struct Node<'a> {
    children: Option<(&'a Node<'a>, &'a Node<'a>)>,
}

fn bottom_up(arena: &Bump, depth: u32) -> &Node<'_> {
    let children = (depth > 0).then(|| (bottom_up(arena, depth - 1), bottom_up(arena, depth - 1)));
    arena.alloc(Node { children })
}

fn check(node: &Node<'_>) -> u64 {
    1 + node
        .children
        .map_or(0, |(left, right)| check(left) + check(right))
}

/// Runs binary-trees for `n`, writing the output lines to `out`.
pub fn run(n: u32, out: &mut Output) {
    let max = max_depth(n);
    out.stretch(max + 1, check(bottom_up(&Bump::new(), max + 1)));
    let long_lived_arena = Bump::new();
    let long_lived = bottom_up(&long_lived_arena, max);
    // One arena reused (reset) per short-lived tree, as the Benchmarks Game's arena programs do.
    let mut arena = Bump::new();
    for d in depths(n) {
        let iters = iterations(n, d);
        let mut total = 0;
        for _ in 0..iters {
            total += check(bottom_up(&arena, d));
            arena.reset();
        }
        out.trees(iters, d, total);
    }
    out.long_lived(max, check(long_lived));
}
