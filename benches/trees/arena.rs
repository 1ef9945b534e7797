//! Binary-trees on gc-arena 0.7: each tree is built and checked inside one `mutate` call (pointers
//! cannot leave it), the long-lived tree is the arena's root, and `collect_debt` runs between
//! trees, which is the crate's intended pacing.

use gc_arena::{Arena, Collect, Gc, Mutation, Rootable};
use prologue_benches::binary_trees::{depths, iterations, max_depth, Output};

#[derive(Collect)]
#[collect(no_drop)]
struct Node<'gc> {
    children: Option<(Gc<'gc, Node<'gc>>, Gc<'gc, Node<'gc>>)>,
}

fn bottom_up<'gc>(mc: &Mutation<'gc>, depth: u32) -> Gc<'gc, Node<'gc>> {
    let children = (depth > 0).then(|| (bottom_up(mc, depth - 1), bottom_up(mc, depth - 1)));
    Gc::new(mc, Node { children })
}

fn check(node: &Node<'_>) -> u64 {
    1 + node
        .children
        .map_or(0, |(left, right)| check(&left) + check(&right))
}

type Root = Rootable![Option<Gc<'_, Node<'_>>>];

/// Runs binary-trees for `n`, writing the output lines to `out`.
pub fn run(n: u32, out: &mut Output) {
    let max = max_depth(n);
    let mut arena = Arena::<Root>::new(|_| None);
    out.stretch(
        max + 1,
        arena.mutate(|mc, _| check(&bottom_up(mc, max + 1))),
    );
    arena.collect_debt();
    arena.mutate_root(|mc, root| *root = Some(bottom_up(mc, max)));
    arena.collect_debt();
    for d in depths(n) {
        let iters = iterations(n, d);
        let mut total = 0;
        for _ in 0..iters {
            total += arena.mutate(|mc, _| check(&bottom_up(mc, d)));
            arena.collect_debt();
        }
        out.trees(iters, d, total);
    }
    let long_lived = arena.mutate(|_, root| root.as_ref().map_or(0, |tree| check(tree)));
    out.long_lived(max, long_lived);
}
